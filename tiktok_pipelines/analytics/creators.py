"""The creator engagement tables of analytics.duckdb: growth per day, video performance, best videos,
hashtags, posting times and formats, from the creator lake tables. Days and hours are in each creator's
own time zone (the one its profile snapshots carry)."""

from __future__ import annotations

from tiktok_pipelines.analytics.schema import TABLES_BY_NAME
from tiktok_pipelines.core.content import DURATION_BUCKETS

CREATOR_SOURCE_TABLES = (
    "creator_profiles",
    "creator_videos",
    "creator_video_metrics",
    "creator_recommendations",
)
CREATOR_ANALYTICS_TABLES = (
    "creator_growth_daily",
    "creator_video_performance",
    "creator_best_videos",
    "creator_hashtags",
    "creator_posting_times",
    "creator_formats",
    "creator_recommendations",
)

_ENGAGEMENT = "CAST(likes + comments + shares AS DOUBLE) / nullif(views, 0)"
_SUM_ENGAGEMENT = "CAST(sum(likes) + sum(comments) + sum(shares) AS DOUBLE) / nullif(sum(views), 0)"


def _bucket(column: str) -> str:
    cases = " ".join(f"WHEN {column} < {bound} THEN '{label}'" for label, bound in DURATION_BUCKETS if bound)
    return f"CASE WHEN {column} IS NULL THEN 'unknown' {cases} ELSE '{DURATION_BUCKETS[-1][0]}' END"


