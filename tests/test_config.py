"""mkdocs.yml is data: read safely (no Python tags, bounded aliases, nesting and INHERIT chains), over kbgen's
defaults, checked, and every problem a finding naming file, line and rule. The fuzz harness at the end feeds
``kbgen validate`` random configurations: a finding or exit 0, never a traceback."""

from __future__ import annotations

import os

import io
import json
import shutil
import string
import time
from pathlib import Path

import mergedeep
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mkdocs.utils.yaml import yaml_load

from conftest import REPO, RootMaker, assert_no_crash, run_cli, stderr_of
from generator import site_config
from generator.build import BuildError, build, build_tier, site_settings
from generator.content import load
from generator.findings import ERROR
from generator.rules import RULES
from generator.site_config import DEFAULTS, MAX_DEPTH, MAX_INHERIT, MAX_VALUES, ConfigError
from generator.validate import validate

RUN_MARKER = "ran-python.txt"  # what a Python tag in mkdocs.yml would create, were it run


def config_findings(root: Path) -> list[tuple[str, int, str]]:
    """(file, line, rule) of every finding about the configuration, from a full validation."""
    return [(f.path, f.line, f.rule) for f in validate(root) if f.rule.startswith(("config-", "yaml-", "file-"))]


@pytest.fixture
def root(make_root) -> RootMaker:
    make_root.doc("kb/refunds.md", "# Refunds\n\nHow to get a refund.\n", intents=["billing.refund"])
    make_root.doc("runbooks/refund.md", tier=1, intents=["billing.refund"])
    return make_root


def python_tag(marker: Path) -> str:
    return f'!!python/object/apply:os.system ["touch {marker}"]'


# One test per known case ----------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["mkdocs.yml", "inherited"])
def test_python_tags_never_run(root, tmp_path, where):
    """The tag is refused by validation, by the build and by the preview's tier build, and never runs."""
    marker = tmp_path / RUN_MARKER
    text = f"site_name: {python_tag(marker)}\n"
    if where == "inherited":
        root.file("base.yml", text)
        text = "INHERIT: base.yml\n"
    root.file("mkdocs.yml", text)
    expected = [("base.yml" if where == "inherited" else "mkdocs.yml", 1, "config-tag")]
    assert config_findings(root.path) == expected
    with pytest.raises(BuildError) as info:
        build(root.path, out=tmp_path / "out")
    assert [(f.path, f.line, f.rule) for f in info.value.findings] == expected
    with pytest.raises(BuildError):
        build_tier(root.path, 0, tmp_path / "site", tmp_path)
    with pytest.raises(ConfigError):
        site_settings(load(root.path), 0)
    assert not marker.exists() and not (tmp_path / "out").exists()


def test_the_message_says_the_tag_would_run_code(root, tmp_path):
    root.file("mkdocs.yml", f"site_name: Help\nextra:\n  x: {python_tag(tmp_path / RUN_MARKER)}\n")
    [finding] = [f for f in validate(root.path) if f.rule == "config-tag"]
    assert (finding.line, finding.col) == (3, 6)
    assert "'!!python/object/apply:os.system' (it would run Python code)" in finding.message


@pytest.mark.parametrize("text", ["x: !!binary aGk=\n", "x: !!set {a}\n", "x: !relative\n", "x: !custom 1\n"])
def test_other_tags_are_refused(root, text):
    root.file("mkdocs.yml", text)
    assert config_findings(root.path) == [("mkdocs.yml", 1, "config-tag")]


def laughs(levels: int, width: int = 10) -> str:
    """The "billion laughs": each level an anchor listing the previous one ``width`` times."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * width) + "]" for n in range(1, levels)]
    return "site_name: Help\n" + "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_quickly(root, tmp_path):
    """10^9 values once expanded: MkDocs' loader took 1.7 GB and never finished; kbgen counts without expanding."""
    root.file("mkdocs.yml", laughs(9))
    started = time.perf_counter()
    findings = [f for f in validate(root.path) if f.rule == "config-too-large"]
    assert time.perf_counter() - started < 5
    assert [(f.path, f.line) for f in findings] == [("mkdocs.yml", 6)]  # l4: the first over 100,000 values
    assert f"more than {MAX_VALUES:,} values" in findings[0].message
    with pytest.raises(BuildError):
        build(root.path, out=tmp_path / "out")


