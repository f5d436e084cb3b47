"""Every page of the dashboard opened in headless Chromium on a generated database, its key numbers
checked against SQL of our own on the same file, and a screenshot of each saved."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tiktok_pipelines.dashboard.pages import PAGES

CLIENT = "loja-1"
BUILD_DAY = date(2026, 2, 15)  # GENERATED_AS_OF in the reporting time zone


def number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").strip())


def open_page(browser, served, screenshots, slug: str, query: str) -> None:
    browser.get(f"{served}/{slug}?{query}")
    assert browser.find_element(By.TAG_NAME, "h1").text
    assert not browser.find_elements(By.ID, "error"), browser.find_element(By.ID, "error").text
    browser.save_screenshot(str(screenshots / f"{slug}.png"))


def kpi(browser, section: str, name: str, row: int = 0) -> Decimal:
    box = browser.find_element(
        By.CSS_SELECTOR, f'#section-{section} .kpis[data-row="{row}"] [data-kpi="{name}"] .value'
    )
    return number(box.text)


def column(browser, section: str, name: str) -> list[str]:
    return [
        c.text for c in browser.find_elements(By.CSS_SELECTOR, f'#section-{section} td[data-col="{name}"]')
    ]


def choose(browser, **filters: str) -> None:
    """Chooses filters in the page's form and applies them, as a user does."""
    for name, value in filters.items():
        Select(browser.find_element(By.NAME, name)).select_by_value(value)
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    WebDriverWait(browser, 10).until(lambda b: all(f"{n}={v}" in b.current_url for n, v in filters.items()))


def test_every_page_opens_with_every_section(browser, served, screenshots):
    for page in PAGES:
        open_page(browser, served, screenshots, page.slug, "period=all")
        for section in page.sections:
            assert browser.find_element(By.ID, f"section-{section.key}")
        assert not browser.find_elements(By.CSS_SELECTOR, ".notice")  # every table is there
        assert (screenshots / f"{page.slug}.png").stat().st_size > 10_000


def test_sales_show_what_sales_daily_sums_for_the_client_and_period(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "sales", f"client={CLIENT}&period=7d")
    start = BUILD_DAY - timedelta(days=6)
    [(orders, units, gross, net, cancelled)] = generated.sql(
        "SELECT sum(orders), sum(units), sum(gross), sum(net), sum(cancelled_orders) FROM sales_daily "
        "WHERE client_id = ? AND day BETWEEN ? AND ?",
        [CLIENT, start, BUILD_DAY],
    )
    assert orders > 0
    assert kpi(browser, "totals", "orders") == orders
    assert kpi(browser, "totals", "units") == units
    assert kpi(browser, "totals", "gross") == gross
    assert kpi(browser, "totals", "net") == net
    assert kpi(browser, "totals", "cancelled_orders") == cancelled
    assert browser.find_element(By.ID, "period").text == f"{start} to {BUILD_DAY}"
    days = column(browser, "daily", "day")
    assert days[0] >= start.isoformat() and days[-1] <= BUILD_DAY.isoformat() and len(days) <= 7
    assert browser.find_elements(By.CSS_SELECTOR, "#section-daily svg polyline")


def test_top_products_count_each_order_once_per_product(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "products", f"client={CLIENT}&period=30d")
    top = generated.sql(
        "SELECT channel_product_id, count(DISTINCT order_id), sum(quantity), sum(net) FROM order_lines "
        "WHERE client_id = ? AND is_sale AND day > ? GROUP BY channel_product_id "
        "ORDER BY sum(net) DESC, sum(quantity) DESC, channel_product_id LIMIT 3",
        [CLIENT, BUILD_DAY - timedelta(days=30)],
    )
    assert column(browser, "top", "channel_product_id")[:3] == [t[0] for t in top]
    assert [int(number(v)) for v in column(browser, "top", "orders")[:3]] == [t[1] for t in top]
    assert [number(v) for v in column(browser, "top", "net")[:3]] == [t[3] for t in top]


