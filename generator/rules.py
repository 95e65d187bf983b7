"""Which validation rules a team may lower in mkdocs.yml, and applying what it chose.

A team bringing existing content into kbgen may phase in the rules about how a document is written::

    plugins:
      - kbgen:
          rules:
            runbook-section-missing: warning
            runbook-steps: off

The rules that keep internal content out of lower tiers' sites, keep the sites whole, or check what the
build reads cannot be lowered; any rule may be made an error.
"""

from __future__ import annotations

from dataclasses import replace

from .errors import KbgenError
from .findings import ERROR, WARNING, Finding, did_you_mean

OFF = "off"
SEVERITIES = (ERROR, WARNING, OFF)

# Why a rule cannot be lowered.
_READ = "a document that breaks it is not read as written, and is left out of the sites or built from other values"
_OUTSIDE = "a pull request could otherwise publish any file the build machine can read"
_FRONT_MATTER = "front matter decides which sites show a document and what its page says"
_NAMES = "pages, links and navigation are built from ids and intents"
_TIERS = "it keeps internal content out of lower tiers' sites"
_BROKEN = "without it the sites have broken links or pages"
_ESCALATION = "runbooks' escalation boxes and intent ladders are built from it, and would send agents the wrong way"
_TODO = "TODO: notes are written for colleagues, and would reach the site's readers as they are"
_PUBLIC = "it keeps private data out of the public pages kbgen defect feed writes"
_SYNONYMS = "search would be built from other synonyms than the file says"
_SETTINGS = "every site is built from mkdocs.yml, which kbgen does not build from as a guess"

