"""Documents with known line numbers and the table of bad files, shared by the validation and CLI tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conftest import INTENTS, RootMaker, runbook_body
from generator.findings import ERROR, Finding
from generator.site_config import DEFAULTS

DIR = object()  # in a case's files: create a directory instead of a file


# --------------------------------------------------------------------------------------------------
# Building files with known line numbers
# --------------------------------------------------------------------------------------------------

# With these defaults: line 1 '---', 2 id, 3 title, 4 kind, 5 tier, 6 intents, then ``extra`` lines
# from 7, then the closing '---', then the body.
FIELDS = {"id": "a", "title": "A", "kind": "article", "tier": "0", "intents": "[account.password-reset]"}


def page(body: str = "# A\n\nText.\n", extra: tuple[str, ...] = (), **fields: str | None) -> str:
    """A document's text; a field set to None is left out, ``extra`` lines follow the usual five."""
    merged = {**FIELDS, **fields}
    lines = [f"{key}: {value}" for key, value in merged.items() if value is not None] + list(extra)
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def runbook(rb_id: str = "r", tier: int = 1, escalation: str | None = None, extra: tuple[str, ...] = ()) -> str:
    """A runbook with the required sections; its escalation (if any) is on line 7, ``extra`` lines follow it."""
    lines = ((f"escalation: {escalation}",) if escalation else ()) + tuple(extra)
    return page(runbook_body(rb_id.upper()), id=rb_id, title=rb_id.upper(), kind="runbook", tier=str(tier),
                extra=lines)


# Alert runbooks as teams keep them (prometheus-operator's and OpenShift's collections): no steps layout.
DISK_FULL = """\
    # NodeFilesystemAlmostFull

    ## Meaning

    A file system on node {{ node }} has less than 5% space left.

    ## Impact

    Pods on the node are evicted once it is full; writes fail.

    ## Diagnosis

    ```bash
    kubectl debug node/{{ node }} -it --image=busybox -- df -h
    ```

    ## Mitigation

    1. Delete old container images:

        ```bash
        kubectl debug node/{{ node }} -it --image=busybox -- crictl rmi --prune
        ```

    2. If it is still over 95%, cordon the node:

        ```bash
        kubectl cordon {{ node }}
        ```

        !!! warning "Do not drain a node of the control plane"

            Draining it stops the API for every customer.

    3. Tell the customer the node was cordoned.
    """
CERT_EXPIRY = """\
    # CertificateExpiresSoon

    ## Meaning

    A serving certificate expires within seven days.

    ## Impact

    Customers' clients refuse the connection once it has expired.

    ## Diagnosis

    Read the certificate's dates in the secret.

    ## Mitigation

    Renew it with the cluster's certificate manager.
    """
NODE = '[{name: node, label: Node, example: ip-10-0-1-17, pattern: "ip-[0-9]+-[0-9]+-[0-9]+-[0-9]+"}]'
ALERT_ESCALATION = "{to_tier: 2, when: the alert still fires 30 minutes after the mitigation, queue: Platform (Tier 2)}"


def configured(make_root: RootMaker, options: str) -> RootMaker:
    """A root whose mkdocs.yml is kbgen's defaults with these kbgen plugin options (YAML lines indented by
    six spaces), and a public article."""
    text = DEFAULTS.read_text(encoding="utf-8")
    assert "\n  - kbgen\n" in text
    make_root.file("mkdocs.yml", text.replace("\n  - kbgen\n", "\n  - kbgen:\n" + options, 1))
    make_root.doc("kb/help.md")
    return make_root


def line_of(text: str, marker: str, start: int = 1) -> int:
    """1-based number of the first line at or after ``start`` that contains ``marker``."""
    for number, line in enumerate(text.split("\n"), 1):
        if number >= start and marker in line:
            return number
    raise AssertionError(f"{marker!r} is not in the text")


def write(make, files: dict) -> None:
    for rel, content in files.items():
        if content is DIR:
            (make.path / rel).mkdir(parents=True, exist_ok=True)
        else:
            make.file(rel, content)


