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