# Every rule id kbgen reports, in the order of CONTRIBUTING.md's rule table: None for the rules a team may lower
# (they judge how well a document is written, and the sites are whole and safe without them), else why not.
RULES: dict[str, str | None] = {
    "file-empty": _READ,
    "file-bom": None,  # MkDocs and kbgen read the file without its byte-order mark
    "file-encoding": _READ,
    "file-too-large": _READ,
    "file-line-too-long": _READ,
    "file-not-file": _READ,
    "file-unreadable": _READ,
    "file-outside-root": _OUTSIDE,
    "file-not-regular": _READ,
    "file-name": "a file so named has no page, no link reaches it, or a link to it turns into markup",
    "attachment-too-large": _TIERS,
    "frontmatter-missing": _READ,
    "frontmatter-unclosed": _READ,
    "frontmatter-fence": _READ,
    "frontmatter-not-mapping": _READ,
    "yaml-syntax": _READ,
    "yaml-duplicate-key": _READ,
    "config-not-mapping": _SETTINGS,
    "config-tag": _SETTINGS,
    "config-too-large": _SETTINGS,
    "config-inherit": _SETTINGS,
    "config-inherit-cycle": _SETTINGS,
    "config-theme": _SETTINGS,
    "config-plugin-missing": _SETTINGS,
    "config-option": _SETTINGS,
    "missing-field": _FRONT_MATTER,
    "unknown-key": _FRONT_MATTER,
    "field-type": _FRONT_MATTER,
    "field-value": _FRONT_MATTER,
    "id-duplicate": _NAMES,
    "intent-unknown": _NAMES,
    "intents-missing": _NAMES,
    "intents-schema": _NAMES,
    "intent-duplicate": _NAMES,
    "intent-area": None,
    "synonyms-schema": _SYNONYMS,  # the area is then named after its id
    "tier-kind": _TIERS,
    "field-kind": _FRONT_MATTER,
    "escalation-tier": _ESCALATION,
    "escalation-target": _ESCALATION,
    "escalation-missing": None,  # the runbook then has no escalation box
    "escalation-cycle": _ESCALATION,
    "runbook-section-missing": None,  # the escalation box then ends the page; steps get no checkboxes
    "runbook-section-order": None,
    "runbook-steps": None,
    "intent-resolution-gap": None,
    "input-undeclared": None,  # the placeholder then shows as written, never filled in
    "input-unused": None,
    "input-literal": None,  # the command's copy button then copies the example value
    "escalation-text": None,  # the page then says when to escalate twice
    "todo-text": _TODO,
    "defect-dates": None,  # the health report's time to root cause skips dates out of order
    "defect-resolved": None,
    "defect-recurrence": None,  # the health report then counts no recurrence for it
    "defect-record": None,  # kbgen defect feed refuses the defect all the same
    "defect-approval": None,  # kbgen defect feed refuses the defect all the same
    "defect-section": None,
    "internal-unclosed": _TIERS,
    "internal-argument": _TIERS,
    "internal-blank-line": _BROKEN,
    "internal-redundant": None,
    "internal-not-hidden": _TIERS,
    "internal-absorbed": _READ,
    "markdown-too-deep": _READ,
    "internal-nesting": _TIERS,
    "internal-marker": _TIERS,
    "fence-unclosed": _TIERS,
    "html-comment-public": None,  # the comment is in the page's source, not in what the page shows
    "html-script": None,  # a warning: a team may embed a widget it trusts
    "link-broken": _BROKEN,
    "link-outside-root": _BROKEN,
    "link-unpublished": _BROKEN,
    "link-higher-tier": _TIERS,
    "link-anchor": _BROKEN,
    "link-absolute": _BROKEN,
    "link-raw-html": _BROKEN,
    "snippet-outside": _TIERS,
    "snippet-missing": _BROKEN,
    "snippet-part-internal": _TIERS,
    "feed-not-resolved": _PUBLIC,
    "feed-not-approved": _PUBLIC,
    "feed-section-missing": _PUBLIC,
    "feed-link-tier": _PUBLIC,
    "feed-article": _PUBLIC,
    "feed-region-edited": _PUBLIC,
    "feed-region": _PUBLIC,
    "feed-email": _PUBLIC,
    "feed-phone": _PUBLIC,
    "feed-ip-address": _PUBLIC,
    "feed-customer-id": _PUBLIC,
    "feed-secret": _PUBLIC,
    "feed-internal-host": _PUBLIC,
    "feed-snippet": _PUBLIC,
    "feed-raw-html": _PUBLIC,
    "feed-internal-block": _PUBLIC,
    "feed-unclosed-fence": _PUBLIC,
    "feed-title": _PUBLIC,
    "feed-render": _PUBLIC,
}
ADJUSTABLE = tuple(rule for rule, reason in RULES.items() if reason is None)


class RulesError(KbgenError):
    """The ``rules`` option names an unknown rule, a severity that does not exist, or lowers a fixed rule."""


def severities(value) -> dict[str, str]:
    """The ``rules`` option checked, as ``{rule id: severity}``; every mistake in it is named at once."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RulesError("'rules' must map rule ids to error, warning or off, e.g. {runbook-steps: warning}")
    chosen, problems = {}, []
    for rule, severity in value.items():
        severity = OFF if severity is False else severity  # YAML reads a bare off as false
        if rule not in RULES:
            problems.append(f"'{rule}' is not a kbgen rule{did_you_mean(rule, RULES)}")
        elif severity not in SEVERITIES:
            problems.append(f"'{rule}: {severity}' is not a severity; use error, warning or off")
        elif RULES[rule] is not None and severity != ERROR:
            lowered = "made a warning" if severity == WARNING else "turned off"
            problems.append(f"'{rule}' cannot be {lowered}: {RULES[rule]}")
        else:
            chosen[rule] = severity
    if problems:
        raise RulesError("; ".join(problems) + f" (the rules that can be lowered: {', '.join(ADJUSTABLE)})")
    return chosen


def apply(findings: list[Finding], chosen: dict[str, str]) -> list[Finding]:
    """The findings with the severities a team chose: a rule turned off reports nothing."""
    return [replace(f, severity=chosen[f.rule]) if f.rule in chosen else f
            for f in findings if chosen.get(f.rule) != OFF]
