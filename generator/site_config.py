"""The site configuration: a content root's ``mkdocs.yml`` over kbgen's defaults, read as data and checked.

MkDocs reads mkdocs.yml with PyYAML's full loader, which runs ``!!python/...`` tags, expands aliases
without bound and follows ``INHERIT`` into itself. kbgen never lets it parse a writer's file: it reads the
configuration here, with YAML's safe loader plus ``!ENV`` and ``INHERIT`` as MkDocs reads them, bounded in
size, nesting, alias expansion and INHERIT chain, and hands MkDocs the checked data
(:meth:`SiteConfig.mkdocs_yaml`). Every problem is a finding naming file, line and rule, which
``kbgen validate`` reports with the content's.

The configuration is kbgen's defaults (``generator/defaults/mkdocs.yml``), then the files the root's
mkdocs.yml INHERITs, then the root's mkdocs.yml, merged as MkDocs merges INHERIT: mappings key by key,
any other value replaced. A mkdocs.yml holding only ``site_name`` is enough.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mergedeep
import yaml
from yaml_env_tag import construct_env_tag

from . import rules
from .content import CONTENT_DIRS, SNIPPETS_DIR, THEME_DIR, ContentRoot, theme_findings, unreadable_scalar
from .errors import KbgenError
from .findings import ERROR, Finding, did_you_mean, has_errors
from .layouts import DEFAULT as DEFAULT_LAYOUT, LAYOUTS

CONFIG_FILE = "mkdocs.yml"
DEFAULTS = Path(__file__).parent / "defaults" / CONFIG_FILE
THEME = "material"  # kbgen's page templates extend mkdocs-material's
KBGEN = "kbgen"
BUNDLED_PLUGINS = {"search", KBGEN}  # installed with kbgen itself: never looked up
# MkDocs settings checked apart (theme, plugins, markdown_extensions), set by kbgen for every build (docs_dir,
# site_dir), or never loaded by kbgen validate: hooks are Python files, which validation does not run.
NOT_MKDOCS_CHECKED = {"theme", "plugins", "markdown_extensions", "docs_dir", "site_dir", "hooks"}
# Extensions kbgen refuses, and why: one takes a page's own text away from every tier, silently (front matter
# already holds what it would read); one puts into a page a file no check of a page's links sees.
REFUSED_EXTENSIONS = {
    "meta": "it reads a page's first lines that look like 'Name: value' as settings, and no tier shows them; "
            "front matter holds a document's settings: remove it",
    "pymdownx.b64": "it embeds the files a page's images name, found from its own base_path rather than from the "
                    "page, inside the page: the tier checks of a page's links and the leak audit cannot see which "
                    "file a site then shows; remove it",
}
# MkDocs settings kbgen refuses, and why: what each site shows is the documents' tier and status.
LEAVES_OUT = ("MkDocs would leave out or mark the documents it names in every site, without a finding ('*' empties "
              "them all); a document's tier and its status (draft, archived) say which sites show it: remove it")
REFUSED_SETTINGS = dict.fromkeys(("exclude_docs", "draft_docs", "not_in_nav"), LEAVES_OUT)
# Plugins kbgen refuses, and why: a build must read mkdocs.yml as data, offline, and build only its tiers.
REFUSED_PLUGINS = {
    "projects": "it builds folders of the root as sites of their own, outside the tiers, and reads their "
                "mkdocs.yml with a loader that runs code written in it; remove it",
    "info": "it reaches the network and packs the build machine's files for a bug report; remove it",
    "blog": "it makes pages of its own (posts, archives, categories) from the docs folder, outside the tiers, "
            "and fails on the pages kbgen supplies; write articles instead: remove it",
}
MAX_BYTES = 1 << 20  # one configuration file at most (kbgen's defaults: 2 KB)
MAX_VALUES = 100_000  # values in one file once its aliases are expanded (kbgen's defaults: about 100)
MAX_DEPTH = 64  # values nested in values
MAX_INHERIT = 16  # files in one INHERIT chain
_YAML = "tag:yaml.org,2002:"
_ENV = "!ENV"
TAGS = {_YAML + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge",
                                   "value")} | {_ENV}  # YAML's own types, ``<<`` merge keys and MkDocs' !ENV

Where = dict[tuple[str, ...], tuple[str, int, int]]  # path of keys (as written) -> (file, line, col)


class ConfigError(KbgenError):
    """mkdocs.yml cannot be used as it is; ``findings`` say where and why."""


class _Loader(yaml.SafeLoader):
    """YAML's safe types, and ``!ENV`` as MkDocs reads it (pyyaml-env-tag): nothing runs code."""