def test_conversion_shows_views_and_orders_of_the_channel(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "conversion", "period=all")
    [(views, orders)] = generated.sql(
        "SELECT sum(page_views), sum(orders) FILTER (WHERE page_views IS NOT NULL) FROM conversion "
        "WHERE period = 'day'"
    )
    assert views > 0
    assert kpi(browser, "totals", "page_views") == views
    assert kpi(browser, "totals", "orders") == orders
    assert kpi(browser, "totals", "view_to_order_rate") == round(Decimal(orders) / Decimal(views), 4)


def test_stock_outs_count_periods_and_skus_out_now(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "stock-outs", "period=all")
    [(periods, out_now, longest)] = generated.sql(
        "SELECT count(*), count(*) FILTER (WHERE ongoing), "
        "(SELECT seller_sku FROM stock_outs GROUP BY client_id, seller_sku "
        " ORDER BY sum(duration_hours) DESC, seller_sku LIMIT 1) FROM stock_outs"
    )
    assert kpi(browser, "totals", "stock_outs") == periods
    assert kpi(browser, "totals", "out_now") == out_now > 0
    assert column(browser, "skus", "seller_sku")[0] == longest


def test_listings_by_state_name_the_paused_ones(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "listings", f"client={CLIENT}")
    counts = dict(
        generated.sql("SELECT status, count(*) FROM listings WHERE client_id = ? GROUP BY 1", [CLIENT])
    )
    states = dict(zip(column(browser, "states", "state"), column(browser, "states", "skus"), strict=True))
    assert int(number(states["live"])) == counts["ACTIVATE"]
    assert int(number(states["paused by the seller"])) == counts["SELLER_DEACTIVATED"]
    assert browser.find_element(By.ID, "period").text == "as last published"
    paused = column(browser, "attention", "state")
    assert paused.count("paused by the seller") == counts["SELLER_DEACTIVATED"]
    assert "catalog status" in browser.find_element(By.CSS_SELECTOR, "ul.next").text


def test_the_order_pipeline_counts_each_stage(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "orders", f"client={CLIENT}&period=all")
    [(placed, in_vtex, cancelled)] = generated.sql(
        "SELECT count(*), count(vtex_order_id), count(*) FILTER (WHERE is_cancelled) FROM orders "
        "WHERE client_id = ?",
        [CLIENT],
    )
    stages = dict(zip(column(browser, "funnel", "stage"), column(browser, "funnel", "orders"), strict=True))
    assert list(stages) == ["placed", "paid", "in_vtex", "invoiced", "shipped", "delivered", "cancelled"]
    assert int(number(stages["placed"])) == placed
    assert int(number(stages["in_vtex"])) == in_vtex
    assert int(number(stages["cancelled"])) == cancelled
    assert "orders list" in browser.find_element(By.CSS_SELECTOR, "ul.next").text


def test_sync_health_shows_webhooks_per_type_and_errors_by_code(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "sync", "period=all")
    webhooks = dict(
        generated.sql(
            "SELECT source || ':' || event_type, sum(total) FROM sync_health WHERE kind = 'webhook' GROUP BY 1"
        )
    )
    shown = zip(
        column(browser, "webhooks", "source"),
        column(browser, "webhooks", "event_type"),
        column(browser, "webhooks", "received"),
        strict=True,
    )
    assert {f"{s}:{t}": int(number(n)) for s, t, n in shown} == webhooks
    [(errors,)] = generated.sql("SELECT sum(errors) FROM sync_errors")
    assert sum(int(number(v)) for v in column(browser, "errors", "errors")) == errors > 0
    assert len(browser.find_elements(By.CSS_SELECTOR, "#section-daily svg")) == 2


