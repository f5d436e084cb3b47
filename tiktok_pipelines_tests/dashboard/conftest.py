"""Fixtures of the dashboard tests: a generated analytics database, the dashboard served on it, and a
headless Chromium (Debian's `chromium` and `chromium-driver`, installed by .ci/run) driven by Selenium.

The browser tests never skip: without Chromium they fail and say what to install.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tiktok_pipelines.analytics.refresh import refresh
from tiktok_pipelines.core.creator_tables import metrics_table, profile_table, videos_table
from tiktok_pipelines.core.notifications import Notice, NotificationKind
from tiktok_pipelines.dashboard.app import create_app
from tiktok_pipelines.defs.resources.storage import LocalObjectStore, ParquetLake
from tiktok_pipelines.lanes.content.llm import LlmConfig
from tiktok_pipelines.lanes.content.recommendations import ContentSettings, recommend, shop_sales
from tiktok_pipelines.sandbox.sales import generate_event_log, generate_sales
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.creator_lake import CreatorLake
from tiktok_pipelines.stores.creators import CreatorRegistry
from tiktok_pipelines.stores.crypto import SecretBox
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.notification_destinations import NotificationDestinations
from tiktok_pipelines.stores.notifications import NotificationOutbox
from tiktok_pipelines.stores.registry import ClientRegistry, build_client
from tiktok_pipelines_tests.analytics.conftest import GENERATED, GENERATED_AS_OF
from tiktok_pipelines_tests.stores.test_registry import FIELDS

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
CHROMEDRIVER = "chromedriver"


@dataclass
class Generated:
    folder: Path
    lake: ParquetLake
    db: StateDB

    @property
    def path(self) -> Path:
        return self.folder / "analytics.duckdb"

    def build(self, as_of=GENERATED_AS_OF):
        return refresh(self.lake, self.db, self.path, as_of=as_of)

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            con.execute("SET TimeZone = 'UTC'")
            return con.execute(query, params or []).fetchall()
        finally:
            con.close()


CREATORS = ("maria", "joao")
TAGS = ("#moda", "#look", "#promo", "#unboxing")


def generate_creators(lake: ParquetLake, days: int = 30, videos: int = 14) -> None:
    """Two creators: a profile snapshot a day up to the build, videos of varied length, hour and
    hashtags, and two metric snapshots of each."""
    creators = CreatorLake(lake.objects)
    for c, creator in enumerate(CREATORS):
        for d in range(days):
            at = GENERATED_AS_OF - timedelta(days=days - 1 - d, hours=1)
            user = {
                "follower_count": 1000 * (c + 1) + 37 * d + (d * d) % 11,
                "following_count": 80 + c,
                "likes_count": 5000 * (c + 1) + 410 * d,
                "video_count": 20 + d // 3,
            }
            profile = profile_table(
                creator, user, ["user.info.basic", "user.info.stats"], "America/Sao_Paulo", at
            )
            creators.append("creator_profiles", creator, profile)
        listed = [
            {
                "id": f"{creator}-{v}",
                "create_time": int(
                    (GENERATED_AS_OF - timedelta(days=2 * v + 1, hours=3 * v + c)).timestamp()
                ),
                "title": f"Video {v} {TAGS[v % 4]} {TAGS[(v + c) % 3]}",
                "video_description": "" if v % 2 else "#Moda de verão",
                "duration": (7, 22, 45, 95, 240)[v % 5],
            }
            for v in range(videos)
        ]
        creators.append(
            "creator_videos", creator, videos_table(creator, listed, GENERATED_AS_OF - timedelta(days=1))
        )
        for snapshot, days_ago in enumerate((3, 1)):
            counts = [
                {
                    **v,
                    "view_count": (v_n * 97 % 13 + 1) * 1000 * (snapshot + 1) + 10 * c,
                    "like_count": (v_n * 31 % 7 + 1) * 40 * (snapshot + 1),
                    "comment_count": v_n * 3 + snapshot,
                    "share_count": v_n % 4,
                }
                for v_n, v in enumerate(listed)
            ]
            at = GENERATED_AS_OF - timedelta(days=days_ago)
            creators.append("creator_video_metrics", creator, metrics_table(creator, counts, at))


def recommend_for_maria(generated: Generated) -> None:
    """maria, linked to loja-1, gets a recommendations run from the built database's sales (ideas from the
    rules: no model configured)."""
    creator = CreatorRegistry(generated.db).add("maria", client_id="loja-1")

    def sales(client_id, as_of, days):
        con = duckdb.connect(str(generated.path), read_only=True)
        try:
            return shop_sales(con, client_id, as_of, days)
        finally:
            con.close()

    lake = CreatorLake(generated.lake.objects)
    settings = ContentSettings(min_videos=2)
    recommend(
        lake, creator, sales=sales, llm=LlmConfig(api_key=None), settings=settings, as_of=GENERATED_AS_OF
    )


def record_notifications(db: StateDB) -> None:
    """Notifications of both clients: orders placed (some sent, some failed), runs failed (no channel)
    and days' sales no destination wants."""
    registry, destinations, outbox = ClientRegistry(db), NotificationDestinations(db), NotificationOutbox(db)
    for n, client in enumerate(("loja-1", "loja-2")):
        registry.add(build_client(**{**FIELDS, "client_id": client, "tiktok_shop_code": f"BRLOJA0{n + 1}"}))
        destinations.add(client, "chat", "json://127.0.0.1:9/hook", kinds=["order_placed", "run_failed"])
        destinations.add(client, "email", "mailto://user:secret@smtp.example.com", kinds=["run_failed"])
        for day in range(10):
            at = GENERATED_AS_OF - timedelta(days=day, hours=2)
            notices = [
                Notice(
                    client,
                    NotificationKind.ORDER_PLACED,
                    f"order_placed:tiktok_shop:{day}-{i}",
                    {"order_id": i},
                    channel="tiktok_shop",
                )
                for i in range(day % 4 + 1)
            ]
            notices.append(
                Notice(
                    client,
                    NotificationKind.DAILY_SALES,
                    f"daily_sales:tiktok_shop:{day}",
                    channel="tiktok_shop",
                )
            )
            if day % 3 == 0:
                notices.append(Notice(client, NotificationKind.RUN_FAILED, f"run_failed:{day}"))
            outbox.record(notices, now=at)
            due = [d.id for d in outbox.due(at, 500)][: day % 3 + 1]
            outbox.delivered(outbox.claim(due, "sender", 60, at), "sender", at + timedelta(seconds=5 + day))
        outbox.give_up_older_than(GENERATED_AS_OF - timedelta(days=7), GENERATED_AS_OF)