_Loader.add_constructor(_ENV, construct_env_tag)


class _TooDeep(yaml.MarkedYAMLError):
    """Values nested deeper than :data:`MAX_DEPTH`: refused while composing, before the parser's recursion
    would run out of stack."""


class _Composer(yaml.SafeLoader):
    """Composes YAML nodes (nothing is built or run yet), refusing nesting deeper than :data:`MAX_DEPTH`."""

    depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(problem=f"values are nested deeper than {MAX_DEPTH} levels",
                               problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


@dataclass
class SiteConfig:
    """The checked configuration of a content root's sites."""

    path: Path  # the root's mkdocs.yml, or kbgen's defaults without one: MkDocs resolves relative paths from it
    data: dict  # the merged settings; kbgen's defaults alone while they have errors (findings say which)
    findings: list[Finding] = field(default_factory=list)
    plugins: list = field(default_factory=list)  # the plugins besides kbgen, as MkDocs lists them
    kbgen_options: dict = field(default_factory=dict)  # the kbgen plugin's options, as written
    where: Where = field(default_factory=dict)  # where each setting is written

    def position(self, path: tuple) -> tuple[str, int, int]:
        """(file, line, column) of a setting (keys and list indices), or of the nearest one around it."""
        path = tuple(str(step) for step in path)
        while path and path not in self.where:
            path = path[:-1]
        return self.where.get(path, (CONFIG_FILE, 1, 1))

    @property
    def rules(self) -> dict[str, str]:
        """The rule severities the kbgen options choose; none while they are not valid (findings say why)."""
        try:
            return rules.severities(self.kbgen_options.get("rules"))
        except rules.RulesError:
            return {}

    @property
    def runbook_layout(self) -> str:
        """The layout of runbooks that declare none (see :mod:`generator.layouts`); the default while the
        option is not valid (findings say why)."""
        chosen = self.kbgen_options.get("runbook_layout")
        return chosen if isinstance(chosen, str) and chosen in LAYOUTS else DEFAULT_LAYOUT

    def checked(self) -> SiteConfig:
        """This configuration, or :class:`ConfigError` when it has errors: for what must not run on a guess."""
        errors = [f for f in self.findings if f.severity == ERROR]
        if errors:
            raise ConfigError(f"{CONFIG_FILE} is not valid ({len(errors)} error(s)); fix what kbgen validate "
                              "reports", errors)
        return self

    def mkdocs_yaml(self) -> str:
        """The settings as YAML that MkDocs reads back as the same data: no INHERIT, no tag but YAML's own."""
        return yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True)


def canonical_json(value) -> str:
    """Settings as JSON for a digest: sorted, with keys of any kind YAML allows (``5:``, ``~:``, which JSON
    cannot sort beside text) as text of their own."""
    return json.dumps(_text_keys(value), sort_keys=True, default=str)


