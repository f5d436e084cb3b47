"""`tiktok-pipelines posts`: a post scheduled, listed, cancelled; what it refuses, with its exit codes."""

import json

import pytest
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.sandbox.tiktok_creator.media import sample_mp4
from tiktok_pipelines.stores.creators import CreatorRegistry


@pytest.fixture
def cli(state_db):
    CreatorRegistry(state_db).add("ana", timezone="America/Sao_Paulo")

    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def test_a_post_is_scheduled_listed_and_cancelled(cli, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(sample_mp4(42))
    done = cli("posts", "schedule", "ana", str(clip), "--caption", "Oi #novidade", "--at", "+2h")
    assert done.exit_code == 0, done.output
    assert "post 1 of ana: scheduled" in done.output
    [row] = json.loads(cli("posts", "list", "ana", "--json").output)
    assert (
        row["caption"] == "Oi #novidade" and row["duration_s"] == 42 and row["privacy_level"] == "SELF_ONLY"
    )
    cli("posts", "schedule", "ana", str(clip), "--caption", "Linha 1\nLinha 2")
    assert "Linha 1 / Linha 2" in cli("posts", "list", "ana").output  # one line a post
    assert "cancelled" in cli("posts", "cancel", "1").output
    assert cli("posts", "cancel", "1").exit_code == 2  # already cancelled
    assert cli("posts", "show", "9").exit_code == 3


def test_posts_schedule_refuses_bad_input(cli, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(sample_mp4(5))
    assert cli("posts", "schedule", "ana", str(tmp_path / "none.mp4"), "--caption", "x").exit_code == 2
    assert cli("posts", "schedule", "ana", str(clip), "--caption", "x", "--at", "amanhã").exit_code == 2
    assert (
        cli("posts", "schedule", "ana", str(clip), "--caption", "x", "--at", "2026-12-05T18:00").exit_code
        == 2
    )
    assert cli("posts", "schedule", "nobody", str(clip), "--caption", "x").exit_code == 3
    assert json.loads(cli("posts", "list", "--json").output) == []
