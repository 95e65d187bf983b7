"""``kbgen validate`` on the command line: exit codes, output formats, and no tracebacks for bad content."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from cases import BAD_FILES, LINK, body_root, make_case, page
from conftest import REPO, assert_no_crash, kbgen_executable, run_cli, stderr_of

FINDING_KEYS = {"path", "line", "col", "rule", "severity", "message"}

SUMMARY_RE = re.compile(r"\d+ error\(s\), \d+ warning\(s\) in \d+ documents \(\d+\.\d\d s\)")


# --------------------------------------------------------------------------------------------------
# 1. Every bad file: exit 1, the finding in the output, no traceback
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_exits_1_with_finding(make_root, name):
    root = make_case(make_root, name)
    result = run_cli("validate", "--root", str(root))
    assert_no_crash(result)
    assert result.exit_code == 1, result.output
    for expect in BAD_FILES[name].expect:
        prefix = f"{expect.path}:{expect.line}:"
        lines = [line for line in result.stdout.splitlines() if line.startswith(prefix)
                 and any(f"{expect.severity} [{rule}]" in line for rule in expect.rules())]
        assert lines, f"no '{prefix}... {expect.severity} [{'|'.join(sorted(expect.rules()))}]' in:\n{result.stdout}"
    assert SUMMARY_RE.fullmatch(result.stdout.rstrip().splitlines()[-1])


@pytest.mark.parametrize("name", ["yaml-colon-in-value", "unknown-keys-of-mixed-types"])
def test_console_script_on_bad_root(make_root, name):
    """The real ``kbgen`` console script, in its own process: exit 1, finding on stdout, no traceback."""
    root = make_case(make_root, name)
    proc = subprocess.run([kbgen_executable(), "validate", "--root", str(root)],
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout
    assert proc.returncode == 1, proc.stdout + proc.stderr
    expect = BAD_FILES[name].expect[0]
    assert any(line.startswith(f"{expect.path}:{expect.line}:") and f"error [{expect.rule}]" in line
               for line in proc.stdout.splitlines()), proc.stdout
    assert SUMMARY_RE.fullmatch(proc.stdout.strip().splitlines()[-1])


def test_console_script_usage_error(tmp_path):
    proc = subprocess.run([kbgen_executable(), "validate", "--root", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "not a content root" in proc.stderr


def test_warnings_alone_exit_0(make_root):
    text = body_root(make_root, "# A\n\nSee [b](b.md#no-such-heading).\n")
    result = run_cli("validate", "--root", str(make_root.path))
    assert_no_crash(result)
    assert result.exit_code == 0, result.output
    line = next(n for n, l in enumerate(text.split("\n"), 1) if "no-such-heading" in l)
    assert f"kb/a.md:{line}:" in result.stdout and "warning [link-anchor]" in result.stdout
    assert "0 error(s), 1 warning(s)" in result.stdout


def test_body_error_exits_1(make_root):
    body_root(make_root, f"# A\n\n{LINK}\n")
    result = run_cli("validate", "--root", str(make_root.path))
    assert_no_crash(result)
    assert result.exit_code == 1
    assert "kb/a.md:10:" in result.stdout and "error [link-higher-tier]" in result.stdout
    assert "1 error(s), 0 warning(s)" in result.stdout


# --------------------------------------------------------------------------------------------------
# 3. Clean roots, formats, usage errors
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def clean_root(make_root) -> Path:
    body_root(make_root, "# A\n\nSee [b](b.md#reset-your-password).\n")
    make_root.doc("runbooks/r3.md", tier=3)
    return make_root.path


def test_clean_root_exits_0(clean_root):
    result = run_cli("validate", "--root", str(clean_root))
    assert_no_crash(result)
    assert result.exit_code == 0, result.output
    assert SUMMARY_RE.fullmatch(result.stdout.strip())
    assert result.stdout.startswith("0 error(s), 0 warning(s) in ")
    assert " in 6 documents " in result.output


def test_clean_root_json_is_empty_list(clean_root):
    result = run_cli("validate", "--root", str(clean_root), "--format", "json")
    assert_no_crash(result)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_clean_root_github_prints_nothing(clean_root):
    result = run_cli("validate", "--root", str(clean_root), "--format", "github")
    assert_no_crash(result)
    assert result.exit_code == 0
    assert result.stdout.strip() == ""


def test_default_root_is_the_current_folder(clean_root, monkeypatch):
    monkeypatch.chdir(clean_root)
    result = run_cli("validate")
    assert_no_crash(result)
    assert result.exit_code == 0, result.output


def _bad_root(make) -> Path:
    """Errors only: a quoted tier (kb/a.md:5), an unknown key (kb/b.md:7), a missing file's front matter."""
    make.file("kb/a.md", page(tier="'0'"))
    make.file("kb/b.md", page(id="b", extra=("tittle: B",)))
    make.file("kb/c.md", "# C, no front matter\n")
    return make.path


