"""How many pytest-xdist workers a run gets (`--numprocesses=auto` in pyproject's addopts): the suite on
several, a run naming test files or tests in its own process."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tiktok_pipelines_tests import conftest

HERE = "tiktok_pipelines_tests/test_workers.py"


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_AUTO_NUM_WORKERS", raising=False)
    monkeypatch.chdir(conftest.Path(conftest.__file__).resolve().parents[1])


@pytest.mark.parametrize(
    "args",
    [["tiktok_pipelines_tests"], ["tiktok_pipelines_tests/sandbox", HERE], []],
)
def test_the_suite_or_a_folder_runs_on_the_workers(args):
    assert conftest.pytest_xdist_auto_num_workers(SimpleNamespace(args=args)) == conftest.WORKERS > 1


@pytest.mark.parametrize("args", [[HERE], [f"{HERE}::test_x", "tiktok_pipelines_tests/test_graph.py"]])
def test_named_test_files_or_tests_run_in_this_process(args):
    assert conftest.pytest_xdist_auto_num_workers(SimpleNamespace(args=args)) == 0


def test_the_variable_decides_when_set(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "2")
    assert conftest.pytest_xdist_auto_num_workers(SimpleNamespace(args=[HERE])) == 2
