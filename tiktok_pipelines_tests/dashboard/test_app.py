"""The dashboard as a user meets it: the login outside development, read-only pages that follow each
new build, CSV exports equal to the tables, and clear answers to bad filters and a missing database."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from click.testing import CliRunner
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.dashboard.app import create_app
from tiktok_pipelines.dashboard.auth import hash_password, verify_password
from tiktok_pipelines.dashboard.pages import PageDeclarationError, load_pages
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.settings import ConfigError, Settings
from tiktok_pipelines.stores.crypto import SecretBox
from tiktok_pipelines_tests.dashboard.conftest import development, heading

PASSWORD = "correct horse battery staple"


def production(folder, **extra: str) -> Settings:
    return Settings.load(
        {
            "TIKTOK_PIPELINES_ENV": "production",
            "TIKTOK_PIPELINES_DATA_DIR": str(folder),
            "TIKTOK_PIPELINES_SECRET_KEY": SecretBox.generate_key(),
            **extra,
        }
    )


def test_outside_development_the_dashboard_will_not_start_without_a_password(generated):
    with pytest.raises(ConfigError, match="TIKTOK_PIPELINES_DASHBOARD_PASSWORD_HASH"):
        create_app(production(generated.folder), generated.path)
    with pytest.raises(ConfigError, match="hash-password"):
        create_app(production(generated.folder, TIKTOK_PIPELINES_DASHBOARD_PASSWORD_HASH="hunter2"))


def test_outside_development_every_page_asks_for_the_password(generated, browser, screenshots):
    settings = production(generated.folder, TIKTOK_PIPELINES_DASHBOARD_PASSWORD_HASH=hash_password(PASSWORD))
    # Served over plain HTTP in the test: the cookie's Secure flag is checked apart, below.
    app = create_app(settings, generated.path)
    server = ServerThread(app).start()
    try:
        for path in ("/sales", "/orders?period=7d", "/sync/errors.csv"):
            answer = httpx.get(server.url + path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
            assert "net" not in answer.text
        answer = httpx.post(server.url + "/login", data={"password": "wrong", "next": "/sales"})
        assert answer.status_code == 401 and "Wrong password" in answer.text
        signed = httpx.post(server.url + "/login", data={"password": PASSWORD, "next": "/sales"})
        assert signed.status_code == 303 and signed.headers["location"] == "/sales"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
        assert (
            "https://evil"
            not in httpx.post(
                server.url + "/login", data={"password": PASSWORD, "next": "https://evil.example/"}
            ).headers["location"]
        )

        browser.delete_all_cookies()
        browser.get(server.url + "/sales?period=all")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"
        assert not browser.find_elements(By.CSS_SELECTOR, "table, .kpi")
    finally:
        server.stop()


def test_a_signed_in_browser_sees_the_pages_and_signs_out(generated, browser, screenshots):
    settings = development(generated.folder, TIKTOK_PIPELINES_DASHBOARD_PASSWORD_HASH=hash_password(PASSWORD))
    server = ServerThread(create_app(settings, generated.path)).start()
    try:
        browser.delete_all_cookies()
        browser.get(server.url + "/orders?period=all")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"
        browser.save_screenshot(str(screenshots / "login.png"))
        browser.find_element(By.NAME, "password").send_keys("not it")
        browser.find_element(By.CSS_SELECTOR, "main form button").click()
        WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "failed"))
        assert browser.find_element(By.ID, "failed").text == "Wrong password."
        browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "main form button").click()
        heading(browser, "Order pipeline")
        assert "period=all" in browser.current_url
        browser.find_element(By.CSS_SELECTOR, "header form button").click()
        heading(browser, "Sign in")
        browser.get(server.url + "/sales")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"
    finally:
        server.stop()


def test_the_password_hash_is_made_by_the_cli_and_the_password_kept_nowhere():
    result = CliRunner().invoke(main, ["dashboard", "hash-password", "--stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    stored = result.output.strip()
    assert PASSWORD not in stored and verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + "!", stored)
    short = CliRunner().invoke(main, ["dashboard", "hash-password", "--stdin"], input="short\n")
    assert short.exit_code == 2 and "12 characters" in short.output


def test_pages_only_read(served):
    for method in ("POST", "PUT", "DELETE"):
        assert httpx.request(method, f"{served}/sales").status_code == 405
    page = httpx.get(f"{served}/sales")
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_a_page_reads_each_new_build_and_never_holds_one_back(generated, served):
    before = httpx.get(f"{served}/sales?period=all").text
    assert "Built 2026-02-15 03:00 UTC" in before
    with httpx.Client() as client:
        # A build publishes while pages are being read: it is not blocked, and the next page shows it.
        report = generated.build(as_of=datetime(2026, 2, 16, 3, tzinfo=UTC))
        assert report.path == generated.path
        after = client.get(f"{served}/sales?period=all").text
    assert "Built 2026-02-16 03:00 UTC" in after
    generated.build()  # back to the build the other tests read
    assert "Built 2026-02-15 03:00 UTC" in httpx.get(f"{served}/sales").text


def test_the_csv_export_has_the_rows_of_the_table(generated, served):
    answer = httpx.get(f"{served}/sales/daily.csv?client=loja-2&period=all")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="sales-daily.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    expected = generated.sql(
        "SELECT CAST(day AS VARCHAR), sum(orders), sum(net) FROM sales_daily WHERE client_id = 'loja-2' "
        "GROUP BY day ORDER BY day"
    )
    assert [(r["day"], int(r["orders"]), Decimal(r["net"])) for r in rows] == expected
    assert httpx.get(f"{served}/sales/nothing.csv").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=5y", "period must be one of"),
        ("from=2026-13-01", "from must be a date"),
        ("from=2026-02-10&to=2026-02-01", "is after to"),
        ("client=%27%3B%20DROP%20TABLE%20orders", "client must be an id"),
    ],
)
def test_a_bad_filter_is_refused_with_what_is_wrong(served, query, message):
    answer = httpx.get(f"{served}/sales?{query}")
    assert answer.status_code == 400 and message in answer.text.replace("&#39;", "'")


def test_before_the_first_build_a_page_says_how_the_data_comes(tmp_path):
    server = ServerThread(create_app(development(tmp_path), tmp_path / "analytics.duckdb")).start()
    try:
        answer = httpx.get(server.url + "/sales")
        assert answer.status_code == 503 and "analytics_job" in answer.text
        assert httpx.get(server.url + "/health").json() == {"status": "ok", "database": False}
    finally:
        server.stop()


def test_a_filter_a_page_does_not_take_is_left_out_of_its_queries(served):
    # Creators belong to no client or channel: a client chosen on another page does not empty the page.
    answer = httpx.get(f"{served}/creators?client=loja-1&channel=tiktok_shop&period=all")
    assert answer.status_code == 200, answer.text
    assert 'data-kpi="creator_id"' in answer.text and ">maria<" in answer.text and ">joao<" in answer.text
    assert "creators/videos.csv?period=all" in answer.text


def test_the_creators_page_shows_what_to_post_next_with_its_figures(served, generated):
    [(product, orders)] = generated.sql(
        "SELECT subject, sample_size FROM creator_recommendations WHERE kind = 'product' AND rank = 1"
    )
    best_seller = generated.sql(
        """SELECT product_name, sum(orders) FROM product_daily WHERE client_id = 'loja-1'
           AND day > DATE '2026-02-15' - INTERVAL 30 DAY GROUP BY channel_product_id, product_name
           ORDER BY sum(net) DESC LIMIT 1"""
    )
    assert [(product, orders)] == best_seller  # no video names it, so the best seller comes first
    answer = httpx.get(f"{served}/creators?creator=maria&period=all")
    assert answer.status_code == 200, answer.text
    assert "What to post next" in answer.text and "Post at " in answer.text
    assert html.escape(product, quote=False) in answer.text and ">no_key<" in answer.text
    assert ">joao<" not in answer.text.split("What to post next")[1]


def test_a_page_declaring_a_filter_its_tables_cannot_take_is_refused(tmp_path):
    declared = tmp_path / "pages.toml"
    declared.write_text(
        '[[page]]\nslug = "x"\ntitle = "X"\nintro = "x"\nfilters = ["shop"]\n'
        '[[page.section]]\nkey = "a"\ntitle = "A"\nsql = "SELECT 1 FROM t {where}"\n',
        encoding="utf-8",
    )
    with pytest.raises(PageDeclarationError, match="filters are some of client, channel, creator"):
        load_pages(declared)
