"""The simulated creators: a profile and a posting history drawn from a seed, whose videos gain views,
likes, comments and shares as the clock runs (an early burst, then a long tail), and whose followers
follow the views. Everything is a pure function of the seed, the anchor day and the time asked about,
so two runs of the sandbox on the same day answer the same numbers.

The history carries what engagement analytics look for: hashtags in titles and descriptions with
different reach, posting hours and weekdays (in the creator's time zone) that do better than others,
and durations whose formats do better than others."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

DAY = 86400
_NAMESPACE = uuid.UUID("5b0c1f4e-7d3a-4c55-9a61-2f0b8f7e9c10")

# Hashtag → reach multiplier: some tags carry a video further than others.
HASHTAGS: dict[str, float] = {
    "#fyp": 1.4,
    "#receita": 1.2,
    "#moda": 1.0,
    "#dicas": 0.9,
    "#tutorial": 1.1,
    "#unboxing": 0.8,
    "#promo": 0.6,
    "#lookdodia": 1.3,
    "#skincare": 1.0,
    "#humor": 1.5,
}
SUBJECTS = (
    "Look do dia",
    "Receita rápida de pão de queijo",
    "Unboxing do tênis novo",
    "3 dicas de skincare",
    "Tutorial de maquiagem",
    "Provando o açaí mais famoso",
    "Organizando o closet",
    "Bastidores da loja",
    "Promoção da semana",
    "Reagindo aos comentários",
)
# Local posting hour → (how often the creator posts then, reach multiplier).
HOURS: dict[int, tuple[float, float]] = {
    8: (1, 0.7),
    12: (3, 1.0),
    15: (1, 0.8),
    18: (3, 1.2),
    20: (4, 1.5),
    22: (2, 1.1),
}
WEEKDAY_REACH = (0.9, 0.9, 1.0, 1.0, 1.1, 1.3, 1.2)  # Monday … Sunday
# Duration range (seconds) → (weight, reach multiplier): short formats travel further.
DURATIONS: dict[tuple[int, int], tuple[float, float]] = {
    (7, 15): (3, 1.3),
    (15, 30): (4, 1.2),
    (30, 60): (3, 1.0),
    (60, 180): (2, 0.8),
    (180, 600): (1, 0.6),
}


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, ":".join(parts)))


@dataclass(frozen=True)
class Video:
    """One video of the history, with what decides its numbers at any time."""

    id: str
    create_time: int  # epoch seconds
    title: str
    description: str
    duration: int
    width: int
    height: int
    public: bool
    is_aigc: bool
    peak_views: float  # where the early burst settles
    burst_hours: float  # about 63% of the burst is reached after this long
    tail_per_day: float  # views a day after the burst
    like_rate: float
    comment_rate: float
    share_rate: float

    def views(self, now: float, speedup: float = 1.0) -> int:
        age = max(0.0, (now - self.create_time) * speedup)
        if now < self.create_time:
            return 0
        burst = self.peak_views * (1 - math.exp(-age / (self.burst_hours * 3600)))
        return int(burst + self.tail_per_day * age / DAY)

    def counts(self, now: float, speedup: float = 1.0) -> dict[str, int]:
        views = self.views(now, speedup)
        return {
            "view_count": views,
            "like_count": int(views * self.like_rate),
            "comment_count": int(views * self.comment_rate),
            "share_count": int(views * self.share_rate),
        }


@dataclass
class SimulatedCreator:
    """A creator account: its profile and its whole posting history (past and to come)."""

    username: str
    display_name: str
    bio_description: str
    is_verified: bool
    following_count: int
    base_followers: int
    follow_rate: float  # followers gained per view
    time_zone: str
    videos: list[Video] = field(default_factory=list)
    # Content Posting: a private account is not offered PUBLIC_TO_EVERYONE; the longest video it may post.
    private_account: bool = False
    max_video_post_duration_sec: int = 600

    @property
    def union_id(self) -> str:
        return stable_uuid("union", self.username)

    def open_id(self, client_key: str) -> str:
        """The creator's id for one app: stable for that app, different for another (reference §6)."""
        return stable_uuid("open", client_key, self.username)

    def published(self, now: float) -> list[Video]:
        """The public videos posted by `now`, newest first."""
        return sorted(
            (v for v in self.videos if v.public and v.create_time <= now),
            key=lambda v: v.create_time,
            reverse=True,
        )

    def stats(self, now: float, speedup: float = 1.0) -> dict[str, int]:
        posted = [v for v in self.videos if v.create_time <= now]
        views = sum(v.views(now, speedup) for v in posted if v.public)
        return {
            "follower_count": self.base_followers + int(views * self.follow_rate),
            "following_count": self.following_count,
            "likes_count": sum(v.counts(now, speedup)["like_count"] for v in posted),
            "video_count": sum(1 for v in posted if v.public),
        }