def test_aliases_within_bounds_are_read(root):
    root.file("mkdocs.yml", laughs(3) + "extra: {a: &a {k: v}, b: *a}\n")
    config = site_config.read(root.path)
    assert config.findings == [] and config.data["l2"] == [[["lol"] * 10] * 10] * 10
    assert config.data["extra"]["b"] == {"k": "v"}


@pytest.mark.parametrize("text, rule, line", [
    ("a: &a [*a]\n", "config-too-large", 1),
    ("a: &a {b: *a}\n", "config-too-large", 1),
    ("a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n", "config-too-large", 1),
    ("[" * 5000 + "]" * 5000 + "\n", "config-too-large", 1),
    ("site_name: Help\nsite_name: Again\n", "yaml-duplicate-key", 2),
    ("site_name: [Help\n  theme: : material\n", "yaml-syntax", 2),
    ("site_name: Help\nextra: {since: 2025-02-30}\n", "yaml-syntax", 2),
    ("--- {a: 1}\n--- {b: 2}\n", "yaml-syntax", 2),
])
def test_unusable_yaml_is_a_finding(root, text, rule, line):
    root.file("mkdocs.yml", text)
    assert config_findings(root.path) == [("mkdocs.yml", line, rule)]


def test_aliases_nesting_past_the_bound_are_refused(root):
    """Each level stays shallow, but aliases of aliases nest deeper than any reader's recursion."""
    levels = "".join(f"l{n}: &l{n} " + "[" * 30 + (f"*l{n - 1}" if n else "x") + "]" * 30 + "\n" for n in range(40))
    root.file("mkdocs.yml", levels)
    assert config_findings(root.path) == [("mkdocs.yml", 3, "config-too-large")]


def test_oversized_and_undecodable_files(root):
    root.file("mkdocs.yml", "site_name: Help\n" + "# padding\n" * 120_000)
    assert config_findings(root.path) == [("mkdocs.yml", 1, "config-too-large")]
    root.file("mkdocs.yml", b"site_name: Caf\xe9\n")
    assert config_findings(root.path) == [("mkdocs.yml", 1, "file-encoding")]


@pytest.mark.parametrize("text", ["- site_name: Help\n- theme: material\n", "Help Centre\n", "42\n", "!ENV {a: 1}\n"])
def test_not_a_mapping(root, text):
    root.file("mkdocs.yml", text)
    assert config_findings(root.path) == [("mkdocs.yml", 1, "config-not-mapping")]


def test_inherit_problems(root):
    root.file("mkdocs.yml", "site_name: Help\nINHERIT: mkdocs.yml\n")
    assert config_findings(root.path) == [("mkdocs.yml", 2, "config-inherit-cycle")]
    root.file("mkdocs.yml", "INHERIT: a.yml\n")
    root.file("a.yml", "site_name: A\nINHERIT: b.yml\n")
    root.file("b.yml", "INHERIT: a.yml\n")
    assert config_findings(root.path) == [("b.yml", 1, "config-inherit-cycle")]
    root.file("b.yml", "INHERIT: nope.yml\n")
    assert config_findings(root.path) == [("b.yml", 1, "config-inherit")]
    root.file("b.yml", "INHERIT: [a.yml]\n")
    assert config_findings(root.path) == [("b.yml", 1, "config-inherit")]
    for target in ("/dev/zero", "kb"):  # never read: a device without end, a folder
        root.file("b.yml", f"INHERIT: {target}\n")
        assert config_findings(root.path) == [("b.yml", 1, "config-inherit")]
    for n in range(MAX_INHERIT + 2):
        root.file(f"chain{n}.yml", f"INHERIT: chain{n + 1}.yml\n" if n <= MAX_INHERIT else "site_name: End\n")
    root.file("mkdocs.yml", "INHERIT: chain0.yml\n")
    [(path, _, rule)] = config_findings(root.path)
    assert rule == "config-inherit" and path.startswith("chain")


def test_inherit_reads_nothing_outside_the_root_but_kbgens_defaults(root, tmp_path_factory):
    """A pull request could otherwise put any YAML file of the build machine into the sites (site_name,
    copyright, extra): INHERIT, like a snippet, reads only the root's files."""
    outside = tmp_path_factory.mktemp("runner") / "secrets.yml"
    outside.write_text("site_name: okapi-token-1234\n", encoding="utf-8")
    for target in (str(outside), os.path.relpath(outside, root.path)):
        root.file("mkdocs.yml", f"site_name: Help\nINHERIT: {target}\n")
        assert config_findings(root.path) == [("mkdocs.yml", 2, "file-outside-root")]
        assert "okapi" not in str(site_config.read(root.path).data)
    (root.path / "linked.yml").symlink_to(outside)
    root.file("mkdocs.yml", "INHERIT: linked.yml\n")
    assert config_findings(root.path) == [("mkdocs.yml", 1, "file-outside-root")]
    root.file("mkdocs.yml", f"site_name: Help\nINHERIT: {DEFAULTS}\n")
    assert config_findings(root.path) == []