def _text_keys(value):
    if isinstance(value, dict):
        return {key if isinstance(key, str) else f"\0{type(key).__name__}:{key}": _text_keys(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_text_keys(item) for item in value]
    return value


def of(content: ContentRoot) -> SiteConfig:
    """The configuration of a loaded root, read and checked once: every part of a command asks here."""
    return content.once("site-config", lambda: read(content.root))


def read(root: Path | str) -> SiteConfig:
    """The configuration of a content root's sites: kbgen's defaults, under the root's mkdocs.yml if it has one."""
    root = Path(root).resolve()
    data, where, findings = _read_chain(DEFAULTS, root, ())
    defaults = copy.deepcopy(data)
    own = root / CONFIG_FILE
    path = DEFAULTS
    if own.exists() and not own.is_file():  # a folder, a named pipe, a device: never opened
        findings.append(Finding(CONFIG_FILE, 1, 1, "file-not-regular", ERROR,
                                f"{CONFIG_FILE} is not a regular file; make it one (or remove it to use the defaults)"))
    elif own.is_file():
        path = own
        own_data, own_where, own_findings = _read_chain(own, root, ())
        data = mergedeep.merge(data, own_data)
        where.update(own_where)
        findings += own_findings
    config = SiteConfig(path, data, findings, where=where)
    config.findings += _check(config, root)
    if has_errors(config.findings):  # what reads the settings never meets broken ones
        config.data = defaults
    return config


def _display(path: Path, root: Path) -> str:
    """A file as findings name it: relative to the root when inside it."""
    path = Path(os.path.abspath(path))
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


def _read_chain(path: Path, root: Path, chain: tuple[str, ...]) -> tuple[dict, Where, list[Finding]]:
    """One file merged over the files it INHERITs: (data, where each key is written, findings)."""
    rel = _display(path, root)
    data, where, findings = _read_file(path, rel)
    if "INHERIT" not in data:
        return data, where, findings
    target = data.pop("INHERIT")
    line, col = where.get(("INHERIT",), (rel, 1, 1))[1:]

    def refuse(rule: str, message: str):
        return data, where, findings + [Finding(rel, line, col, rule, ERROR, message)]

    if not isinstance(target, str) or not target.strip():
        return refuse("config-inherit", "INHERIT must name the file this one builds on, e.g. "
                                        "'INHERIT: generator/defaults/mkdocs.yml'")
    parent = Path(os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), target)))
    if not parent.is_file():
        return refuse("config-inherit", f"INHERIT: '{target}' is no file (looked for {parent}); fix the path, "
                                        "which is relative to this file")
    if not _inheritable(parent, root):
        return refuse("file-outside-root", f"INHERIT: '{target}' is outside the content root ({parent}); a pull "
                                           "request could publish any file the build machine can read: copy the "
                                           "settings into the root, or inherit kbgen's own defaults")
    followed = chain + (os.path.realpath(path),)
    if os.path.realpath(parent) in followed:
        return refuse("config-inherit-cycle", f"INHERIT: '{target}' leads back to a file that inherits it: "
                                              "remove the INHERIT that closes the circle")
    if len(followed) >= MAX_INHERIT:
        return refuse("config-inherit", f"INHERIT goes through more than {MAX_INHERIT} files; merge some of them")
    base, base_where, base_findings = _read_chain(parent, root, followed)
    return mergedeep.merge(base, data), {**base_where, **where}, base_findings + findings


def _inheritable(path: Path, root: Path) -> bool:
    """Whether INHERIT may name ``path``: a file of the content root, or kbgen's defaults (links followed)."""
    real = Path(os.path.realpath(path))
    return real.is_relative_to(os.path.realpath(root)) or real == Path(os.path.realpath(DEFAULTS))


