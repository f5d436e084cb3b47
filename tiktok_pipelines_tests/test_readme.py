import re
from pathlib import Path

import httpx
import pytest

from tiktok_pipelines.sandbox.world import SandboxConfig
from tiktok_pipelines.settings import variables_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_lists_every_configuration_variable():
    text = README.read_text()
    start, end = "<!-- variables:start -->\n", "\n<!-- variables:end -->"
    block = text[text.index(start) + len(start) : text.index(end)]
    assert block == variables_markdown(), (
        "README's variable table is out of date: regenerate it with `python -m tiktok_pipelines.settings`"
    )


def test_readme_gives_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text


def test_readme_names_every_asset_job_schedule_and_sensor():
    from tiktok_pipelines.definitions import defs

    text = README.read_text()
    repo = defs.get_repository_def()
    names = {
        key.to_user_string() for key in repo.asset_graph.get_all_asset_keys() if key.path[0] != "analytics"
    }
    names |= {job.name for job in repo.get_all_jobs() if not job.name.startswith("__")}
    names |= {s.name for s in repo.schedule_defs} | {s.name for s in repo.sensor_defs}
    missing = sorted(n for n in names if f"`{n}`" not in text)
    assert not missing, f"README's table of what it does misses {missing}"


# ---------------------------------------------------------------- every name and URL the README gives is true
SANDBOX_URL = re.compile(r"http://127\.0\.0\.1:(\d+)(/[^\s`)\"'<>,]*)?")


def _project_names() -> dict[str, set[str]]:
    from tiktok_pipelines.definitions import defs

    repo = defs.get_repository_def()
    graph = repo.asset_graph
    keys = graph.get_all_asset_keys()
    return {
        "assets": {key.to_user_string() for key in keys} | {key.path[-1] for key in keys},
        "nodes": {graph.get(key).assets_def.node_def.name for key in keys},
        "groups": {graph.get(key).group_name for key in keys},
        "jobs": {job.name for job in repo.get_all_jobs()},
        "schedules": {s.name for s in repo.schedule_defs},
        "sensors": {s.name for s in repo.sensor_defs},
        "checks": {check.name for check in graph.asset_check_keys},
    }


def _what_it_does() -> list[tuple[list[str], str]]:
    """(names, group) of each row of the README's table of what it does."""
    text = README.read_text()
    section = text[text.index("## What it does") :]
    section = section[: section.index("\n## ", 1)]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1]))
    return rows


def test_every_name_in_the_readme_exists_in_its_group():
    names = _project_names()
    known = set().union(*(v for k, v in names.items() if k != "groups"))
    graph_groups = _asset_groups()
    rows = _what_it_does()
    assert len(rows) > 15
    for row_names, group in rows:
        for name in row_names:
            if name.endswith("/*"):
                assert any(a.startswith(name[:-1]) for a in names["assets"]), name
                continue
            assert name in known, f"README names `{name}`, which the project does not define"
            if name in graph_groups:
                assert group == graph_groups[name], (
                    f"README puts `{name}` in group {group!r}, the code in {graph_groups[name]!r}"
                )
    text = README.read_text()
    for name in re.findall(r"`(\w+_(?:job|schedule|sensor))`", text):
        assert name in known, f"README names `{name}`, which the project does not define"
    for doc in (README, *sorted((README.parent / "docs").glob("*.md"))):
        for group in re.findall(r"group `(\w+)`", doc.read_text()):
            assert group in names["groups"], (
                f"{doc.name} names the asset group `{group}`, which does not exist"
            )


def _asset_groups() -> dict[str, str]:
    from tiktok_pipelines.definitions import defs

    graph = defs.get_repository_def().asset_graph
    return {
        key.to_user_string(): graph.get(key).group_name
        for key in graph.get_all_asset_keys()
        if key.path[0] != "analytics"
    }


@pytest.mark.e2e
def test_every_sandbox_url_in_the_readme_answers(sandbox):
    """Every URL of the sandbox the README gives answers 200 on a started sandbox (its ports mapped to the
    test's)."""
    defaults = SandboxConfig()
    servers = {
        defaults.feeds_port: "feeds",
        defaults.tiktok_port: "tiktok",
        defaults.vtex_port: "vtex",
        defaults.receiver_port: "receiver",
    }
    found = [(int(port), path or "/") for port, path in SANDBOX_URL.findall(README.read_text())]
    sandbox_urls = [(port, path) for port, path in found if port in servers]
    assert len(sandbox_urls) >= 4, found
    for port, path in sandbox_urls:
        answer = httpx.get(sandbox.urls()[servers[port]] + path, timeout=10)
        assert answer.status_code == 200, (
            f"README's http://127.0.0.1:{port}{path} answers {answer.status_code}"
        )