def test_inherit_merges_as_mkdocs_does(root):
    root.file("base/common.yml", "site_name: Base\nextra: {a: 1, b: {c: 2}}\nmarkdown_extensions: [toc]\n")
    root.file("mkdocs.yml", "INHERIT: base/common.yml\nextra: {b: {d: 3}}\nmarkdown_extensions: [admonition]\n")
    data = site_config.read(root.path).data
    assert data["site_name"] == "Base" and "INHERIT" not in data
    assert data["extra"]["a"] == 1 and data["extra"]["b"] == {"c": 2, "d": 3}  # mappings merge key by key
    assert "feedback" in data["extra"]["analytics"]  # ... down to kbgen's defaults
    assert data["markdown_extensions"] == ["admonition"]  # anything else is replaced


def test_env_tag_as_mkdocs_reads_it(root, monkeypatch):
    root.file("mkdocs.yml", "site_name: !ENV [KBGEN_TEST_SITE_NAME, Fallback name]\nsite_url: !ENV KBGEN_TEST_URL\n")
    monkeypatch.delenv("KBGEN_TEST_SITE_NAME", raising=False)
    monkeypatch.delenv("KBGEN_TEST_URL", raising=False)
    data = site_config.read(root.path).data
    assert (data["site_name"], data["site_url"]) == ("Fallback name", None)
    monkeypatch.setenv("KBGEN_TEST_SITE_NAME", "From the environment")
    monkeypatch.setenv("KBGEN_TEST_URL", "https://help.example.com/")
    data = site_config.read(root.path).data
    assert (data["site_name"], data["site_url"]) == ("From the environment", "https://help.example.com/")


def test_minimal_configuration_takes_kbgen_defaults(root):
    root.file("mkdocs.yml", "site_name: X\n")
    config = site_config.read(root.path)
    assert config.findings == []
    assert config.data["site_name"] == "X" and config.data["theme"]["name"] == "material"
    assert config.plugins == ["search"] and config.kbgen_options == {}


@pytest.mark.slow
@pytest.mark.parametrize("text", ["site_name: X\n", "site_name: X\ntheme: material\n"])
def test_minimal_configuration_builds(root, tmp_path, text):
    root.file("mkdocs.yml", text)
    result = build(root.path, out=tmp_path / "out", tiers=[0])
    page = (tmp_path / "out" / "tier0" / "kb" / "refunds" / "index.html").read_text(encoding="utf-8")
    assert result.sites[0].pages == 1 and "<title>Refunds - X</title>" in page


@pytest.mark.parametrize("text, line, words", [
    ("site_name:\n", 1, "site_name: Required configuration not provided."),
    ("site_name: Help\nsite_url: 5\n", 2, "site_url: Expected a string"),
    ("site_name: Help\nnav: 3\n", 2, "nav: Expected nav to be a list"),
])
def test_mkdocs_settings_are_checked_as_mkdocs_checks_them(root, text, line, words):
    root.file("mkdocs.yml", text)
    [finding] = [f for f in validate(root.path) if f.path == "mkdocs.yml"]
    assert (finding.line, finding.rule) == (line, "config-option") and words in finding.message


def test_validation_runs_no_hooks(root, tmp_path):
    """MkDocs' hooks are Python files: validation, run on every pull request and commit, never loads them."""
    marker = tmp_path / RUN_MARKER
    root.file("hook.py", f"open({str(marker)!r}, 'w').close()\n")
    root.file("mkdocs.yml", "site_name: Help\nhooks: [hook.py]\n")
    assert config_findings(root.path) == [] and not marker.exists()