EXPECTED = [("kb/a.md", 5, "field-type"), ("kb/b.md", 7, "unknown-key"), ("kb/c.md", 1, "frontmatter-missing")]


def test_json_format(make_root):
    result = run_cli("validate", "--root", str(_bad_root(make_root)), "--format", "json")
    assert_no_crash(result)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert isinstance(data, list) and data
    for item in data:
        assert isinstance(item, dict) and set(item) == FINDING_KEYS
        assert isinstance(item["line"], int) and isinstance(item["col"], int)
        assert item["severity"] in ("error", "warning")
        assert isinstance(item["message"], str) and item["message"]
    assert [(d["path"], d["line"], d["rule"]) for d in data] == EXPECTED
    assert all(d["severity"] == "error" for d in data)
    assert "without quotes" in data[0]["message"]
    assert "did you mean 'title'" in data[1]["message"]


def test_github_format(make_root):
    result = run_cli("validate", "--root", str(_bad_root(make_root)), "--format", "github")
    assert_no_crash(result)
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(EXPECTED)
    for line, (path, number, rule) in zip(lines, EXPECTED):
        assert line.startswith(f"::error file={path},")
        assert f"line={number}," in line
        assert f"title={rule}::" in line
        assert f"::[{rule}] " in line


def test_github_format_warning(make_root):
    body_root(make_root, "# A\n\nSee [b](b.md#no-such-heading).\n")
    result = run_cli("validate", "--root", str(make_root.path), "--format", "github")
    assert_no_crash(result)
    [line] = result.stdout.strip().splitlines()
    assert line.startswith("::warning file=kb/a.md,line=10,col=9,title=link-anchor::")


def test_text_format_lines(make_root):
    result = run_cli("validate", "--root", str(_bad_root(make_root)), "--format", "text")
    assert_no_crash(result)
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert [line.split(": ", 1)[0] for line in lines[:-1]] == [f"{p}:{n}:1" for p, n, _ in EXPECTED]
    assert lines[-1].startswith("3 error(s), 0 warning(s) in ")


def test_not_a_content_root_exits_2(tmp_path):
    (tmp_path / "docs").mkdir()
    result = run_cli("validate", "--root", str(tmp_path))
    assert_no_crash(result)
    assert result.exit_code == 2
    message = result.output + stderr_of(result)
    assert "not a content root" in message
    assert "intents.yml" in message


def test_missing_root_exits_2(tmp_path):
    missing = tmp_path / "no-such-folder"
    result = run_cli("validate", "--root", str(missing))
    assert_no_crash(result)
    assert result.exit_code == 2
    assert "no-such-folder" in result.output + stderr_of(result)


def test_root_that_is_a_file_exits_2(tmp_path):
    target = tmp_path / "intents.yml"
    target.write_text("intents: []\n", encoding="utf-8")
    result = run_cli("validate", "--root", str(target))
    assert_no_crash(result)
    assert result.exit_code == 2


def test_unknown_format_exits_2(clean_root):
    result = run_cli("validate", "--root", str(clean_root), "--format", "xml")
    assert_no_crash(result)
    assert result.exit_code == 2
    assert "xml" in result.output + stderr_of(result)


def test_every_rule_id_is_documented_in_the_writers_guide():
    """A writer who sees a rule id in a finding can look it up, with an example of the fix."""
    code = "".join(p.read_text(encoding="utf-8") for p in (REPO / "generator").glob("*.py"))
    rules = set(re.findall(r'"([a-z]+(?:-[a-z]+)+)", (?:ERROR|WARNING)', code))
    rules |= set(re.findall(r'rule = "([a-z]+(?:-[a-z]+)+)"', code))
    guide = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    rows = {m[1]: m[0] for m in re.finditer(r"^\| `([a-z-]+)` \|.*\|$", guide, re.M)}
    assert len(rules) > 30
    assert rules - set(rows) == set(), "undocumented rule ids"
    assert all(row.count("|") >= 5 for row in rows.values()), "each rule has meaning and fix columns"