def _weighted(rng: random.Random, table: dict):
    keys = list(table)
    return rng.choices(keys, weights=[table[k][0] for k in keys])[0]


def generate_creator(
    username: str,
    display_name: str,
    seed: int,
    anchor: float,
    history_days: int = 120,
    future_days: int = 60,
    posts_per_day: float = 0.7,
    time_zone: str = "America/Sao_Paulo",
    followers: int = 15000,
) -> SimulatedCreator:
    """A creator whose history runs from `history_days` before the anchor's day to `future_days` after
    it (videos appear as the clock reaches them). Same seed and same anchor day: same creator."""
    rng = random.Random(f"{seed}:{username}")
    zone = ZoneInfo(time_zone)
    start_day = datetime.fromtimestamp(int(anchor // DAY) * DAY, zone).date() - timedelta(days=history_days)
    creator = SimulatedCreator(
        username=username,
        display_name=display_name,
        bio_description=f"{display_name} | moda, receitas e achados ✨",
        is_verified=rng.random() < 0.3,
        following_count=rng.randint(80, 900),
        base_followers=followers,
        follow_rate=rng.uniform(0.002, 0.006),
        time_zone=time_zone,
    )
    base_reach = followers * rng.uniform(0.4, 1.2)
    taken: set[int] = set()
    for day in range(history_days + future_days):
        if rng.random() > posts_per_day:
            continue
        date = start_day + timedelta(days=day)
        hour = _weighted(rng, HOURS)
        local = datetime(
            date.year, date.month, date.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=zone
        )
        create_time = int(local.timestamp())
        while create_time in taken:  # one video a second at most: the list cursor is a timestamp
            create_time += 1
        taken.add(create_time)
        tags = rng.sample(list(HASHTAGS), rng.randint(1, 3))
        extra = rng.sample([t for t in HASHTAGS if t not in tags], 1)
        subject = rng.choice(SUBJECTS)
        low, high = _weighted(rng, DURATIONS)
        duration = rng.randint(low, high)
        reach = (
            base_reach
            * math.prod(HASHTAGS[t] for t in tags) ** 0.5
            * HOURS[hour][1]
            * WEEKDAY_REACH[local.weekday()]
            * DURATIONS[(low, high)][1]
            * rng.lognormvariate(0, 0.5)
        )
        creator.videos.append(
            Video(
                id=str(rng.randrange(7 * 10**18, 8 * 10**18)),
                create_time=create_time,
                title=f"{subject} {' '.join(tags)}"[:150],
                description=f"{subject}! Conta nos comentários o que achou {' '.join(tags + extra)}"[:150],
                duration=duration,
                width=1080,
                height=1920,
                public=rng.random() > 0.08,
                is_aigc=rng.random() < 0.05,
                peak_views=reach,
                burst_hours=rng.uniform(12, 48),
                tail_per_day=reach * rng.uniform(0.002, 0.01),
                like_rate=rng.uniform(0.04, 0.12),
                comment_rate=rng.uniform(0.002, 0.01),
                share_rate=rng.uniform(0.001, 0.008),
            )
        )
    return creator