@pytest.mark.parametrize("custom_dir", ["OUTSIDE", "../elsewhere", ".", "kb", "kb/theme", "snippets"])
def test_a_theme_folder_that_would_publish_other_files_is_refused(root, tmp_path, custom_dir):
    """MkDocs copies every file of theme.custom_dir into every site, the public one too: a folder outside
    the root (any file the build machine can read), the root itself or the content would all be published."""
    elsewhere = root.path.parent / "elsewhere"
    (elsewhere / "creds").mkdir(parents=True)
    (elsewhere / "creds" / "credentials.txt").write_text("aws_secret_access_key = qzxsecret\n", encoding="utf-8")
    (root.path / "kb" / "theme").mkdir(parents=True, exist_ok=True)
    (root.path / "snippets").mkdir(exist_ok=True)
    folder = str(elsewhere) if custom_dir == "OUTSIDE" else custom_dir
    root.file("mkdocs.yml", f"site_name: Help\ntheme:\n  name: material\n  custom_dir: {folder}\n")
    assert config_findings(root.path) == [("mkdocs.yml", 4, "config-theme")]
    with pytest.raises(BuildError):
        build(root.path, out=tmp_path / "out", tiers=[0])
    assert not (tmp_path / "out" / "tier0").exists()


def test_a_theme_folder_of_the_root_is_checked_as_overrides_is(root, tmp_path):
    (tmp_path / "secret.txt").write_text("qzxsecret\n", encoding="utf-8")
    (root.path / "theme").mkdir()
    (root.path / "theme" / "notes.txt").symlink_to(tmp_path / "secret.txt")
    root.file("mkdocs.yml", "site_name: Help\ntheme: {name: material, custom_dir: theme}\n")
    assert config_findings(root.path) == [("theme/notes.txt", 1, "file-outside-root")]
    (root.path / "theme" / "notes.txt").unlink()
    assert config_findings(root.path) == []


@pytest.mark.parametrize("where, refused", [("inside", False), ("outside", True)])
def test_a_build_runs_only_hooks_kept_with_the_content(root, tmp_path, where, refused):
    marker = tmp_path / RUN_MARKER
    hook = (root.path if where == "inside" else tmp_path) / "hook.py"
    hook.write_text(f"def on_config(config):\n    open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    root.file("mkdocs.yml", f"site_name: Help\nhooks: [{hook if refused else 'hook.py'}]\n")
    assert config_findings(root.path) == ([("mkdocs.yml", 2, "config-option")] if refused else [])
    if refused:
        with pytest.raises(BuildError):
            build(root.path, out=tmp_path / "out", tiers=[0])
    else:
        build(root.path, out=tmp_path / "out", tiers=[0])
    assert marker.exists() != refused


@pytest.mark.parametrize("text, line", [
    ("theme: readthedocs\n", 1),
    ("theme: {name: mkdocs}\n", 1),
    ("theme:\n  name: null\n  custom_dir: overrides\n", 2),
    ("theme:\n  custom_dir: no-such-folder\n", 2),
])
def test_theme_must_be_material(root, text, line):
    (root.path / "overrides").mkdir()
    root.file("mkdocs.yml", "site_name: Help\n" + text)
    assert config_findings(root.path) == [("mkdocs.yml", line + 1, "config-theme")]


def test_plugins_must_be_installed(root):
    root.file("mkdocs.yml", "site_name: Help\nplugins:\n  - serach\n  - tags\n  - no-such-plugin: {a: 1}\n  - kbgen\n")
    findings = [f for f in validate(root.path) if f.rule == "config-plugin-missing"]
    assert [(f.line, f.col) for f in findings] == [(3, 5), (5, 5)]
    assert "did you mean 'search'?" in findings[0].message and "'no-such-plugin'" in findings[1].message


@pytest.mark.parametrize("options, line, words", [
    ("service_targets: {4: {Resolution: 1 day}}", 4, "tiers 1, 2 and 3"),
    ("service_targets: {tier1: {Resolution: 1 day}}", 4, "tiers 1, 2 and 3"),
    ("internal_domain: [corp.example.com]", 4, "did you mean 'internal_domains'?"),
    ("rules: {link-broken: 'off'}", 4, "'link-broken' cannot be turned off"),
    ("contact_routes: [{url: 'https://example.com/chat'}]", 4, "Required"),
    ("contact_routes: [{name: Chat, url: 'javascript:alert(1)'}]", 4, "not an https://, mailto: or tel: address"),
    ("contact_routes: [{name: Chat, url: 'https://x.example/a b'}]", 4, "not an https://, mailto: or tel:"),
    ("tier: 7", 4, "tier"),
    ("internal_site_url: 'https://a.example/{tier'", 4, "no address template"),
    ("internal_site_url: 'https://a.example/{0}/{tier}/'", 4, "no address template"),
    ("internal_site_url: 'https://a.example/{team}/{tier}/'", 4, "no address template"),
    ("internal_site_url: 'https://a.example/agents/'", 4, "with {tier} in it"),
    ("recently_fixed_days: 800000", 4, "from 0 to 36,500"),
    ("fold_fixed_defects_days: -1", 4, "from 0 to 36,500"),
    ("content: kb", 4, "'content': is set by kbgen build, not in mkdocs.yml"),
    ("page_cache: {}", 4, "'page_cache': is set by kbgen build"),
    ("progress: print", 4, "'progress': is set by kbgen build"),
])
def test_bad_kbgen_options_name_the_option(root, options, line, words):
    root.file("mkdocs.yml", f"site_name: Help\nplugins:\n  - kbgen:\n      {options}\n")
    [finding] = [f for f in validate(root.path) if f.path == "mkdocs.yml"]
    assert (finding.line, finding.col, finding.rule, finding.severity) == (line, 7, "config-option", ERROR)
    assert words in finding.message


def test_every_bad_option_is_named_at_once(root):
    root.file("mkdocs.yml", "plugins:\n  - kbgen:\n      severities: {P9: Odd}\n      tier: 9\n      colour: red\n")
    assert [line for _, line, _ in config_findings(root.path)] == [3, 4, 5]


def test_plugins_not_a_list(root):
    root.file("mkdocs.yml", "plugins: search\n")
    assert config_findings(root.path) == [("mkdocs.yml", 1, "config-option")]
    root.file("mkdocs.yml", "plugins:\n  - [search]\n  - kbgen: 5\n")
    assert config_findings(root.path) == [("mkdocs.yml", 2, "config-option"), ("mkdocs.yml", 3, "config-option")]


def test_the_sample_configuration_is_clean():
    config = site_config.read(REPO)
    assert config.findings == []
    assert config.data["site_name"] == "Tallybook Help Centre"
    assert config.kbgen_options["internal_domains"] == ["corp.tallybook.example"]


def test_every_configuration_rule_is_registered_and_not_adjustable():
    rules = {"config-not-mapping", "config-tag", "config-too-large", "config-inherit", "config-inherit-cycle",
             "config-theme", "config-plugin-missing", "config-option"}
    assert rules <= set(RULES) and all(RULES[rule] for rule in rules)


# Properties --------------------------------------------------------------------------------------------------

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
READ_KEYS = st.sampled_from(["a", "b", "c", "d"])  # settings nothing checks: what is compared is how files merge
KEYS = READ_KEYS | st.sampled_from(["site_name", "site_url", "extra", "copyright", "nav", "markdown_extensions"])
SCALARS = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12) | \
    st.floats(allow_nan=False, allow_infinity=False)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) |
                      st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=4), inner, max_size=4),
                      max_leaves=20)


