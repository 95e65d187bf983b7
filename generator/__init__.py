"""kbgen: a docs-as-code knowledge base and runbook generator for tiered support teams.

Library API (the CLI is a thin layer over it)::

    from generator.content import load
    from generator.validate import validate
    from generator.build import build
"""
