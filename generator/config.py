"""Configuration of the kbgen MkDocs plugin (``plugins: [kbgen: {tier: N}]`` in mkdocs.yml)."""

from mkdocs.config import base
from mkdocs.config import config_options as c


class KbgenConfig(base.Config):
    tier = c.Choice((0, 1, 2, 3), default=0)
    """Tier of the site to build: 0 is the public help site, 1-3 the internal agent sites."""

    run_validation = c.Type(bool, default=True)
    """Refuse to build when ``kbgen validate`` finds errors. ``kbgen build`` validates once for all
    tiers before it starts MkDocs and turns this off for the tier builds."""

    root = c.Optional(c.Dir(exists=True))
    """Content root (intents.yml, kb/, runbooks/); defaults to the folder holding mkdocs.yml."""

    internal_site_url = c.Optional(c.Type(str))
    """URL of the internal sites, with ``{tier}`` in it (e.g. ``https://agents.example.com/tier{tier}/``).
    Internal sites never use the public ``site_url``; without this they have none (no absolute URLs)."""