def _read_file(path: Path, rel: str) -> tuple[dict, Where, list[Finding]]:
    """One YAML file as a mapping, with where each key is written; an unusable file reads as {}."""
    def refuse(line: int, col: int, rule: str, message: str):
        return {}, {}, [Finding(rel, line, col, rule, ERROR, message)]

    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_BYTES + 1)  # not trusting the size the file system tells (/proc, devices)
        if len(raw) > MAX_BYTES:
            return refuse(1, 1, "config-too-large", f"the file is larger than {MAX_BYTES >> 20} MB; a site's "
                                                    "configuration is a few KB: is it the right file?")
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return refuse(1, 1, "file-encoding", f"not UTF-8 ({exc.reason} at byte {exc.start}); re-save it as UTF-8")
    except OSError as exc:
        return refuse(1, 1, "file-unreadable", f"cannot read the file: {exc.strerror or exc}")
    try:
        node = yaml.compose(text, Loader=_Composer)
    except _TooDeep as exc:
        return refuse(*_line_col(exc), "config-too-large", f"{exc.problem}; write the settings flatter")
    except yaml.MarkedYAMLError as exc:
        return refuse(*_line_col(exc), "yaml-syntax", f"YAML syntax error: {_problem(exc)}; fix the YAML at this line")
    except yaml.YAMLError as exc:
        return refuse(1, 1, "yaml-syntax", f"YAML error: {exc}")
    if node is None:  # an empty file, as in MkDocs
        return {}, {}, []
    shape = _Shape(rel)
    shape.check(node)
    if shape.findings:
        return {}, {}, shape.findings
    if not isinstance(node, yaml.MappingNode) or node.tag != _YAML + "map":
        return refuse(node.start_mark.line + 1, node.start_mark.column + 1, "config-not-mapping",
                      f"{CONFIG_FILE} must be settings as 'key: value' lines, e.g. 'site_name: Help Centre', "
                      f"not a {_kind(node)}")
    try:
        data = _Loader("").construct_document(node)
    except yaml.MarkedYAMLError as exc:
        return refuse(*_line_col(exc), "yaml-syntax", f"YAML error: {_problem(exc)}; fix the YAML at this line")
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:  # e.g. an !ENV variable set to 2025-02-30
        return refuse(1, 1, "yaml-syntax", f"YAML error: {exc}")
    except (KeyError, IndexError, AttributeError):  # a tagged scalar PyYAML cannot read: !!bool maybe, !!int ''
        bad = unreadable_scalar(node, _Loader("").construct_object)
        return refuse(bad.start_mark.line + 1, bad.start_mark.column + 1, "yaml-syntax",
                      f"'{getattr(bad, 'value', '')}' is not a value of its tag {_short(bad.tag)}; fix the YAML at this line")
    return data, shape.where, []


def _line_col(exc: yaml.MarkedYAMLError) -> tuple[int, int]:
    mark = exc.problem_mark or exc.context_mark
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def _problem(exc: yaml.MarkedYAMLError) -> str:
    return f"{exc.problem} ({exc.context})" if exc.problem and exc.context else exc.problem or exc.context or str(exc)


def _kind(node: yaml.Node) -> str:
    return "list" if isinstance(node, yaml.SequenceNode) else "single value" if isinstance(node, yaml.ScalarNode) \
        else f"'{_short(node.tag)}' value"


def _short(tag: str) -> str:
    return tag.replace(_YAML, "!!", 1)


class _Stop(Exception):
    """Checking a file stops at its first structural problem: the rest would only repeat it."""


