"""`tiktok-pipelines posts`: a creator's post queue (schedule, list, show, cancel, attach a video to a
waiting draft, retry a failed post). `post_queue_sensor` publishes what is due."""

from __future__ import annotations

import json

import click

from tiktok_pipelines.cli.common import EXIT_INVALID, EXIT_NOT_FOUND, fail, print_table, state_db

PRIVACY = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")


def _queue():
    from tiktok_pipelines.stores.posts import PostQueue

    return PostQueue(state_db())


def _run(fn):
    """Runs a queue step; a refusal or an unknown post becomes its message and exit code."""
    from tiktok_pipelines.lanes.content.schedule import PostInputError
    from tiktok_pipelines.stores.posts import PostNotFound, PostStateError

    try:
        return fn()
    except PostNotFound as exc:
        fail(str(exc), EXIT_NOT_FOUND)
    except (PostInputError, PostStateError) as exc:
        fail(str(exc), EXIT_INVALID)


def _said(post) -> str:
    extra = f" ({post.reason})" if post.reason else ""
    return f"post {post.post_id} of {post.creator_id}: {post.status}, due {post.due_at.isoformat()}{extra}"


@click.group()
def posts() -> None:
    """A creator's posts to TikTok: scheduled, published when due (direct, or as an inbox draft)."""


@posts.command("schedule")
@click.argument("creator_id")
@click.argument("video")
@click.option("--caption", required=True, help="The post's caption (hashtags included).")
@click.option(
    "--privacy",
    type=click.Choice(PRIVACY, case_sensitive=False),
    default="SELF_ONLY",
    show_default=True,
    help="Who sees it (must be one the creator is offered; an unaudited app posts SELF_ONLY).",
)
@click.option(
    "--at", "when", default="now", show_default=True, help="now, +30m, +2h, or an ISO time with zone."
)
@click.option(
    "--mode",
    type=click.Choice(("direct", "inbox")),
    default="direct",
    show_default=True,
    help="direct: posted on the profile; inbox: a draft the creator finishes in TikTok.",
)
def schedule(creator_id: str, video: str, caption: str, privacy: str, when: str, mode: str) -> None:
    """Queues a post of VIDEO (an MP4, MOV or WebM file, or a URL on a prefix verified for the app)."""
    from tiktok_pipelines.lanes.content.schedule import parse_when, schedule_post

    db = state_db()
    post = _run(lambda: schedule_post(db, creator_id, video, caption, privacy, parse_when(when), mode))
    click.echo(_said(post))


@posts.command("list")
@click.argument("creator_id", required=False)
@click.option("--status", "statuses", multiple=True, help="Only posts in this status (repeatable).")
@click.option("--json", "as_json", is_flag=True)
def list_(creator_id: str | None, statuses: tuple[str, ...], as_json: bool) -> None:
    """The queue (of one creator, or all), by due time."""
    rows = [p.public_dict() for p in _queue().list(creator_id, statuses)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
    elif rows:
        for row in rows:  # one line a post: a caption's lines are joined
            row["caption"] = " / ".join(row["caption"].splitlines())
        print_table(rows, ("post_id", "creator_id", "mode", "status", "due_at", "caption", "reason"))
    else:
        click.echo("no post")


@posts.command("show")
@click.argument("post_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def show(post_id: int, as_json: bool) -> None:
    """One post: its status, TikTok's publish id and status, why it waits, failed or was refused."""
    data = _run(lambda: _queue().get(post_id)).public_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    for key, value in data.items():
        click.echo(f"{key}: {'' if value is None else value}")


@posts.command("cancel")
@click.argument("post_id", type=int)
def cancel(post_id: int) -> None:
    """Cancels a scheduled post (or a waiting draft); one already sent to TikTok is not."""
    click.echo(_said(_run(lambda: _queue().cancel(post_id))))


@posts.command("attach")
@click.argument("post_id", type=int)
@click.argument("video")
def attach(post_id: int, video: str) -> None:
    """Gives a draft waiting for its video (a product without one) a file or URL, and schedules it."""
    from tiktok_pipelines.lanes.content.schedule import video_of

    def run():
        kind, media, duration = video_of(video)
        return _queue().attach_media(post_id, kind, media, duration)

    click.echo(_said(_run(run)))


@posts.command("retry")
@click.argument("post_id", type=int)
def retry(post_id: int) -> None:
    """Schedules a failed or refused post again, from a new init: check the creator's profile first when
    the post failed because its init's answer was lost."""
    click.echo(_said(_run(lambda: _queue().retry(post_id))))
