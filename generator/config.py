"""Configuration of the kbgen MkDocs plugin (``plugins: [kbgen: {tier: N}]`` in mkdocs.yml).

``kbgen build`` configures the plugin of each tier it builds through these options, as MkDocs' ``build()``
moves state only through the configuration and the files: besides the settings a writer may give, it hands
over the content root it loaded, the page cache and a progress callback (objects, which mkdocs.yml cannot
hold)."""

import re
from collections.abc import Callable

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError

from . import layouts, rules
from .content import ContentRoot
from .defect_pages import FOLD_FIXED_DAYS
from .incremental import PageCache
from .known_issues import RECENTLY_FIXED_DAYS

PRIORITIES = ("P1", "P2", "P3", "P4")
DEFAULT_SEVERITIES = {
    "P1": "Critical: the service is down, or data is lost or exposed, for many customers; no workaround.",
    "P2": "High: a core feature is broken for a customer and there is no workaround.",
    "P3": "Medium: something fails, but there is a workaround.",
    "P4": "Low: a question, a cosmetic problem or a feature request.",
}
DEFAULT_SERVICE_TARGETS = {
    1: {"Chat first response": "< 60 s", "In-script resolution": "< 12 min"},
    2: {"First response": "< 2 h", "Resolution": "< 24 h"},
    3: {"Acknowledgement": "< 4 h", "Root cause communicated": "< 5 business days"},
}


class Severities(c.BaseConfigOption[dict]):
    """``severities: {P1: text, ...}``: what each priority means; those not given keep the defaults."""

    def __init__(self):
        super().__init__()
        self.default = {}

    def run_validation(self, value):
        if not isinstance(value, dict) or not set(value) <= set(PRIORITIES) or \
                not all(isinstance(text, str) and text.strip() for text in value.values()):
            raise ValidationError(f"give each of {', '.join(PRIORITIES)} a line of text, "
                                  "e.g. {P1: 'The service is down for many customers'}")
        return {**DEFAULT_SEVERITIES, **value}


class ServiceTargets(c.BaseConfigOption[dict]):
    """``service_targets: {tier: {target: value}}``, a value being one text for every priority or a mapping
    ``{P1: text, ...}``. A tier given replaces that tier's defaults (``{}`` shows none); the others keep them.
    Validated into ``{tier: {target: {priority: text}}}``."""

    def __init__(self):
        super().__init__()
        self.default = {}

    def run_validation(self, value):
        if not isinstance(value, dict) or not set(value) <= {1, 2, 3}:
            raise ValidationError("use the tiers 1, 2 and 3 as keys, e.g. {1: {'First response': '< 60 s'}}")
        targets = {**DEFAULT_SERVICE_TARGETS, **{tier: columns or {} for tier, columns in value.items()}}
        if not all(isinstance(columns, dict) for columns in targets.values()):
            raise ValidationError("give each tier a mapping of target names to texts, e.g. {'Resolution': '< 24 h'}")
        return {tier: {str(name): self._by_priority(tier, name, text) for name, text in columns.items()}
                for tier, columns in sorted(targets.items())}

    @staticmethod
    def _by_priority(tier, name, text) -> dict:
        if isinstance(text, (str, int, float)) and not isinstance(text, bool):
            return dict.fromkeys(PRIORITIES, str(text))
        if isinstance(text, dict) and set(text) <= set(PRIORITIES):
            return {priority: str(text[priority]) for priority in PRIORITIES if priority in text}
        raise ValidationError(f"tier {tier} target '{name}' must be a text such as '< 2 h', or a mapping of "
                              f"{', '.join(PRIORITIES)} to texts")


class RuleSeverities(c.BaseConfigOption[dict]):
    """``rules: {rule id: error | warning | off}``; which rules can be lowered is in :mod:`generator.rules`."""

    def __init__(self):
        super().__init__()
        self.default = {}

    def run_validation(self, value):
        try:
            return rules.severities(value)
        except rules.RulesError as exc:
            raise ValidationError(str(exc)) from None


class RouteAddress(c.Type):
    """A contact route's address: any other kind (a 'javascript:' one) would run in the reader's browser, on
    the public site."""

    def __init__(self):
        super().__init__(str)

    def run_validation(self, value):
        value = super().run_validation(value)
        if not ROUTE_ADDRESS_RE.match(value):
            raise ValidationError(f"{value!r} is not an https://, mailto: or tel: address")
        return value


ROUTE_ADDRESS_RE = re.compile(r"(?i)(?:https?://|mailto:|tel:)\S+\Z")


class SiteUrlTemplate(c.Type):
    """An address with ``{tier}`` in it, and no other ``{}`` field: a site's address is made from it."""

    def __init__(self):
        super().__init__(str)

    def run_validation(self, value):
        value = super().run_validation(value)
        try:
            address = value.format(tier=1)
        except (ValueError, KeyError, IndexError, AttributeError) as exc:
            raise ValidationError(f"{value!r} is no address template: {type(exc).__name__} {exc}; write the tier "
                                  "as {tier} and double any other brace ({{ }})") from None
        if "{tier}" not in value or not re.match(r"https?://\S+\Z", address):
            raise ValidationError(f"{value!r} is not an http(s) address with {{tier}} in it, such as "
                                  "'https://agents.example.com/tier{tier}/'")
        return value