class _Shape:
    """Checks a composed YAML file before anything is built from it: only known tags, no key twice, nesting
    and alias expansion bounded (an alias is the same node met again, so sizes are counted once per node)."""

    def __init__(self, rel: str):
        self.rel = rel
        self.findings: list[Finding] = []
        self.where: Where = {}
        self.sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, levels) under it, aliases expanded
        self.open: set[int] = set()  # the nodes being counted: meeting one again is an alias into itself

    def check(self, node: yaml.Node) -> None:
        try:
            self._size(node, ())
        except _Stop:
            pass

    def _refuse(self, node: yaml.Node, rule: str, message: str) -> None:
        mark = node.start_mark
        self.findings.append(Finding(self.rel, mark.line + 1, mark.column + 1, rule, ERROR, message))
        raise _Stop

    def _size(self, node: yaml.Node, path: tuple[str, ...]) -> tuple[int, int]:
        """(values, levels) of the node, aliases expanded: an alias repeats a value, without copying its node."""
        key = id(node)
        if key in self.sizes:
            return self.sizes[key]
        if key in self.open:
            self._refuse(node, "config-too-large", "an alias refers to the value that holds it, which would "
                                                   "never end; write the value out")
        if node.tag not in TAGS:
            code = " (it would run Python code)" if node.tag.startswith(_YAML + "python/") else ""
            self._refuse(node, "config-tag", f"kbgen does not read the tag '{_short(node.tag)}'{code}: {CONFIG_FILE} "
                                             "is data, YAML's own types plus !ENV and INHERIT; remove the tag")
        if node.tag == _YAML + "timestamp":
            try:
                _Loader("").construct_yaml_timestamp(node)
            except (ValueError, AttributeError) as exc:  # AttributeError: no date at all ('!!timestamp hello')
                self._refuse(node, "yaml-syntax", f"'{node.value}' is no date ({exc}); write a real date, or "
                                                  "quote it to keep it text")
        self.where.setdefault(path, (self.rel, node.start_mark.line + 1, node.start_mark.column + 1))
        self.open.add(key)
        children = []
        if isinstance(node, yaml.SequenceNode):
            children = [(item, path + (str(index),)) for index, item in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            seen = set()
            for name, value in node.value:
                if isinstance(name, yaml.ScalarNode) and name.tag != _YAML + "merge":
                    if (name.tag, name.value) in seen:
                        self._refuse(name, "yaml-duplicate-key", f"'{name.value}' is given twice (YAML would keep "
                                                                 "only the last); delete one")
                    seen.add((name.tag, name.value))
                step = path + (name.value if isinstance(name, yaml.ScalarNode) else "?",)
                children += [(name, step), (value, step)]
        size, levels = 1, 1
        for child, step in children:
            child_size, child_levels = self._size(child, step)
            size, levels = size + child_size, max(levels, child_levels + 1)
        self.open.discard(key)
        if size > MAX_VALUES:
            self._refuse(node, "config-too-large", f"aliases expand this value to more than {MAX_VALUES:,} values; "
                                                   "a site's configuration is far smaller: write it out")
        if levels > MAX_DEPTH:
            self._refuse(node, "config-too-large", f"aliases nest this value deeper than {MAX_DEPTH} levels; "
                                                   "write it out")
        self.sizes[key] = size, levels
        return size, levels


Problem = tuple[tuple, str, str]  # (path of keys, rule, message)


def _check(config: SiteConfig, root: Path) -> list[Finding]:
    """What the merged settings must be for kbgen to build from them, each problem found where it is written.
    Sets ``config.plugins`` and ``config.kbgen_options``."""
    def at(path: tuple, rule: str, message: str) -> Finding:
        return Finding(*config.position(path), rule, ERROR, message)

    extensions = _markdown_problem(config.data.get("markdown_extensions"))
    problems = [*_mkdocs_problems(config), *_theme_problems(config, root), *_hook_problems(config, root),
                *_plugin_problems(config)]
    if extensions:
        problems.append((("markdown_extensions",), "config-option", f"markdown_extensions: {extensions}"))
    found = [at(*problem) for problem in problems]
    theme = config.data.get("theme")
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    if not found and isinstance(custom, str):  # its files as overrides/ is checked: no link out, no pipe
        folder = Path(os.path.realpath(config.path.parent / custom))
        if folder != Path(os.path.realpath(root / THEME_DIR)):
            found += theme_findings(root, folder.relative_to(Path(os.path.realpath(root))).as_posix())
    return found


def _inside(root: Path, path: Path) -> bool:
    """Whether ``path``, links followed, is inside the content root."""
    return Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(root)))