@pytest.fixture(scope="package")
def generated(tmp_path_factory) -> Generated:
    """Two clients, 800 orders each over 45 days, two creators and the clients' notifications, built into
    analytics.duckdb as of 2026-02-15."""
    folder = tmp_path_factory.mktemp("dashboard")
    lake = ParquetLake(objects=LocalObjectStore(base_dir=str(folder / "lake")))
    db = StateDB(f"sqlite:///{folder / 'state.db'}", SecretBox.from_key_string(SecretBox.generate_key()))
    generate_sales(lake, GENERATED)
    generate_event_log(db, GENERATED)
    generate_creators(lake)
    record_notifications(db)
    g = Generated(folder, lake, db)
    g.build()
    recommend_for_maria(g)
    g.build()
    return g


def development(folder: Path, **extra: str) -> Settings:
    return Settings.load({"TIKTOK_PIPELINES_DATA_DIR": str(folder), **extra})


@pytest.fixture(scope="package")
def served(generated) -> Iterator[str]:
    """The dashboard (development: no login) on the generated database; its base URL."""
    server = ServerThread(create_app(development(generated.folder), generated.path)).start()
    yield server.url
    server.stop()


def _find(names: tuple[str, ...]) -> str | None:
    return next((p for p in (shutil.which(n) for n in names) if p), None)


def new_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = _find(CHROMIUM), _find((CHROMEDRIVER,))
    if not binary or not driver:
        pytest.fail(
            "the dashboard's browser tests need Chromium and its driver: "
            "`apt-get install chromium chromium-driver` (.ci/run installs them)",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(driver))


def heading(browser, text: str, seconds: float = 10.0) -> None:
    """Waits until the page shown is the one titled `text` (a form posted, a redirect followed)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # While the next page loads, the heading read may be the old page's, gone meanwhile.
    WebDriverWait(
        browser, seconds, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    ).until(lambda b: b.find_element(By.TAG_NAME, "h1").text == text)


@pytest.fixture(scope="package")
def browser():
    driver = new_browser()
    yield driver
    driver.quit()


@pytest.fixture(scope="package")
def screenshots(tmp_path_factory) -> Path:
    """Where the tests save a screenshot of every page (DASHBOARD_SCREENSHOTS to keep them)."""
    folder = os.environ.get("DASHBOARD_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path
