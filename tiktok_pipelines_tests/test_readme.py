from pathlib import Path

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
    names = {key.path[-1] for key in repo.asset_graph.get_all_asset_keys() if key.path[0] != "analytics"}
    names |= {job.name for job in repo.get_all_jobs() if not job.name.startswith("__")}
    names |= {s.name for s in repo.schedule_defs} | {s.name for s in repo.sensor_defs}
    missing = sorted(n for n in names if f"`{n}`" not in text)
    assert not missing, f"README's table of what it does misses {missing}"