def _mkdocs_problems(config: SiteConfig) -> list[Problem]:
    """MkDocs' own settings as MkDocs checks them (site_name given, site_url an address, nav a list, ...);
    MkDocs names the first it refuses. Those of :data:`REFUSED_SETTINGS` are refused first."""
    from mkdocs.config.defaults import MkDocsConfig

    refused = [((key,), "config-option", f"{key}: {why}") for key, why in REFUSED_SETTINGS.items() if key in config.data]
    if refused:
        return refused

    settings = {key: copy.deepcopy(value) for key, value in config.data.items() if key not in NOT_MKDOCS_CHECKED}
    with tempfile.TemporaryDirectory(prefix="kbgen-check-") as work:  # folders as a build gives MkDocs
        (Path(work) / "docs").mkdir()
        mkdocs = MkDocsConfig(config_file_path=str(config.path))
        mkdocs.load_dict({**settings, "docs_dir": str(Path(work) / "docs"), "site_dir": str(Path(work) / "site")})
        errors, _ = mkdocs.validate()
    return [((key,), "config-option", f"{key}: {error}") for key, error in errors]


def _theme_problems(config: SiteConfig, root: Path) -> list[Problem]:
    """mkdocs-material, with a custom_dir that is a theme folder of the root."""
    theme = config.data.get("theme")
    name = theme.get("name") if isinstance(theme, dict) else theme
    problems = []
    if name != THEME:
        problems.append((("theme", "name") if isinstance(theme, dict) else ("theme",), "config-theme",
                         f"the theme is {name!r}, but kbgen's pages are built on mkdocs-material: use "
                         "'theme: {name: material}', or leave theme out to take kbgen's"))
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    if custom is not None and not (isinstance(custom, str) and (config.path.parent / custom).is_dir()):
        problems.append((("theme", "custom_dir"), "config-theme", f"custom_dir {custom!r} is not a folder; name "
                                                                  "the theme overrides' folder, relative to "
                                                                  f"{CONFIG_FILE}"))
    elif custom is not None:
        folder = Path(os.path.realpath(config.path.parent / custom))
        real_root = Path(os.path.realpath(root))
        content = [real_root / name for name in (*CONTENT_DIRS, SNIPPETS_DIR)]
        if not _inside(root, folder) or folder == real_root or any(folder.is_relative_to(c) or c.is_relative_to(folder)
                                                                   for c in content):
            problems.append((("theme", "custom_dir"), "config-theme",
                             f"custom_dir {custom!r} is not a theme folder of the content root: MkDocs copies every "
                             "file in it into every site, the public one too; name a folder inside the root that "
                             f"holds only templates and theme assets, such as '{THEME_DIR}'"))
    if not problems and isinstance(theme, dict):
        problems += _material_problems(theme) or _mkdocs_theme_problems(config, theme)
    return problems


def _material_problems(theme: dict) -> list[Problem]:
    """mkdocs-material's options of the kinds its templates read (they fail on a page, naming no setting):
    ``palette`` a mapping or a list of them, ``features`` a list of names, ``language`` and ``icon`` names
    of its own files, no path."""
    problems = []
    palette = theme.get("palette")
    if palette is not None and not (isinstance(palette, dict) or
                                    isinstance(palette, list) and all(isinstance(item, dict) for item in palette)):
        problems.append((("theme", "palette"), "config-theme", "palette is a mapping of options (scheme: slate), or "
                                                              "a list of them for a colour switch"))
    features = theme.get("features")
    if features is not None and not (isinstance(features, list) and all(isinstance(item, str) for item in features)):
        problems.append((("theme", "features"), "config-theme", "features is a list of names, e.g. [navigation.tabs]"))
    icons = theme.get("icon") if isinstance(theme.get("icon"), dict) else {}
    named = [(("theme", "language"), theme.get("language"))] + [
        (("theme", "icon", key, *([inner] if inner is not None else [])), value)  # icon.admonition: {note: ...}
        for key, group in icons.items()
        for inner, value in (group.items() if isinstance(group, dict) else [(None, group)])]
    for path, value in named:
        if value is not None and (not isinstance(value, str) or ".." in value.split("/") or value.startswith("/")):
            problems.append((path, "config-theme", f"{'.'.join(path)}: {value!r} is not a name of the theme's own "
                                                   "(such as 'en', or 'material/library' for an icon)"))
    return problems