@st.composite
def inherit_chains(draw) -> list[dict]:
    """Configurations of 1 to 4 files, each inheriting a later one (or none): file 0 is mkdocs.yml."""
    count = draw(st.integers(1, 4))
    files = []
    for index in range(count):
        data = draw(st.dictionaries(READ_KEYS, VALUES, max_size=4))
        later = draw(st.none() | st.integers(index + 1, count - 1)) if index + 1 < count else None
        if later is not None:
            data["INHERIT"] = f"f{later}.yml"
        files.append(data)
    return files


def write_files(root: Path, files: list, texts: bool = False) -> None:
    for index, data in enumerate(files):
        name = "mkdocs.yml" if index == 0 else f"f{index}.yml"
        text = data if texts else yaml.safe_dump(data, allow_unicode=True)
        (root / name).write_text(text, encoding="utf-8")


@FUZZ
@given(files=inherit_chains())
def test_kbgen_reads_what_mkdocs_reads(root, files):
    """For a configuration MkDocs' own loader reads safely, kbgen reads the same settings (over its defaults),
    and hands MkDocs YAML that reads back as exactly those settings."""
    write_files(root.path, files)
    with open(DEFAULTS, "rb") as defaults, open(root.path / "mkdocs.yml", "rb") as own:
        expected = mergedeep.merge(yaml_load(defaults), yaml_load(own))
    config = site_config.read(root.path)
    assert config.findings == [] and config.data == expected
    assert yaml_load(io.StringIO(config.mkdocs_yaml())) == config.data