def test_filters_are_chosen_in_the_page(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "sales", "period=all")

    choose(browser, client="loja-2", period="7d")
    [(net,)] = generated.sql(
        "SELECT sum(net) FROM sales_daily WHERE client_id = 'loja-2' AND day > ?",
        [BUILD_DAY - timedelta(days=7)],
    )
    assert kpi(browser, "totals", "net") == net
    link = browser.find_element(By.CSS_SELECTOR, "#section-daily a.csv").get_attribute("href")
    assert link.endswith("/sales/daily.csv?client=loja-2&period=7d")


@pytest.mark.parametrize("slug", [p.slug for p in PAGES])
def test_a_page_fetches_nothing_from_elsewhere(browser, served, slug):
    browser.get(f"{served}/{slug}?period=all")
    assert not browser.find_elements(By.TAG_NAME, "script")
    for tag, attribute in (("link", "href"), ("img", "src"), ("a", "href"), ("form", "action")):
        for element in browser.find_elements(By.TAG_NAME, tag):
            target = element.get_attribute(attribute) or ""
            assert target.startswith(served) or not target.startswith("http"), target
    entries = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert entries == []  # the page is one document: no style sheet, font, image or script loaded


def test_shop_performance_shows_the_shops_days_and_the_last_live(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "shop-performance", f"client={CLIENT}&period=7d")
    start = BUILD_DAY - timedelta(days=6)
    [(gmv, orders, live_gmv)] = generated.sql(
        "SELECT sum(gmv), sum(orders), (SELECT sum(gmv) FROM live_performance_daily "
        "  WHERE client_id = ? AND day BETWEEN ? AND ?) "
        "FROM shop_performance_daily WHERE client_id = ? AND day BETWEEN ? AND ?",
        [CLIENT, start, BUILD_DAY, CLIENT, start, BUILD_DAY],
    )
    assert orders > 0 and live_gmv > 0
    assert kpi(browser, "totals", "gmv") == gmv
    assert kpi(browser, "totals", "orders") == orders
    assert kpi(browser, "totals", "live_gmv") == live_gmv
    # the last LIVE first: how it sold
    [(live_id, live_orders, last_gmv)] = generated.sql(
        "SELECT live_id, orders, gmv FROM live_performance_daily WHERE client_id = ? "
        "ORDER BY day DESC, gmv DESC LIMIT 1",
        [CLIENT],
    )
    assert column(browser, "lives", "live_id")[0] == live_id
    assert int(number(column(browser, "lives", "orders")[0])) == live_orders
    assert number(column(browser, "lives", "gmv")[0]) == last_gmv
    assert len(browser.find_elements(By.CSS_SELECTOR, "#section-daily svg")) == 2


def test_creators_show_the_audience_videos_hashtags_posting_times_and_formats_of_a_creator(
    browser, served, screenshots, generated
):
    open_page(browser, served, screenshots, "creators", "creator=maria&period=7d")
    start = BUILD_DAY - timedelta(days=6)
    [(followers, gained, videos)] = generated.sql(
        "SELECT arg_max(followers, day), sum(followers_change), arg_max(videos, day) FROM creator_growth_daily "
        "WHERE creator_id = 'maria' AND day BETWEEN ? AND ?",
        [start, BUILD_DAY],
    )
    assert gained > 0
    assert kpi(browser, "audience", "followers") == followers
    assert kpi(browser, "audience", "followers_gained") == gained
    assert kpi(browser, "audience", "videos") == videos
    assert not browser.find_elements(By.CSS_SELECTOR, '.kpis[data-row="1"]')  # maria's only
    assert not browser.find_elements(By.NAME, "client")  # creators belong to no client
    best = generated.sql(
        "SELECT video_id FROM creator_video_performance WHERE creator_id = 'maria' AND views > 0 "
        "AND posted_day BETWEEN ? AND ? ORDER BY engagement_rate DESC, views DESC, video_id",
        [start, BUILD_DAY],
    )
    assert column(browser, "videos", "video_id") == [b[0] for b in best] != []
    [(hashtag, views)] = generated.sql(
        "SELECT hashtag, views FROM creator_hashtags WHERE creator_id = 'maria' ORDER BY views DESC, hashtag LIMIT 1"
    )
    assert (column(browser, "hashtags", "hashtag")[0], number(column(browser, "hashtags", "views")[0])) == (
        hashtag,
        views,
    )
    [(weekday, hour)] = generated.sql(
        "SELECT weekday, hour FROM creator_posting_times WHERE creator_id = 'maria' AND rank = 1"
    )
    assert (
        number(column(browser, "posting_times", "weekday")[0]),
        number(column(browser, "posting_times", "hour")[0]),
    ) == (weekday, hour)
    formats = dict(
        generated.sql("SELECT duration_bucket, videos FROM creator_formats WHERE creator_id = 'maria'")
    )
    shown = zip(
        column(browser, "formats", "duration_bucket"), column(browser, "formats", "videos"), strict=True
    )
    assert {b: int(number(n)) for b, n in shown} == formats
    link = browser.find_element(By.CSS_SELECTOR, "#section-videos a.csv").get_attribute("href")
    assert link.endswith("/creators/videos.csv?creator=maria&period=7d")