class Days(c.Type):
    """A number of days, from 0 to 100 years: a date that far back or ahead is a date Python can write."""

    MOST = 36_500

    def __init__(self, default: int):
        super().__init__(int, default=default)

    def run_validation(self, value):
        value = super().run_validation(value)
        if isinstance(value, bool) or not 0 <= value <= self.MOST:
            raise ValidationError(f"{value!r} is not a number of days from 0 to {self.MOST:,}")
        return value


class ContactRoute(base.Config):
    """One way to reach Tier 1: shown in "Still need help?" and when search finds nothing good."""

    name = c.Type(str)
    """What the customer chooses, e.g. "Chat with us"."""

    url = RouteAddress()
    """Where it leads: ``https://...``, ``mailto:...`` or ``tel:...``."""

    hours = c.Optional(c.Type(str))
    """When someone answers, e.g. "Mon-Fri 8:00-18:00 CET"."""


class HandedOver(c.BaseConfigOption):
    """An object ``kbgen build`` hands the plugin; mkdocs.yml cannot set it."""

    def __init__(self, kind: type):
        super().__init__()
        self.kind = kind

    def run_validation(self, value):
        if not isinstance(value, self.kind):
            raise ValidationError("is set by kbgen build, not in mkdocs.yml")
        return value


class KbgenConfig(base.Config):
    tier = c.Choice((0, 1, 2, 3), default=0)
    """Tier of the site to build: 0 is the public help site, 1-3 the internal agent sites."""

    run_validation = c.Type(bool, default=True)
    """Refuse to build when ``kbgen validate`` finds errors. ``kbgen build`` validates once for all
    tiers before it starts MkDocs and turns this off for the tier builds."""

    shared_renders = c.Optional(c.Type(str))
    """Folder where the tiers of one build keep the renders of document pages they share (README,
    "Incremental builds"); ``kbgen build`` sets it. Without it every tier renders every page."""

    template_cache = c.Optional(c.Type(str))
    """Folder where compiled theme templates are kept between builds; ``kbgen build`` sets it."""

    keep_renderers = c.Type(bool, default=True)
    """Render a tier's pages with one Markdown pipeline, and each theme partial once for all the pages it
    renders the same on (``generator.renders.Pipeline``, ``generator.frames``); off, every page is rendered
    as MkDocs does, with a pipeline and partials of its own: the same files, more slowly."""

    root = c.Optional(c.Dir(exists=True))
    """Content root (intents.yml, kb/, runbooks/); defaults to the folder holding mkdocs.yml."""

    content = c.Optional(HandedOver(ContentRoot))
    """The content root ``kbgen build`` loaded and validated: the plugin does not read it again."""

    page_cache = c.Optional(HandedOver(PageCache))
    """The pages of the previous build to reuse, and the parts of this one to keep (incremental builds)."""

    progress = c.Optional(HandedOver(Callable))
    """Called with (pages done, pages in all) as pages are written."""

    internal_site_url = c.Optional(SiteUrlTemplate())
    """URL of the internal sites, with ``{tier}`` in it (e.g. ``https://agents.example.com/tier{tier}/``).
    Internal sites never use the public ``site_url``; without this they have none (no absolute URLs)."""

    severities = Severities()
    """What P1..P4 mean, shown on every runbook beside the service targets."""

    service_targets = ServiceTargets()
    """Service targets per tier, shown on that tier's runbooks (see README, "Runbooks")."""

    contact_routes = c.ListOfItems(c.SubConfig(ContactRoute), default=[])
    """How customers reach Tier 1 when self-service did not help, in order of preference."""

    rules = RuleSeverities()
    """Severity of validation rules, for a team phasing rules in on existing content (CONTRIBUTING.md, "Phasing
    rules in"): ``{runbook-steps: warning}``. Rules that keep the sites safe and whole cannot be lowered."""

    runbook_layout = c.Choice(tuple(layouts.LAYOUTS), default=layouts.DEFAULT)
    """The layout of runbooks whose front matter declares none: ``steps`` (When to use ... Escalate) or
    ``alert`` (Meaning, Impact, Diagnosis, Mitigation); see :mod:`generator.layouts`."""

    recently_fixed_days = Days(default=RECENTLY_FIXED_DAYS)
    """How long a fixed known issue stays under "Recently fixed" on the home page, in days since its fix
    (the known-issues page lists every one)."""

    fold_fixed_defects_days = Days(default=FOLD_FIXED_DAYS)
    """In a tier 2 runbook's "Known defects", entries of defects fixed longer ago than this many days fold
    into one closed "Older fixed defects" line."""

    internal_domains = c.ListOfItems(c.Type(str), default=[])
    """The company's internal domains (e.g. ``corp.example.com``): ``kbgen defect feed`` refuses to publish
    a host name under them, as it does names under ``.internal``, ``.corp``, ``.local`` and the like."""


def site_url_of(tier: int, site_url: str | None, internal_site_url: str | None) -> str | None:
    """The address of a tier's site: the public ``site_url`` for tier 0, ``internal_site_url`` for the others."""
    if tier == 0:
        return site_url
    return internal_site_url.format(tier=tier) if internal_site_url else None