def _mkdocs_theme_problems(config: SiteConfig, theme: dict) -> list[Problem]:
    """The theme's settings as MkDocs checks them when it loads the theme (an unknown ``locale``, ...)."""
    from mkdocs.config.defaults import MkDocsConfig

    theme = {**copy.deepcopy(theme)}
    if isinstance(theme.get("custom_dir"), str):
        theme["custom_dir"] = str(config.path.parent / theme["custom_dir"])
    with tempfile.TemporaryDirectory(prefix="kbgen-check-") as work:
        (Path(work) / "docs").mkdir()
        mkdocs = MkDocsConfig(config_file_path=str(config.path))
        mkdocs.load_dict({"site_name": "check", "theme": theme, "docs_dir": str(Path(work) / "docs"),
                          "site_dir": str(Path(work) / "site")})
        errors, _ = mkdocs.validate()
    return [(("theme",), "config-theme", f"theme: {error}") for key, error in errors if key == "theme"]


def _hook_problems(config: SiteConfig, root: Path) -> list[Problem]:
    """MkDocs runs each hook as Python in every build: only files of the content root, which its reviews see."""
    hooks = config.data.get("hooks")
    return [(("hooks", index), "config-option",
             f"hooks: {hook!r} is outside the content root; a build runs only hooks kept with the content")
            for index, hook in enumerate(hooks if isinstance(hooks, list) else [])
            if isinstance(hook, str) and not _inside(root, config.path.parent / hook)]


GROUP_PLUGIN = "group"  # mkdocs-material's: runs the plugins listed in its options, when enabled


def _plugin_problems(config: SiteConfig) -> list[Problem]:
    """Plugins that are installed, each with a mapping of options, and kbgen options its plugin accepts; the
    plugins a ``group`` runs are held to the same rules (it would run a refused one as readily)."""
    entries, problems = _plugin_entries(config.data.get("plugins"))
    return problems + _entry_problems(config, entries, ())


def _entry_problems(config: SiteConfig, entries: list[tuple[str, object, tuple]], group: tuple) -> list[Problem]:
    """What is wrong with each plugin of ``entries``, listed at the top (``group`` empty) or by a group at that
    path; those at the top are added to ``config.plugins``."""
    problems: list[Problem] = []
    installed = None
    for plugin, options, path in entries:
        if options is not None and not isinstance(options, dict):
            problems.append((path, "config-option", f"the options of plugin '{plugin}' must be 'option: value' "
                                                    f"lines under '- {plugin}:'"))
        elif plugin == KBGEN and options and not group:
            config.kbgen_options = options
            problems += [(path + (option,), "config-option", message)
                         for option, message in _kbgen_problems(options, config.path)]
        if plugin == KBGEN:
            if group:
                problems.append((path, "config-option", "plugin 'kbgen' runs once for every site, not in a group: "
                                                        "list it under plugins"))
            continue
        if plugin.removeprefix(f"{THEME}/") in REFUSED_PLUGINS:
            problems.append((path, "config-option", f"plugin '{plugin}': "
                                                    f"{REFUSED_PLUGINS[plugin.removeprefix(f'{THEME}/')]}"))
            continue
        if plugin.removeprefix(f"{THEME}/") == GROUP_PLUGIN and isinstance(options, dict) and options.get("plugins"):
            inner, listed = _plugin_entries(options["plugins"])
            problems += [(path + ("plugins",) + inner_path[1:], rule, message) for inner_path, rule, message in listed]
            problems += _entry_problems(config, [(name, value, path + ("plugins",) + inner_path[1:])
                                                 for name, value, inner_path in inner], path)
        if not group:
            config.plugins.append({plugin: options} if options is not None else plugin)
        if plugin not in BUNDLED_PLUGINS:
            installed = installed if installed is not None else _installed_plugins()
            if plugin not in installed and f"{THEME}/{plugin}" not in installed:  # the theme's own, as in MkDocs
                problems.append((path, "config-plugin-missing", f"plugin '{plugin}' is not installed"
                                 f"{did_you_mean(plugin, installed)}; install its package beside kbgen, "
                                 "or remove it from plugins"))
    return problems


