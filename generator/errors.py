"""The one root of the errors kbgen reports to a person.

Like MkDocs' ``MkDocsException``, every kbgen error is a :class:`click.ClickException`: the command line
turns any of them into its message, the findings behind it and an exit code, in one place
(:mod:`generator.cli`), and never into a traceback.
"""

from __future__ import annotations

import click


class KbgenError(click.ClickException):
    """kbgen refused or failed, and the message says why; ``findings`` say where, when they can. Exit 1."""

    exit_code = 1

    def __init__(self, message: str, findings: list | None = None):
        super().__init__(message)
        self.findings = list(findings or [])


class KbgenUsageError(KbgenError):
    """The command was given something it cannot use (a folder that is no content root, an unknown commit):
    exit 2, as click's own usage errors."""

    exit_code = 2