def creator_relations(default_timezone: str, top_n: int) -> list[tuple[str, str]]:
    """(name, SELECT) of the creator tables in dependency order (`_` names are intermediate)."""
    tz = "'" + default_timezone.replace("'", "''") + "'"
    return [
        (
            "_creator_tz",
            f"""
            SELECT creator_id, coalesce(arg_max(timezone, snapshot_at), {tz}) AS timezone
            FROM src_creator_profiles GROUP BY creator_id""",
        ),
        (
            "creator_growth_daily",
            f"""
            WITH snaps AS (
                SELECT p.*, CAST(timezone(coalesce(t.timezone, {tz}), p.snapshot_at) AS DATE) AS day
                FROM src_creator_profiles p LEFT JOIN _creator_tz t USING (creator_id)),
            last AS (
                SELECT * FROM snaps QUALIFY row_number() OVER (
                    PARTITION BY creator_id, day ORDER BY snapshot_at DESC, _file DESC, _row DESC) = 1)
            SELECT creator_id, day, snapshot_at, follower_count AS followers, following_count AS following,
                   likes_count AS likes, video_count AS videos,
                   follower_count - lag(follower_count) OVER w AS followers_change,
                   likes_count - lag(likes_count) OVER w AS likes_change,
                   video_count - lag(video_count) OVER w AS videos_change
            FROM last WINDOW w AS (PARTITION BY creator_id ORDER BY day)""",
        ),
        (
            "creator_video_performance",
            f"""
            WITH m AS (
                SELECT creator_id, video_id, snapshot_at, views, likes, comments, shares,
                       lag(snapshot_at) OVER w AS previous_snapshot_at, lag(views) OVER w AS previous_views,
                       lag(likes) OVER w AS previous_likes, lag(comments) OVER w AS previous_comments,
                       lag(shares) OVER w AS previous_shares,
                       row_number() OVER (PARTITION BY creator_id, video_id
                                          ORDER BY snapshot_at DESC, _file DESC, _row DESC) AS newest
                FROM src_creator_video_metrics
                WINDOW w AS (PARTITION BY creator_id, video_id ORDER BY snapshot_at, _file, _row))
            SELECT v.creator_id, v.video_id, v.created_at,
                   CAST(timezone(coalesce(t.timezone, {tz}), v.created_at) AS DATE) AS posted_day,
                   isodow(timezone(coalesce(t.timezone, {tz}), v.created_at)) AS posted_weekday,
                   hour(timezone(coalesce(t.timezone, {tz}), v.created_at)) AS posted_hour,
                   v.title, v.description, v.duration_seconds, {_bucket("v.duration_seconds")} AS duration_bucket,
                   v.share_url, m.snapshot_at, coalesce(m.views, 0) AS views, coalesce(m.likes, 0) AS likes,
                   coalesce(m.comments, 0) AS comments, coalesce(m.shares, 0) AS shares,
                   CAST(m.likes + m.comments + m.shares AS DOUBLE) / nullif(m.views, 0) AS engagement_rate,
                   m.previous_snapshot_at, m.views - m.previous_views AS views_growth,
                   m.likes - m.previous_likes AS likes_growth, m.comments - m.previous_comments AS comments_growth,
                   m.shares - m.previous_shares AS shares_growth
            FROM cur_creator_videos v
            LEFT JOIN m ON m.creator_id = v.creator_id AND m.video_id = v.video_id AND m.newest = 1
            LEFT JOIN _creator_tz t ON t.creator_id = v.creator_id""",
        ),
        (
            "creator_best_videos",
            f"""
            SELECT * FROM (
                SELECT row_number() OVER (PARTITION BY creator_id
                                          ORDER BY engagement_rate DESC NULLS LAST, views DESC, video_id) AS rank,
                       creator_id, video_id, created_at, title, duration_seconds, views, likes, comments, shares,
                       engagement_rate, views_growth
                FROM creator_video_performance WHERE views > 0)
            WHERE rank <= {int(top_n)}""",
        ),
        (
            "_creator_video_tags",
            r"""
            SELECT creator_id, video_id, views, likes, comments, shares,
                   unnest(list_distinct(regexp_extract_all(
                       lower(coalesce(title, '') || ' ' || coalesce(description, '')), '#([\p{L}\p{N}_]+)', 1)))
                       AS hashtag
            FROM creator_video_performance""",
        ),
        (
            "creator_hashtags",
            f"""
            SELECT creator_id, hashtag, count(*) AS videos, sum(views) AS views, sum(likes) AS likes,
                   sum(comments) AS comments, sum(shares) AS shares,
                   CAST(sum(views) AS DOUBLE) / count(*) AS avg_views, {_SUM_ENGAGEMENT} AS engagement_rate
            FROM _creator_video_tags GROUP BY creator_id, hashtag""",
        ),
        (
            "creator_posting_times",
            f"""
            WITH slots AS (
                SELECT creator_id, posted_weekday AS weekday, posted_hour AS hour, count(*) AS videos,
                       sum(views) AS views, CAST(sum(views) AS DOUBLE) / count(*) AS avg_views,
                       {_SUM_ENGAGEMENT} AS engagement_rate
                FROM creator_video_performance WHERE created_at IS NOT NULL
                GROUP BY creator_id, posted_weekday, posted_hour)
            SELECT creator_id, weekday, dayname(DATE '2024-01-07' + CAST(weekday AS INTEGER)) AS weekday_name, hour, videos,
                   views, avg_views, engagement_rate,
                   row_number() OVER (PARTITION BY creator_id
                                      ORDER BY engagement_rate DESC NULLS LAST, avg_views DESC, weekday, hour) AS rank
            FROM slots""",
        ),
        (
            "creator_formats",
            f"""
            SELECT creator_id, duration_bucket, count(*) AS videos, avg(duration_seconds) AS avg_duration_seconds,
                   sum(views) AS views, CAST(sum(views) AS DOUBLE) / count(*) AS avg_views,
                   {_SUM_ENGAGEMENT} AS engagement_rate
            FROM creator_video_performance GROUP BY creator_id, duration_bucket""",
        ),
        (
            "creator_recommendations",
            """
            SELECT * EXCLUDE (_file, _row) FROM src_creator_recommendations
            QUALIFY generated_at = max(generated_at) OVER (PARTITION BY creator_id)""",
        ),
    ]


def creator_rows(con, creator_id: str) -> dict[str, int]:
    """Rows of the creator in every creator table of an open analytics database."""
    return {
        name: con.execute(f"SELECT count(*) FROM {name} WHERE creator_id = ?", [creator_id]).fetchone()[0]
        for name in CREATOR_ANALYTICS_TABLES
        if name in TABLES_BY_NAME
    }
