"""Fixtures of the dashboard tests: a generated analytics database, the dashboard served on it, and a
headless Chromium (Debian's `chromium` and `chromium-driver`, installed by .ci/run) driven by Selenium.

The browser tests never skip: without Chromium they fail and say what to install.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tiktok_pipelines.analytics.refresh import refresh
from tiktok_pipelines.dashboard.app import create_app
from tiktok_pipelines.defs.resources.storage import LocalObjectStore, ParquetLake
from tiktok_pipelines.sandbox.sales import generate_event_log, generate_sales
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.crypto import SecretBox
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines_tests.analytics.conftest import GENERATED, GENERATED_AS_OF

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


@pytest.fixture(scope="package")
def generated(tmp_path_factory) -> Generated:
    """Two clients, 800 orders each over 45 days, built into analytics.duckdb as of 2026-02-15."""
    folder = tmp_path_factory.mktemp("dashboard")
    lake = ParquetLake(objects=LocalObjectStore(base_dir=str(folder / "lake")))
    db = StateDB(f"sqlite:///{folder / 'state.db'}", SecretBox.from_key_string(SecretBox.generate_key()))
    generate_sales(lake, GENERATED)
    generate_event_log(db, GENERATED)
    g = Generated(folder, lake, db)
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