def edit(make: RootMaker, rel: str, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) by ``new`` in a file of the root."""
    path = make.path / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def describe(findings: list[Finding]) -> str:
    return "\n".join(f.as_text() for f in findings) or "(no findings)"


# --------------------------------------------------------------------------------------------------
# 1. Bad files
# --------------------------------------------------------------------------------------------------


@dataclass
class Expect:
    """A finding that must be present: path, line, rule (or any of several), error, message text."""

    path: str
    line: int
    rule: str | frozenset
    contains: tuple[str, ...] = ()
    severity: str = ERROR

    def rules(self) -> frozenset:
        return frozenset([self.rule]) if isinstance(self.rule, str) else self.rule

    def matches(self, finding: Finding) -> bool:
        return (finding.path == self.path and finding.line == self.line and finding.rule in self.rules()
                and finding.severity == self.severity and all(c in finding.message for c in self.contains))


@dataclass
class Case:
    files: dict
    expect: list[Expect]
    only: bool = False  # True: no other finding may be reported at all
    notes: str = field(default="")


def A(line: int, rule, *contains: str, path: str = "kb/a.md") -> Expect:
    return Expect(path, line, rule, contains)


def bom(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def _latin1(text: str) -> bytes:
    return text.encode("utf-8").replace(b"@", b"\xe9")


# A public article for the intent the cases' runbooks serve, so that the intent's resolution tier has a document.
PUBLIC = {"kb/public.md": page(id="public")}

BAD_FILES = {
    # --- file level ---------------------------------------------------------------------------
    "no-frontmatter": Case({"kb/a.md": "# A\n\nText.\n"}, [A(1, "frontmatter-missing")], only=True),
    "frontmatter-after-blank-line": Case({"kb/a.md": "\n" + page()}, [A(1, "frontmatter-missing")], only=True),
    "frontmatter-unclosed": Case({"kb/a.md": "---\nid: a\ntitle: A\n\n# A\n\nText.\n"},
                                 [A(1, "frontmatter-unclosed")], only=True),
    "bom": Case({"kb/a.md": bom(page())}, [A(1, "file-bom")], only=True),
    "non-utf8-in-body": Case({"kb/a.md": _latin1(page(body="# A\n\nCaf@ au lait.\n"))},
                             [A(10, "file-encoding", "0xe9")], only=True),
    "non-utf8-in-frontmatter": Case({"kb/a.md": _latin1(page(title="Caf@"))}, [A(3, "file-encoding", "0xe9")],
                                    only=True),
    "empty-file": Case({"kb/a.md": ""}, [A(1, "file-empty")], only=True),
    "whitespace-only-file": Case({"kb/a.md": "\n   \n\n"}, [A(1, "file-empty")], only=True),
    "directory-named-md": Case({"kb/x.md": DIR}, [A(1, "file-not-file", path="kb/x.md")], only=True),
    "frontmatter-is-a-list": Case({"kb/a.md": "---\n- id: a\n- title: A\n---\n# A\n"},
                                  [A(2, "frontmatter-not-mapping")], only=True),
    "frontmatter-is-a-scalar": Case({"kb/a.md": "---\njust some text\n---\n# A\n"},
                                    [A(2, "frontmatter-not-mapping")], only=True),
    "frontmatter-is-empty": Case({"kb/a.md": "---\n---\n# A\n"}, [A(2, "frontmatter-not-mapping")], only=True),
    # --- YAML syntax: the finding is on the line with the mistake -----------------------------
    "yaml-colon-in-value": Case({"kb/a.md": page(title="Reset: your password")},
                                [A(3, "yaml-syntax", "mapping values")], only=True),
    "yaml-bad-indent": Case({"kb/a.md": page(kind="article\n  tier: 0", tier=None)}, [A(5, "yaml-syntax")],
                            only=True),
    "yaml-tab-indent": Case({"kb/a.md": page(kind="article\n\tsummary: x")}, [A(5, "yaml-syntax", "tab")],
                            only=True),
    "yaml-error-after-bom": Case({"kb/a.md": bom(page(title="Reset: it"))},
                                 [A(1, "file-bom"), A(3, "yaml-syntax")], only=True),
    "yaml-error-with-crlf": Case({"kb/a.md": page(title="Reset: it").replace("\n", "\r\n").encode()},
                                 [A(3, "yaml-syntax")], only=True),
    "yaml-duplicate-key": Case({"kb/a.md": page(extra=("title: B",))},
                               [A(7, "yaml-duplicate-key", "'title'")], only=True),
    # --- types and values -------------------------------------------------------------------------
    "tier-quoted-0": Case({"kb/a.md": page(tier="'0'")},
                          [A(5, "field-type", "without quotes", "tier: 0")], only=True),
    "tier-double-quoted-2": Case({"kb/a.md": page(tier='"2"')},
                                 [A(5, "field-type", "without quotes", "tier: 2")], only=True),
    "tier-7": Case({"kb/a.md": page(tier="7")}, [A(5, "field-value", "7", "between 0 and 3")], only=True),
    "tier-negative": Case({"kb/a.md": page(tier="-1")}, [A(5, "field-value", "between 0 and 3")], only=True),
    "tier-boolean": Case({"kb/a.md": page(tier="true")}, [A(5, "field-type")], only=True),
    "tier-empty": Case({"kb/a.md": page(tier="")}, [A(5, "field-type")], only=True),
    "tier-word": Case({"kb/a.md": page(tier="public")}, [A(5, "field-type")], only=True),
    "intents-not-a-list": Case({"kb/a.md": page(intents="account.password-reset")},
                               [A(6, "field-type", "must be a list")], only=True),
    "intents-empty-list": Case({"kb/a.md": page(intents="[]")}, [A(6, "field-value", "empty")], only=True),
    "intents-repeated": Case({"kb/a.md": page(intents="[account.password-reset, account.password-reset]")},
                             [A(6, "field-value", "twice")], only=True),
    "kind-unknown": Case({"kb/a.md": page(kind="Article")},
                         [A(4, "field-value", "did you mean 'article'")], only=True),
    "status-unknown": Case({"kb/a.md": page(extra=("status: publish",))},
                           [A(7, "field-value", "did you mean 'published'")], only=True),
    "review-by-not-a-date": Case({"kb/a.md": page(extra=("review_by: next week",))},
                                 [A(7, "field-value", "YYYY-MM-DD")], only=True),
    "id-with-space": Case({"kb/a.md": page(id="'reset password'")}, [A(2, "field-value", "reset password")],
                          only=True),
    "title-is-a-number": Case({"kb/a.md": page(title="42")}, [A(3, "field-type", "quote it")], only=True),
    # --- required and unknown keys -------------------------------------------------------------
    "missing-id": Case({"kb/a.md": page(id=None)}, [A(2, "missing-field", "'id'")], only=True),
    "missing-title": Case({"kb/a.md": page(title=None)}, [A(2, "missing-field", "'title'")], only=True),
    "missing-kind": Case({"kb/a.md": page(kind=None)}, [A(2, "missing-field", "'kind'")], only=True),
    "missing-tier": Case({"kb/a.md": page(tier=None)}, [A(2, "missing-field", "'tier'")], only=True),
    "missing-intents": Case({"kb/a.md": page(intents=None)}, [A(2, "missing-field", "'intents'")], only=True),
    "unknown-key-tittle": Case({"kb/a.md": page(title=None, extra=("tittle: A",))},
                               [A(6, "unknown-key", "'tittle'", "did you mean 'title'"),
                                A(2, "missing-field", "'title'")], only=True),
    "unknown-key-sumary": Case({"kb/a.md": page(extra=("sumary: One line.",))},
                               [A(7, "unknown-key", "'sumary'", "did you mean 'summary'")], only=True),
    "unknown-key-in-escalation": Case(
        {**PUBLIC, "runbooks/r.md": runbook(escalation="{to_tier: 2, whne: stuck}")},
        [A(7, "unknown-key", "'whne'", "did you mean 'when'", path="runbooks/r.md"),
         A(7, "missing-field", "'when'", path="runbooks/r.md")], only=True),
    # --- ids and intents ------------------------------------------------------------------------
    "id-duplicate-same-case": Case({"kb/a.md": page(id="reset"), "kb/b.md": page(id="reset")},
                                   [A(2, "id-duplicate", "'reset'", "kb/a.md", path="kb/b.md")], only=True),
    "id-duplicate-ignoring-case": Case({"kb/a.md": page(id="Reset-Password"), "kb/b.md": page(id="reset-password")},
                                       [A(2, "id-duplicate", "kb/a.md", path="kb/b.md")], only=True),
    "id-duplicate-across-folders": Case(
        {"kb/a.md": page(id="same"), "runbooks/z.md": runbook("same", tier=3)},
        [A(2, "id-duplicate", "kb/a.md", path="runbooks/z.md")], only=True),
    "intent-unknown": Case({"kb/a.md": page(intents="[account.pasword-reset]")},
                           [A(6, "intent-unknown", "'account.pasword-reset'",
                              "did you mean 'account.password-reset'")], only=True),
    "intent-unknown-second-in-block-list": Case(
        {"kb/a.md": page(intents=None, extra=("intents:", "  - account.password-reset", "  - billing.refnd"))},
        [A(8, "intent-unknown", "did you mean 'billing.refund'")], only=True),
    # --- kinds and tiers --------------------------------------------------------------------------
    "runbook-at-tier-0": Case({"runbooks/r.md": runbook(tier=0)}, [A(5, "tier-kind", path="runbooks/r.md")],
                              only=True),
    "defect-at-tier-2": Case({**PUBLIC, "kb/d.md": page(id="d", kind="defect", tier="2")},
                             [A(5, "tier-kind", "tier 3", path="kb/d.md")], only=True),
    "defect-at-tier-0": Case({"kb/d.md": page(id="d", kind="defect", tier="0")},
                             [A(5, "tier-kind", path="kb/d.md")], only=True),
    "escalation-on-article": Case({"kb/a.md": page(extra=("escalation: {to_tier: 1, when: stuck}",))},
                                  [A(7, "field-kind", "'escalation'", "runbook")], only=True),
    "severity-on-article": Case({"kb/a.md": page(extra=("severity: P2",))},
                                [A(7, "field-kind", "'severity'", "defect")], only=True),
    "fixed-in-on-runbook": Case({**PUBLIC, "runbooks/r.md": runbook(tier=3, extra=("fixed_in: '1.2'",))},
                                [A(7, "field-kind", "'fixed_in'", path="runbooks/r.md")], only=True),
    # --- escalation -------------------------------------------------------------------------------
    "escalation-to-lower-tier": Case(
        {**PUBLIC, "runbooks/r.md": runbook(tier=2, escalation="{to_tier: 1, when: stuck}")},
        [A(7, "escalation-tier", path="runbooks/r.md")], only=True),
    "escalation-to-same-tier": Case(
        {**PUBLIC, "runbooks/r.md": runbook(tier=2, escalation="{to_tier: 2, when: stuck}")},
        [A(7, "escalation-tier", path="runbooks/r.md")], only=True),
    "escalation-runbook-missing": Case(
        {**PUBLIC, "runbooks/r.md": runbook(escalation="{to_tier: 2, when: stuck, runbook: nope}")},
        [A(7, "escalation-target", "'nope'", path="runbooks/r.md")], only=True),
    "escalation-runbook-typo": Case(
        {**PUBLIC, "runbooks/r.md": runbook(escalation="{to_tier: 2, when: stuck, runbook: sso-debg}"),
         "runbooks/sso.md": runbook("sso-debug", tier=2, escalation="{to_tier: 3, when: stuck}")},
        [A(7, "escalation-target", "did you mean 'sso-debug'", path="runbooks/r.md")], only=True),
    "escalation-runbook-wrong-tier": Case(
        {**PUBLIC, "runbooks/r.md": runbook(escalation="{to_tier: 2, when: stuck, runbook: t}"),
         "runbooks/t.md": runbook("t", tier=3)},
        [A(7, "escalation-target", "tier 3", path="runbooks/r.md")], only=True),
    "escalation-runbook-is-an-article": Case(
        {"runbooks/r.md": runbook(escalation="{to_tier: 2, when: stuck, runbook: a}"), "kb/a.md": page()},
        [A(7, "escalation-target", "not a runbook", path="runbooks/r.md")], only=True),
    "escalation-runbook-is-a-draft": Case(
        {**PUBLIC, "runbooks/r.md": runbook(escalation="{to_tier: 2, when: stuck, runbook: t}"),
         "runbooks/t.md": runbook("t", tier=2, escalation="{to_tier: 3, when: stuck}", extra=("status: draft",))},
        [A(7, "escalation-target", "draft", path="runbooks/r.md")], only=True),
    "escalation-not-a-mapping": Case({**PUBLIC, "runbooks/r.md": runbook(escalation="tier 2 if stuck")},
                                     [A(7, "field-type", "mapping", path="runbooks/r.md")], only=True),
    "escalation-to-tier-4": Case({**PUBLIC, "runbooks/r.md": runbook(escalation="{to_tier: 4, when: stuck}")},
                                 [A(7, "field-value", path="runbooks/r.md")], only=True),
    # --- intents.yml ------------------------------------------------------------------------------
    "intents-yaml-syntax": Case(
        {"intents.yml": "intents:\n  - id: account.password-reset\n    title: Reset: it\n    resolution_tier: 0\n"},
        [A(3, "yaml-syntax", path="intents.yml")]),
    "intents-duplicate-id": Case(
        {"intents.yml": INTENTS + "  - id: billing.refund\n    title: Refund again\n    resolution_tier: 1\n"},
        [A(16, "intent-duplicate", "'billing.refund'", "line 12", path="intents.yml")], only=True),
    "intents-missing-resolution-tier": Case(
        {"intents.yml": INTENTS + "  - id: billing.invoice\n    title: Get an invoice\n"},
        [A(16, "missing-field", "'resolution_tier'", path="intents.yml")], only=True),
    "intents-resolution-tier-5": Case(
        {"intents.yml": INTENTS + "  - id: billing.invoice\n    title: Get an invoice\n    resolution_tier: 5\n"},
        [A(18, "field-value", path="intents.yml")], only=True),
    "intents-unknown-key": Case(
        {"intents.yml": INTENTS + "  - id: billing.invoice\n    title: Get an invoice\n    resolution_tier: 1\n"
                                  "    phrasing: [invoice please]\n"},
        [A(19, "unknown-key", "did you mean 'phrasings'", path="intents.yml")], only=True),
    "intents-yml-is-a-list": Case({"intents.yml": "- account.password-reset\n"},
                                  [A(1, "intents-schema", path="intents.yml")], only=True),
    "intents-yml-missing": Case({"kb/a.md": page()}, [A(1, "intents-missing", path="intents.yml")]),
    "intents-duplicate-key": Case(
        {"intents.yml": INTENTS.replace("    resolution_tier: 1\n", "    resolution_tier: 1\n    title: Again\n")},
        [A(16, "yaml-duplicate-key", "'title'", path="intents.yml")], only=True),
    # --- found while writing these tests: kbgen crashes or points at the wrong line --------------
    "unknown-keys-of-mixed-types": Case({"kb/a.md": page(extra=("tittle: A", "1: one"))},
                                        [A(7, "unknown-key", "'tittle'"), A(8, "unknown-key", "'1'")], only=True),
    "unknown-key-that-is-a-date": Case({"kb/a.md": page(extra=("2025-01-01: launch",))},
                                       [A(7, "unknown-key", "2025-01-01")], only=True),
    "review-by-impossible-date": Case({"kb/a.md": page(extra=("review_by: 2025-02-30",))},
                                      [A(7, frozenset({"field-value", "yaml-syntax"}), "review_by")], only=True),
    "tier-1.0": Case({"kb/a.md": page(tier="1.0")}, [A(5, "field-type")], only=True),
    "escalation-to-tier-float": Case(
        {"runbooks/r.md": runbook(tier=2, escalation="{to_tier: 1.0, when: stuck}")},
        [A(7, frozenset({"field-type", "escalation-tier"}), path="runbooks/r.md")]),
    "recursive-yaml-alias": Case({"kb/a.md": page(extra=("tags: &t [*t]",))},
                                 [A(7, frozenset({"yaml-syntax", "field-type", "field-value"}))]),
}


def make_case(make, name: str) -> Path:
    """Write the files of ``BAD_FILES[name]`` into a fresh root (with the default intents.yml)."""
    case = BAD_FILES[name]
    if name == "intents-yml-missing":
        (make.path / "intents.yml").unlink()
    write(make, case.files)
    return make.path




B_BODY = """\
# B

## Reset your password

Text.

/// internal | tier: 2

## Secret steps

Only tier 2 sees this.

///
"""


def body_root(make, body: str, tier: int = 0) -> str:
    """A root with runbooks r (tier 1) and r2 (tier 2), a draft, kb/b.md, and kb/a.md with ``body``.

    Returns the text of kb/a.md, to find line numbers in.
    """
    make.doc("runbooks/r.md", tier=1)
    make.doc("runbooks/r2.md", tier=2)
    make.doc("kb/draft.md", status="draft")
    make.doc("kb/b.md", B_BODY)
    path = make.doc("kb/a.md", body, tier=tier)
    return path.read_text(encoding="utf-8")



LINK = "See the [reset runbook](../runbooks/r.md) for the steps."
