"""``kbgen new``: start an article, a runbook or a defect write-up from a template that validates.

A writer starts from a file in the right place, with a unique id and every section ``kbgen validate``
asks for; what is left to write is marked ``TODO:``, which validation reports until it is replaced
(rule ``todo-text``), so template text never reaches a site. Nothing is ever overwritten.
"""

from __future__ import annotations

import datetime as _dt
import os
import posixpath
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from string import Template

import yaml
from markdown.extensions.toc import slugify

from .content import ContentRoot
from .errors import KbgenError
from .findings import did_you_mean
from .layouts import LAYOUTS
from .site_config import of as site_config_of
from .schemas import schema

TEMPLATES = Path(__file__).parent / "templates"
KINDS = ("article", "runbook", "defect")
DEFECTS_DIR = "kb/defects"
DEFECT_ID_RE = re.compile(r"^DEF-(\d+)", re.I)
ID_RE = re.compile(schema("frontmatter")["properties"]["id"]["pattern"])
SEVERITIES = tuple(schema("frontmatter")["properties"]["severity"]["enum"])  # P1..P4
MAX_SLUG = 60  # characters; long titles make unwieldy file names and URLs
REVIEW_AFTER = _dt.timedelta(days=365)  # a new document's first review_by


class ScaffoldError(KbgenError):
    """The document cannot be created as asked; the message says why and what to do instead."""


@dataclass
class NewDocument:
    rel: str  # root-relative POSIX path of the file written
    id: str


