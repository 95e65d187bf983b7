"""Every failure of the command line is a message and an exit code (2 for usage errors), never a traceback:
a broken mkdocs.yml in every command that reads it, bad arguments, and the system refusing a path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from conftest import RootMaker, assert_no_crash, run_cli, stderr_of
from generator.build import BuildError
from generator.changes import ChangesError
from generator.content import ContentError
from generator.defects import FeedError
from generator.errors import KbgenError, KbgenUsageError
from generator.rules import RulesError
from generator.scaffold import ScaffoldError
from generator.search import SearchIndexError
from generator.site_config import ConfigError

KBGEN = Path(sys.executable).parent / "kbgen"

BROKEN_CONFIGS = {  # the cases that ended in a traceback: (mkdocs.yml, line of the finding, rule)
    "a list": ("- site_name: Help\n- theme: material\n", 1, "config-not-mapping"),
    "a scalar": ("Help Centre\n", 1, "config-not-mapping"),
    "inherits itself": ("site_name: Help\nINHERIT: mkdocs.yml\n", 2, "config-inherit-cycle"),
    "bad service_targets keys": ("plugins:\n  - search\n  - kbgen:\n      service_targets:\n"
                                 "        tier1: {Resolution: 1 day}\n", 4, "config-option"),
}


@pytest.fixture
def root(make_root) -> RootMaker:
    make_root.doc("kb/refunds.md", "# Refunds\n\nHow to get a refund.\n", intents=["billing.refund"])
    make_root.doc("kb/passwords.md", "# Passwords\n\nReset a forgotten password.\n")
    make_root.doc("runbooks/refund.md", tier=1, intents=["billing.refund"])
    return make_root


def output_of(result) -> str:
    return result.output + stderr_of(result)


@pytest.mark.parametrize("case", list(BROKEN_CONFIGS))
def test_broken_configuration_is_a_finding_in_every_command(root, tmp_path, case):
    text, line, rule = BROKEN_CONFIGS[case]
    root.file("mkdocs.yml", text)
    finding = f"mkdocs.yml:{line}:"
    commands = {
        "validate": ["validate"],
        "build": ["build", "--out", str(tmp_path / "out")],
        "search": ["search", "refund"],
        "feed": ["defect", "feed", "--all"],
    }
    for name, args in commands.items():
        result = run_cli(*args, "--root", str(root.path))
        assert_no_crash(result)
        assert result.exit_code == 1, (name, output_of(result))
        assert finding in output_of(result) and f"error [{rule}]" in output_of(result), (name, output_of(result))
    assert "previous output is unchanged" in output_of(run_cli(*commands["build"], "--root", str(root.path)))
    assert not (tmp_path / "out").exists()


def test_serve_with_a_broken_configuration_says_why(root):
    """The real console script: the preview's first build refuses, and the server never starts."""
    root.file("mkdocs.yml", BROKEN_CONFIGS["inherits itself"][0])
    proc = subprocess.run([str(KBGEN), "serve", "--root", str(root.path), "--dev-addr", "127.0.0.1:8765"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "mkdocs.yml:2:1: error [config-inherit-cycle]" in proc.stderr and "Traceback" not in proc.stderr


def test_validate_in_the_pre_commit_hook_never_runs_a_python_tag(root, tmp_path):
    """``kbgen validate`` runs on every pull request and commit: a tag in mkdocs.yml must not run there."""
    marker = tmp_path / "ran.txt"
    root.file("mkdocs.yml", f'site_name: !!python/object/apply:os.system ["touch {marker}"]\n')
    proc = subprocess.run([str(KBGEN), "validate", "--root", str(root.path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1 and "mkdocs.yml:1:12: error [config-tag]" in proc.stdout
    assert not marker.exists()


@pytest.mark.parametrize("address", ["nonsense", "127.0.0.1", "localhost:http", ":0", "127.0.0.1:65536",
                                     "127.0.0.1:-1", "[::1]:99999", ""])
def test_serve_address_is_checked_as_a_usage_error(root, address):
    result = run_cli("serve", "--root", str(root.path), "--dev-addr", address)
    assert_no_crash(result)
    assert result.exit_code == 2
    assert "HOST:PORT with a port from 1 to 65535" in output_of(result)


def test_validate_refuses_a_path_that_does_not_exist(root):
    result = run_cli("validate", "--root", str(root.path), str(root.path / "kb" / "nope.md"))
    assert_no_crash(result)
    assert result.exit_code == 2 and "nope.md" in output_of(result) and "does not exist" in output_of(result)


@pytest.mark.parametrize("args", [
    ["-refund"], ["--", "-refund"], ["--tier", "0", "-refund"], ["-refund", "--json"], ["--json", "--", "-refund"],
    ["--limit=3", "-refund"],
])
def test_search_query_may_start_with_a_dash(root, args):
    result = run_cli("search", "--root", str(root.path), *args)
    assert_no_crash(result)
    assert result.exit_code == 0, output_of(result)
    assert "Refunds" in result.output


def test_search_options_still_work_around_a_dashed_query(root):
    result = run_cli("search", "-refund", "--root", str(root.path), "--json", "--limit", "1")
    assert result.exit_code == 0, output_of(result)
    assert [hit["id"] for hit in json.loads(result.output)] == ["refunds"]
    assert "search [OPTIONS] QUERY" in run_cli("search", "-h").output
    two = run_cli("search", "--root", str(root.path), "-refund", "-password")
    assert two.exit_code == 2 and "unexpected extra argument" in output_of(two)


def test_an_unexpected_os_error_names_the_path_and_reason(root, tmp_path):
    """An output folder under a file: the system refuses, and kbgen says which path and why."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run_cli("build", "--root", str(root.path), "--out", str(blocker / "site"))
    assert_no_crash(result)
    assert result.exit_code == 1
    message = output_of(result)
    assert str(blocker) in message and ("Not a directory" in message or "File exists" in message)
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("error", [BuildError, ChangesError, ConfigError, ContentError, FeedError, RulesError,
                                   ScaffoldError, SearchIndexError])
def test_every_kbgen_error_shares_one_root(error):
    assert issubclass(error, KbgenError) and issubclass(error, click.ClickException)
    usage = error in (ChangesError, ContentError)  # the folder or commit given cannot be used
    assert issubclass(error, KbgenUsageError) == usage and error("x").exit_code == (2 if usage else 1)


def test_ctrl_c_while_the_command_line_loads_is_no_traceback(make_root):
    """A Ctrl+C in the first tenths of a second lands while Python imports the command line (click, YAML,
    Markdown readers): it ended in a KeyboardInterrupt traceback. Signals sent from early in the load to
    after it (one that lands while Python itself starts, on a loaded machine, is Python's to report)."""
    import signal
    import time

    make_root.doc("kb/reset.md", id="reset")
    answers = []
    for tenths in range(2, 22, 2):
        process = subprocess.Popen([str(KBGEN), "validate", "--root", str(make_root.path)], text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(tenths / 100)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        if "init_import_site" not in err:  # before any code of kbgen's: Python starting, which kbgen cannot answer
            assert "Traceback" not in err, (tenths, err)
        answers.append(err.strip().splitlines()[-1:] if err.strip() else [])
    assert ["Aborted!"] in answers, "some signal landed while it loaded"
