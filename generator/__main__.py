"""``kbgen`` and ``python -m generator``: load the command line, then run it.

Loading it imports click, YAML and Markdown readers (a third of a second): a Ctrl+C in that time is
answered as one during a command is, with "Aborted!" and exit 1, never a traceback.
"""

import sys


def main() -> None:
    try:
        from .cli import main as command_line
    except KeyboardInterrupt:
        sys.stderr.write("\nAborted!\n")
        sys.exit(1)
    command_line()


if __name__ == "__main__":
    main()