def _plugin_entries(plugins) -> tuple[list[tuple[str, object, tuple]], list[Problem]]:
    """(name, options or None, path) of each plugin listed, and what is wrong with the list itself.
    No plugins listed means MkDocs' own choice: search."""
    if plugins is None or plugins == []:
        return [("search", None, ("plugins",))], []
    if isinstance(plugins, dict):
        return [(str(name), options, ("plugins", name)) for name, options in plugins.items()], []
    if not isinstance(plugins, list):
        return [], [(("plugins",), "config-option", "plugins must be a list of plugin names, e.g. [search, kbgen]")]
    entries, problems = [], []
    for index, entry in enumerate(plugins):
        if isinstance(entry, str):
            entries.append((entry, None, ("plugins", index)))
        elif isinstance(entry, dict) and len(entry) == 1 and isinstance(next(iter(entry)), str):
            name, options = next(iter(entry.items()))
            entries.append((name, options, ("plugins", index, name)))
        else:
            problems.append((("plugins", index), "config-option",
                             "each plugin is a name, or 'name:' with its options under it"))
    return entries, problems


def _markdown_problem(extensions) -> str | None:
    """Why MkDocs would refuse the Markdown extensions, if it would: it loads each with its options, as the
    pages and validation do."""
    from mkdocs.config.base import ValidationError
    from mkdocs.config.config_options import MarkdownExtensions

    try:
        MarkdownExtensions().run_validation(copy.deepcopy(extensions) if extensions is not None else [])
    except ValidationError as exc:
        lines = str(exc).strip().splitlines()  # the first says which extension, the last why (a stack between)
        return lines[0] + (f" {lines[-1]}" if len(lines) > 1 else "")
    except Exception:  # noqa: BLE001 - MkDocs' own check trips over some shapes, e.g. [{}] (KeyError)
        return "each extension is a name, or 'name:' with its options under it"
    for extension in extensions or []:  # a list of names or one-key mappings: MkDocs accepted it
        name = next(iter(extension)) if isinstance(extension, dict) else extension
        if name.removeprefix("markdown.extensions.") in REFUSED_EXTENSIONS:
            return f"{name}: {REFUSED_EXTENSIONS[name.removeprefix('markdown.extensions.')]}"
        options = extension.get(name) if isinstance(extension, dict) else None
        if name == "pymdownx.critic" and isinstance(options, dict) and options.get("mode", "view") != "view":
            return (f"{name}: mode '{options['mode']}' rewrites the text before blocks are read ('///{{--x--}}' "
                    "becomes a block's end), so what an internal block holds is not what is written; use the "
                    "default mode, view, or leave it out")
    return None


def _installed_plugins() -> set[str]:
    from importlib.metadata import entry_points

    return {entry.name for entry in entry_points(group="mkdocs.plugins")}


def _kbgen_problems(options: dict, config_path: Path) -> list[tuple[str, str]]:
    """(option, what is wrong) for each kbgen option the plugin would refuse, every one named at once."""
    from .config import KbgenConfig  # MkDocs' option types: imported only when there are options to check

    known = set(KbgenConfig(config_file_path=str(config_path)))
    problems = []
    for option, value in options.items():
        if option not in known:
            problems.append((option, f"'{option}' is not a kbgen option{did_you_mean(option, known)}"))
            continue
        single = KbgenConfig(config_file_path=str(config_path))
        single.load_dict({option: copy.deepcopy(value)})
        errors, _ = single.validate()
        problems += [(option, f"kbgen option '{option}': {error}") for _, error in errors]
    return problems

