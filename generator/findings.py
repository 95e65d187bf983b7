"""Findings: what validation (and loading) reports, and the formats it prints them in."""

from __future__ import annotations

import difflib
import json
import unicodedata
from dataclasses import asdict, dataclass
from typing import Iterable

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place: ``path:line:col`` plus a rule id and a message that says what to do."""

    path: str
    line: int
    col: int
    rule: str
    severity: str
    message: str

    def as_text(self) -> str:
        return printable(f"{self.path}:{self.line}:{self.col}: {self.severity} [{self.rule}] {self.message}")

    def as_github(self) -> str:
        # Workflow commands: properties are escaped differently from the message.
        message = _github_escape(f"[{self.rule}] {self.message}", data=True)
        path = _github_escape(self.path, data=False)
        return f"::{self.severity} file={path},line={self.line},col={self.col},title={self.rule}::{message}"


def printable(text: str) -> str:
    """Text from the content or from a client as a terminal can print it: control and format characters (an
    escape sequence that clears the screen or sets the window's title, a right-to-left override) written as
    escapes."""
    return "".join(char if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp")
                   else char.encode("unicode_escape").decode("ascii") for char in text)


def _github_escape(value: str, *, data: bool) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if not data:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def did_you_mean(word: str, choices) -> str:
    """``; did you mean 'x'?`` naming the choice closest to a mistyped word, or nothing."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def render(findings: list[Finding], fmt: str) -> str:
    """Render findings as ``text`` (for people), ``json`` (for tools) or ``github`` (annotations)."""
    findings = sorted(findings)
    if fmt == "json":
        return json.dumps([asdict(f) for f in findings], indent=2)
    if fmt == "github":
        return "\n".join(f.as_github() for f in findings)
    lines = [f.as_text() for f in findings]
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    lines.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)