def test_creators_show_what_to_post_next_with_the_figures_behind_it(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "creators", "creator=maria&period=7d")
    expected = generated.sql(
        """SELECT kind, subject, sample_size, source FROM creator_recommendations WHERE creator_id = 'maria'
           ORDER BY CASE kind WHEN 'idea' THEN 1 WHEN 'product' THEN 2 WHEN 'posting_hour' THEN 3
                    WHEN 'posting_slot' THEN 4 WHEN 'hashtag' THEN 5 WHEN 'format' THEN 6 END, rank"""
    )
    assert {kind for kind, *_ in expected} >= {"idea", "product", "posting_hour", "hashtag", "format"}
    shown = zip(
        column(browser, "recommendations", "kind"),
        column(browser, "recommendations", "subject"),
        column(browser, "recommendations", "sample_size"),
        column(browser, "recommendations", "source"),
        strict=True,
    )
    assert [(k, s, None if n == "—" else int(number(n)), src) for k, s, n, src in shown] == expected


def test_the_creator_filter_is_chosen_in_the_page(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "creators", "period=30d")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#section-audience .kpis")) == 2  # one per creator
    choose(browser, creator="joao")
    [(followers,)] = generated.sql(
        "SELECT arg_max(followers, day) FROM creator_growth_daily WHERE creator_id = 'joao' AND day > ?",
        [BUILD_DAY - timedelta(days=30)],
    )
    assert kpi(browser, "audience", "followers") == followers
    assert all(v.startswith("joao-") for v in column(browser, "videos", "video_id"))


def test_sync_health_counts_notifications_per_kind_and_channel(browser, served, screenshots, generated):
    open_page(browser, served, screenshots, "sync", f"client={CLIENT}&channel=tiktok_shop&period=all")
    expected = {
        (kind, channel or "—"): (notifications, delivered, failed, unrouted)
        for kind, channel, notifications, delivered, failed, unrouted in generated.sql(
            "SELECT kind, channel, sum(notifications), sum(delivered), sum(failed), sum(unrouted) "
            "FROM notifications WHERE client_id = ? AND (channel = 'tiktok_shop' OR channel IS NULL) "
            "GROUP BY kind, channel",
            [CLIENT],
        )
    }
    shown = zip(
        column(browser, "notifications", "kind"),
        column(browser, "notifications", "channel"),
        *(column(browser, "notifications", c) for c in ("notifications", "delivered", "failed", "unrouted")),
        strict=True,
    )
    assert {(k, ch): tuple(int(number(v)) for v in values) for k, ch, *values in shown} == expected
    assert {k for k, _ in expected} == {"order_placed", "run_failed", "daily_sales"}
    assert expected[("order_placed", "tiktok_shop")][2] > 0  # some deliveries were given up
    assert "notifications retry" in browser.find_element(By.CSS_SELECTOR, "ul.next").text