FRAGMENTS = st.sampled_from([
    "site_name: Help", "theme: material", "theme: {name: mkdocs}", "plugins: [search, kbgen]", "plugins:",
    "  - kbgen:", "      service_targets: {1: {a: b}}", "      service_targets: {9: x}", "      rules: {x: off}",
    "      tier: 2", "      contact_routes: [{name: a}]", "INHERIT: f1.yml", "INHERIT: mkdocs.yml", "INHERIT:",
    "a: &a [x, y]", "b: [*a, *a, *a]", "c: *a", "d: *missing", "<<: *a", "<<: {m: 1}", "e: !ENV [HOME, x]",
    "f: !ENV", "g: !!python/object/apply:os.system [echo]", "h: !!str 1", "i: !!int x", "j: 2025-02-30",
    "- item", "  nested: value", "k: {", "l: ]", "m: 'unclosed", "? complex", ": key", "---", "...", "%YAML 1.1",
    "n: &n {o: *n}", "p: |", "  block", "q: >-", "\t", "r: [[[[", "s: 0x1F", "t: .inf", "u: ~", "v: \"\\u0000\"",
])


@FUZZ
@given(lines=st.lists(FRAGMENTS, max_size=12), inherited=st.lists(FRAGMENTS, max_size=6))
def test_any_configuration_text_is_a_finding_or_clean(root, lines, inherited):
    """Random YAML-ish text (tags, anchors, aliases, merge keys, INHERIT, documents, broken syntax):
    kbgen validate exits 0, or 1 with a finding in the file at fault; never a traceback."""
    write_files(root.path, ["\n".join(lines) + "\n", "\n".join(inherited) + "\n"], texts=True)
    result = run_cli("validate", "--root", str(root.path), "--format", "json")
    assert_no_crash(result)
    assert result.exit_code in (0, 1), result.output
    findings = json.loads(result.stdout)
    mine = [f for f in findings if f["path"] in ("mkdocs.yml", "f1.yml")]
    assert (result.exit_code == 1) == any(f["severity"] == ERROR for f in findings)
    assert all(f["line"] >= 1 and f["col"] >= 1 and f["rule"] in RULES for f in mine)
    config = site_config.read(root.path)
    if not config.findings:  # what MkDocs is handed reads back as what kbgen checked
        assert yaml.safe_load(config.mkdocs_yaml()) == config.data


KBGEN_OPTIONS = st.dictionaries(
    st.sampled_from(["tier", "root", "severities", "service_targets", "contact_routes", "rules", "internal_domains",
                     "internal_site_url", "run_validation", "colour"]), VALUES, max_size=3)