def new_document(content: ContentRoot, kind: str, title: str, *, tier: int | None = None,
                 intents: tuple[str, ...] | list[str] = (), severity: str = "P3", doc_id: str | None = None,
                 today: _dt.date | None = None, layout: str | None = None) -> NewDocument:
    """Write a new document of ``kind`` into the content root and return where it went.

    Articles go to ``kb/<area of the first intent>/``, runbooks to ``runbooks/tier<N>/``, defects to
    ``kb/defects/DEF-NNNN-<slug>.md`` with the next free defect id. Raises :class:`ScaffoldError` for an
    unknown intent, a runbook of tier 0, an id already used or a file that exists. A runbook is written in
    ``layout`` (default: the root's, from its mkdocs.yml), which its front matter names when it is not the
    root's default."""
    if kind not in KINDS:
        raise ScaffoldError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if layout is not None and layout not in LAYOUTS:
        raise ScaffoldError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}{did_you_mean(layout, LAYOUTS)}")
    if severity not in SEVERITIES:
        raise ScaffoldError(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    heading = " ".join(title.split())
    if not heading:
        raise ScaffoldError('the title is empty; give the document a title, e.g. "Export invoices to CSV"')
    if doc_id is not None and not ID_RE.match(doc_id):
        raise ScaffoldError(f"--id {doc_id!r} is not a usable id; use letters, digits and '-', '_' or '.' "
                            "between them, e.g. export-invoices-csv")
    intents = list(dict.fromkeys(intents))
    _check_intents(content, intents, required=kind != "defect")
    if kind == "defect":
        tier = 3
        doc_id = doc_id or next_defect_id(content)
        rel = f"{DEFECTS_DIR}/{'-'.join(filter(None, (doc_id, slug_of(heading))))}.md"
    else:
        tier = 0 if tier is None else tier
        if kind == "runbook" and tier not in (1, 2, 3):
            raise ScaffoldError(f"a runbook is for agents and cannot be tier {tier}; use --tier 1, 2 or 3, "
                                "or write a tier 0 article for customers")
        if tier not in (0, 1, 2, 3):
            raise ScaffoldError(f"tier must be 0, 1, 2 or 3, not {tier}")
        doc_id = doc_id or slug_of(heading)
        if not doc_id:
            raise ScaffoldError(f"the title {heading!r} gives no usable id (ids use letters, digits and '-'); "
                                "pass one with --id")
        folder = f"kb/{intents[0].split('.', 1)[0]}" if kind == "article" else f"runbooks/tier{tier}"
        rel = f"{folder}/{doc_id}.md"
    _check_free(content, doc_id, rel)
    today = today or _dt.date.today()
    default_layout = site_config_of(content).runbook_layout if kind == "runbook" else None
    layout = layout or default_layout
    template = f"runbook-{layout}.md" if kind == "runbook" and layout != "steps" else f"{kind}.md"
    text = Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(
        id=doc_id, title=_yaml_scalar(heading), heading=heading, tier=tier, severity=severity,
        intents=_yaml_list(intents) if intents else "[]  # TODO: the intents it affects, from intents.yml",
        today=today.isoformat(), review_by=(today + REVIEW_AFTER).isoformat(),
        escalation=_escalation(tier) if kind == "runbook" else "",
        layout=f"layout: {layout}\n" if layout != default_layout else "")
    path = content.root / rel
    if not path.parent.resolve().is_relative_to((content.root / rel.split("/", 1)[0]).resolve()) or \
            (content.root / rel.split("/", 1)[0]).is_symlink():
        raise ScaffoldError(f"{rel}: {posixpath.dirname(rel)} leads out of the content root through a symbolic "
                            "link; kbgen writes documents only inside it")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_new(path, text.encode("utf-8"), rel)
    return NewDocument(rel, doc_id)


def _write_new(path: Path, data: bytes, rel: str) -> None:
    """Write a new file whole or not at all, and never over another: the text goes to a hidden file of its
    own beside it, linked into place only where nothing is. A full disk or a killed command leaves no
    empty document behind (which would break the build, and make a retry say the file exists)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.kbgen-tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise ScaffoldError(_exists(rel)) from None
        except OSError:  # a file system without hard links: create it exclusively, and remove it if unwritten
            _write_exclusively(path, data, rel)
    finally:
        temporary.unlink(missing_ok=True)


def _write_exclusively(path: Path, data: bytes, rel: str) -> None:
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        raise ScaffoldError(_exists(rel)) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
    except BaseException:
        path.unlink(missing_ok=True)  # the file this call made, unfinished
        raise


def slug_of(text: str) -> str:
    """An id and file name from a title: lowercase ASCII words joined by '-', at most MAX_SLUG long."""
    slug = slugify(text, "-").replace("_", "-")
    slug = re.sub(r"-{2,}", "-", slug).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG + 1].rsplit("-", 1)[0] if "-" in slug[:MAX_SLUG] else slug[:MAX_SLUG]
    return slug


def next_defect_id(content: ContentRoot) -> str:
    """One more than the highest DEF-NNNN in use, by id or by file name (a file that does not load still
    holds its number)."""
    numbers = [m[1] for d in content.documents if (m := DEFECT_ID_RE.match(d.id))]
    folder = content.root / DEFECTS_DIR
    numbers += [m[1] for p in (folder.iterdir() if folder.is_dir() else ()) if (m := DEFECT_ID_RE.match(p.name))]
    width = max([4] + [len(n) for n in numbers])
    return f"DEF-{max([0] + [int(n) for n in numbers]) + 1:0{width}d}"


def _check_intents(content: ContentRoot, intents: list[str], required: bool) -> None:
    if content.intents_yaml is None:
        raise ScaffoldError("intents.yml is missing or does not load; run kbgen validate to see why")
    if required and not intents:
        raise ScaffoldError("name the intent the document serves with --intent ID (ids are in intents.yml)")
    for intent in intents:
        if intent not in content.intents:
            raise ScaffoldError(f"intent '{intent}' is not defined in intents.yml"
                                f"{did_you_mean(intent, content.intents)}; add it there or fix the id")


def _check_free(content: ContentRoot, doc_id: str, rel: str) -> None:
    taken = {d.id.lower(): d for d in content.documents if d.id}
    if doc_id.lower() in taken:
        raise ScaffoldError(f"id '{doc_id}' is already used by {taken[doc_id.lower()].rel}; "
                            "pick another title or pass --id")
    if (content.root / rel).exists():
        raise ScaffoldError(_exists(rel))


def _exists(rel: str) -> str:
    return f"{rel} already exists; kbgen new never overwrites a file, so pick another title or pass --id"


def _escalation(tier: int) -> str:
    """Tier 1 and 2 runbooks must hand over (rule escalation-missing); tier 3 has no one above it."""
    if tier >= 3:
        return ""
    return (f"escalation:\n  to_tier: {tier + 1}\n"
            f"  when: \"TODO: the condition for handing over to Tier {tier + 1}, in plain words\"\n"
            f"  # queue: the queue the ticket is assigned to\n"
            f"  # runbook: id-of-the-tier-{tier + 1}-runbook-that-takes-over\n")


def _yaml_scalar(text: str) -> str:
    """``text`` as a one-line YAML scalar, quoted only when YAML needs it (``Error: 502``)."""
    return yaml.safe_dump(text, allow_unicode=True, width=1 << 30).split("\n", 1)[0]


def _yaml_list(items: list[str]) -> str:
    return "[" + ", ".join(_yaml_scalar(item) for item in items) + "]"
