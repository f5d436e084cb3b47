"""The container image definition, read as Docker would: every COPY source exists and is sent in the
build context (.dockerignore), the entrypoint script is copied and executable, every role the compose
file and the Helm values start is one the entrypoint knows, and each command it runs is installed."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from tiktok_pipelines_tests.deploy.conftest import DEPLOY, ROOT


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    joined, pending = [], ""
    for line in dockerfile.read_text().splitlines():
        if line.lstrip().startswith("#") and not pending:
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            word, _, rest = full.partition(" ")
            joined.append((word.upper(), rest.strip()))
    return joined


def sent_in_context(relative: str, patterns: list[str]) -> bool:
    """Whether .dockerignore lets `relative` into the build context (the last matching line wins)."""
    sent = True
    for pattern in patterns:
        keep = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = relative.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) for p in prefixes):
            sent = keep
    return sent


def entrypoint_roles() -> set[str]:
    script = (DEPLOY / "entrypoint.sh").read_text()
    return set(re.findall(r"^  ([a-z][a-z-]*)\)$", script, flags=re.MULTILINE))


def test_every_copy_source_exists_and_is_in_the_build_context():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copies = [args for word, args in instructions(ROOT / "Dockerfile") if word == "COPY"]
    local = [a.split() for a in copies if not a.startswith("--from")]
    assert local, "the Dockerfile copies nothing from the repository"
    for *sources, _destination in local:
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert sent_in_context(source.rstrip("/"), patterns), f"COPY {source}: left out by .dockerignore"
    assert not sent_in_context(".venv/bin/python", patterns)
    assert not sent_in_context(".data/state.db", patterns)
    assert not sent_in_context("tiktok_pipelines_tests/conftest.py", patterns)


def test_the_image_is_multi_stage_runs_as_a_user_and_starts_the_entrypoint():
    steps = instructions(ROOT / "Dockerfile")
    stages = [args for word, args in steps if word == "FROM"]
    assert len(stages) >= 2
    final = steps[max(i for i, (word, _) in enumerate(steps) if word == "FROM") :]
    (user,) = [args for word, args in final if word == "USER"]
    assert user not in ("root", "0")
    (entrypoint,) = [args for word, args in final if word == "ENTRYPOINT"]
    (copied,) = [args.split()[0] for word, args in final if word == "COPY" and "entrypoint.sh" in args]
    assert os.access(ROOT / copied, os.X_OK)
    assert yaml.safe_load(entrypoint)[0] in " ".join(args for word, args in final if word == "COPY")


def test_every_role_started_by_the_deployment_is_known_and_its_commands_are_installed():
    roles = entrypoint_roles()
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    started = {
        s["command"][0]
        for s in compose["services"].values()
        if s.get("image", "").startswith("tiktok-pipelines")
    }
    assert started == {"init", "code-location", "webserver", "daemon", "receiver", "dashboard"}
    assert started <= roles
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    script = (DEPLOY / "entrypoint.sh").read_text()
    commands = set(re.findall(r"exec ([a-z][a-z-]+) ", script)) - {"exec"}
    bin_dir = Path(sys.executable).parent
    for command in commands | {"dagster", "dagster-daemon", "dagster-webserver"}:
        assert command in scripts or shutil.which(command, path=str(bin_dir)), f"{command} is not installed"
    unknown = subprocess.run(
        [str(DEPLOY / "entrypoint.sh"), "printf", "%s", "passed through"], capture_output=True, text=True
    )
    assert unknown.stdout == "passed through"  # what a run launcher starts is run as given