@st.composite
def configurations(draw) -> dict:
    """mkdocs.yml settings: a theme, plugins (with random kbgen options) and random other values."""
    data = draw(st.dictionaries(KEYS, VALUES, max_size=3))
    theme = draw(st.sampled_from([None, "material", {"name": "material"}, "mkdocs", 5, [], {"custom_dir": 1}]))
    if theme is not None:
        data["theme"] = theme
    plugin = st.sampled_from(["search", "tags", "kbgen", "nope"]) | \
        st.builds(lambda options: {"kbgen": options}, KBGEN_OPTIONS | VALUES)
    plugins = draw(st.none() | st.lists(plugin, max_size=3) | VALUES)
    if plugins is not None:
        data["plugins"] = plugins
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=configurations())
def test_any_settings_are_a_finding_or_usable(root, data):
    """Random settings: validation reports them or passes them, and what it passes, MkDocs loads (kbgen search
    reads the site's address from it) or refuses with a message; never a traceback."""
    shutil.rmtree(root.path / "site", ignore_errors=True)
    (root.path / "mkdocs.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    checked = run_cli("validate", "--root", str(root.path))
    assert_no_crash(checked)
    assert checked.exit_code in (0, 1)
    searched = run_cli("search", "refund", "--root", str(root.path))
    assert_no_crash(searched)
    if checked.exit_code == 0:  # MkDocs takes what validation passed
        assert searched.exit_code == 0, searched.output + (searched.stderr or "")
    else:
        assert searched.exit_code == 1 and "mkdocs.yml" in searched.output + (searched.stderr or "")


@pytest.mark.parametrize("value, words", [
    ("5", "Invalid Markdown Extensions configuration"),
    ("[no_such_extension]", "Failed to load extension 'no_such_extension'"),
    ("[{toc: 5}]", "Invalid config options for Markdown Extension 'toc'"),
    ("[{toc: {no_such_option: 1}}]", "no_such_option"),
])
def test_markdown_extensions_must_load(root, value, words):
    """Validation renders every page with the configured extensions: one that does not load is a finding, and
    the pages are checked with kbgen's defaults meanwhile."""
    root.file("mkdocs.yml", f"site_name: Help\nmarkdown_extensions: {value}\n")
    findings = validate(root.path)
    assert [(f.path, f.line, f.rule) for f in findings] == [("mkdocs.yml", 2, "config-option")]
    assert words in findings[0].message


@pytest.mark.parametrize("extensions", ["\n  - meta", "\n  - markdown.extensions.meta", "\n  - meta: {}",
                                        "\n  meta: {}", "\n  - toc\n  - meta", "\n  - pymdownx.b64",
                                        "\n  - pymdownx.b64: {base_path: runbooks}"])
def test_an_extension_that_takes_text_away_or_brings_files_in_is_refused(root, extensions):
    """With 'meta', a body starting 'Note: customers on the legacy plan ...' loses that line in every tier;
    with 'pymdownx.b64', a public page's image found from its base_path may be a tier 3 file, embedded."""
    root.file("mkdocs.yml", f"site_name: Help\nmarkdown_extensions:{extensions}\n")
    assert config_findings(root.path) == [("mkdocs.yml", 2, "config-option")]


def test_the_embedding_extension_never_builds(root, tmp_path):
    """The tier 3 chart a public page would have embedded through pymdownx.b64 is in no site."""
    root.file("runbooks/zz/chart.svg", '<svg xmlns="http://www.w3.org/2000/svg"><text>okapi escrow</text></svg>')
    root.file("kb/chart.svg", '<svg xmlns="http://www.w3.org/2000/svg"><text>public</text></svg>')
    root.doc("kb/refunds.md", "# Refunds\n\n![Chart](chart.svg)\n", intents=["billing.refund"])
    root.file("mkdocs.yml", f"site_name: Help\nmarkdown_extensions:\n  - pymdownx.b64:\n"
                            f"      base_path: {root.path / 'runbooks' / 'zz'}\n")
    result = run_cli("build", "--root", str(root.path), "--out", str(tmp_path / "out"))
    assert_no_crash(result)
    assert result.exit_code == 1 and "pymdownx.b64" in result.output
    assert not (tmp_path / "out" / "tier0").exists()


@pytest.mark.parametrize("plugin", ["projects", "material/projects", "info", "material/info", "blog"])
def test_plugins_that_run_settings_or_reach_out_are_refused(root, tmp_path, plugin):
    """'projects' reads a nested mkdocs.yml with MkDocs' loader, which runs a !!python tag written there."""
    marker = tmp_path / "ran"
    root.file("projects/extra/mkdocs.yml", f"site_name: Extra\nextra: {{x: {python_tag(marker)}}}\n")
    root.file("projects/extra/docs/index.md", "# Extra\n")
    root.file("mkdocs.yml", f"site_name: Help\nplugins:\n  - search\n  - {plugin}\n  - kbgen\n")
    assert config_findings(root.path) == [("mkdocs.yml", 4, "config-option")]
    result = run_cli("build", "--root", str(root.path), "--out", str(tmp_path / "out"))
    assert_no_crash(result)
    assert result.exit_code == 1 and plugin in result.output
    assert not marker.exists()


@pytest.mark.parametrize("plugins, line", [
    ("  - group:\n      enabled: true\n      plugins:\n        - projects\n", 8),
    ("  - material/group:\n      plugins:\n        - group:\n            plugins: [info]\n", 8),
    ("  - group:\n      plugins:\n        - kbgen\n", 7)])
def test_a_group_of_plugins_is_held_to_the_rules_of_the_list(root, tmp_path, plugins, line):
    """mkdocs-material's group plugin runs the plugins in its options: a refused one there runs as well as at
    the top (a !!python tag in a project's mkdocs.yml ran during the build)."""
    marker = tmp_path / "ran"
    root.file("projects/extra/mkdocs.yml", f"site_name: Extra\nextra: {{x: {python_tag(marker)}}}\n")
    root.file("projects/extra/docs/index.md", "# Extra\n")
    root.file("mkdocs.yml", f"site_name: Help\nplugins:\n  - search\n  - kbgen\n{plugins}")
    assert ("mkdocs.yml", line, "config-option") in config_findings(root.path)
    result = run_cli("build", "--root", str(root.path), "--out", str(tmp_path / "out"))
    assert_no_crash(result)
    assert result.exit_code == 1 and not marker.exists()


@pytest.mark.parametrize("extension", ["toc: {slugify: 5}", "pymdownx.emoji: {emoji_generator: 5}"])
def test_an_extension_failing_on_a_page_is_named_with_the_page(root, tmp_path, extension):
    """Options MkDocs accepts and the extension cannot use fail only when a page is rendered: validation and
    the build name the extension, the page and the error, and exit 1 without a traceback."""
    root.doc("kb/faces.md", "# Faces\n\nA :smile: here.\n", intents=["billing.refund"])
    root.file("mkdocs.yml", f"site_name: Help\nmarkdown_extensions:\n  - {extension}\n")
    for command in (["validate"], ["build", "--out", str(tmp_path / "out")]):
        result = run_cli(*command, "--root", str(root.path))
        assert_no_crash(result)
        said = result.output + stderr_of(result)
        assert result.exit_code == 1, said
        assert extension.split(":")[0] in said and "kb/" in said and "TypeError" in said


@pytest.mark.parametrize("value", ["!!bool maybe", "!!int ''", "!!float ''", "!!timestamp hello"])
def test_a_tagged_value_yaml_cannot_read_is_named_at_its_line(root, value):
    """PyYAML's constructors raise KeyError, IndexError or AttributeError on these: every command printed a
    traceback, in front matter, intents.yml or mkdocs.yml alike."""
    root.file("mkdocs.yml", f"site_name: Help\nextra:\n  flag: {value}\n")
    assert config_findings(root.path) == [("mkdocs.yml", 3, "yaml-syntax")]
    root.file("mkdocs.yml", "site_name: Help\n")
    root.file("kb/tagged.md", f"---\nid: tagged\ntitle: Tagged\nkind: article\ntier: 0\nintents: [billing.refund]\n"
                              f"owner: {value}\n---\n\n# Tagged\n\nText.\n")
    result = run_cli("validate", "--root", str(root.path))
    assert_no_crash(result)
    assert result.exit_code == 1 and "kb/tagged.md:7:8: error [yaml-syntax]" in result.output, result.output


def test_keys_that_are_not_text_in_mkdocs_yml_build(root, tmp_path):
    """YAML reads '5:' and '~:' as a number and null: settings holding them beside text keys could not be
    sorted into the build's digest, and the build stopped with a traceback."""
    root.file("mkdocs.yml", "site_name: Help\n5: x\nextra:\n  ~: y\n  a: 1\n")
    result = run_cli("build", "--root", str(root.path), "--out", str(tmp_path / "out"))
    assert_no_crash(result)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("setting", ["exclude_docs: '*'", "draft_docs: '*.md'", "exclude_docs: |\n  billing/\n",
                                     "not_in_nav: '*'"])
def test_mkdocs_settings_that_leave_documents_out_are_refused(root, tmp_path, setting):
    """MkDocs' exclude_docs and draft_docs left every page out of every site (the build still said how many
    documents each tier had): what a site shows is the documents' tier and status."""
    root.file("mkdocs.yml", f"site_name: Help\n{setting}\n")
    assert config_findings(root.path) == [("mkdocs.yml", 2, "config-option")]
    result = run_cli("build", "--root", str(root.path), "--out", str(tmp_path / "out"))
    assert_no_crash(result)
    assert result.exit_code == 1


@pytest.mark.parametrize("text, line", [
    ("theme:\n  name: material\n  locale: xx\n", 1),
    ("theme:\n  name: material\n  palette: 5\n", 3),
    ("theme:\n  name: material\n  features: 5\n", 3),
    ("theme:\n  name: material\n  language: ../../../etc\n", 3),
    ("theme:\n  name: material\n  icon:\n    logo: ../../../../etc/passwd\n", 4),
    ("theme:\n  name: material\n  icon:\n    admonition:\n      note: /etc/passwd\n", 5),
    ("theme:\n  name: material\n  palette: [{scheme: default}, {scheme: slate}]\n  features: [navigation.tabs]\n"
     "  icon: {logo: material/library, admonition: {note: octicons/tag-16}}\n  language: pt-BR\n", None)])
def test_theme_options_the_templates_cannot_use_are_named_at_their_line(root, tmp_path, text, line):
    """Options mkdocs-material reads only while rendering a page failed every tier with a bare TypeError or
    TemplateNotFound, naming no setting; MkDocs' own check of the theme (a locale) ran only in the build."""
    root.file("mkdocs.yml", "site_name: Help\n" + text)
    assert config_findings(root.path) == ([("mkdocs.yml", line + 1, "config-theme")] if line else [])
    result = run_cli("build", "--root", str(root.path), "--out", str(tmp_path / "out"))
    assert_no_crash(result)
    assert result.exit_code == (1 if line else 0), result.output
