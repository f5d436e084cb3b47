"""The layer contracts of `[tool.importlinter]` in pyproject.toml hold: core, channels and vtex import
neither Dagster nor the state DB, lanes and the receiver import no Dagster, production code never imports
the sandbox, a channel imports no other channel."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import tiktok_pipelines

ROOT = Path(tiktok_pipelines.__file__).resolve().parents[1]


def test_every_layer_contract_is_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        pytest.fail("lint-imports is not installed: `pip install -e '.[dev]'` brings import-linter")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
