from datetime import timedelta

from tiktok_pipelines.stores.db import StateDB, utcnow
from tiktok_pipelines.stores.fulfilment import (
    FAILED,
    INVALID,
    REJECTED,
    SUCCESS,
    UPLOADED,
    UPLOADING,
    FulfilmentStore,
)
from tiktok_pipelines.stores.registry import ClientRegistry, build_client

CLIENT = dict(
    client_id="acme",
    feed_url="https://acme.example/feed.xml",
    vtex_account="acme",
    vtex_app_key="k",
    vtex_app_token="t",
    vtex_warehouse_ids=("1_1",),
)


def store(state_db: StateDB) -> FulfilmentStore:
    ClientRegistry(state_db).add(build_client(**CLIENT))
    return FulfilmentStore(state_db)


def test_an_upload_is_claimed_then_settled_and_a_verdict_applies_once(state_db):
    s = store(state_db)
    first = s.begin_upload("acme", "P1", "O1", "sha-a", vtex_order_id="TTS-O1")
    assert (first.status, first.attempts) == (UPLOADING, 1)
    assert s.finish_upload("acme", "P1", "O1")
    assert s.upload("acme", "P1", "O1").status == UPLOADED
    done = s.record_verdict("acme", "P1", ["O1"], "SUCCESS", None, utcnow())
    assert done.status == SUCCESS and done.channel_status == "SUCCESS"
    # A late PROCESSING (or a repeated verdict of lower rank) never undoes a SUCCESS.
    assert s.record_verdict("acme", "P1", ["O1"], "PROCESSING", None, utcnow()) is None
    assert s.upload("acme", "P1", "O1").status == SUCCESS
    # A verdict about another order set of the package, or an unknown package, changes nothing.
    assert s.record_verdict("acme", "P1", ["O2"], "INVALID", "x", utcnow()) is None
    assert s.record_verdict("acme", "P9", ["O1"], "INVALID", "x", utcnow()) is None


def test_an_invalid_xml_is_remembered_and_a_new_one_starts_its_own_attempts(state_db):
    s = store(state_db)
    s.begin_upload("acme", "P1", "O1", "sha-a")
    s.finish_upload("acme", "P1", "O1")
    invalid = s.record_verdict("acme", "P1", ["O1"], "INVALID", "BUYER_MISMATCH", utcnow())
    assert invalid.status == INVALID and invalid.invalid_reason == "BUYER_MISMATCH"
    assert invalid.rejected == {"sha-a"}
    again = s.begin_upload("acme", "P1", "O1", "sha-b")
    assert again.attempts == 1 and again.channel_status is None and again.rejected == {"sha-a"}
    # A verdict older than the corrected upload is about the first XML: ignored.
    stale = utcnow() - timedelta(seconds=30)
    assert s.record_verdict("acme", "P1", ["O1"], "INVALID", "BUYER_MISMATCH", stale) is None
    assert s.upload("acme", "P1", "O1").status == UPLOADING


def test_failed_verdicts_and_retries_wait_with_backoff(state_db):
    s = store(state_db)
    s.begin_upload("acme", "P1", "O1", "sha-a")
    s.begin_upload("acme", "P1", "O1", "sha-a")
    s.finish_upload("acme", "P1", "O1")
    failed = s.record_verdict("acme", "P1", ["O1"], "FAILED", None, utcnow())
    assert failed.status == FAILED and failed.attempts == 2
    assert failed.next_attempt_at - utcnow() > timedelta(seconds=100)
    later = s.retry_later("acme", "P1", "O1", "timeout", 60, status=REJECTED)
    assert later.status == REJECTED and later.last_error == "timeout"


def test_finish_upload_does_not_overwrite_an_early_verdict(state_db):
    s = store(state_db)
    s.begin_upload("acme", "P1", "O1", "sha-a")
    s.record_verdict("acme", "P1", ["O1"], "SUCCESS", None, utcnow())
    assert not s.finish_upload("acme", "P1", "O1")
    assert s.upload("acme", "P1", "O1").status == SUCCESS


def test_dead_letters_count_repeats_and_are_resolved_per_package(state_db):
    s = store(state_db)
    for _ in range(3):
        letter = s.dead_letter(
            "acme", "invoice", "invalid_xml", "no protNFe", package_id="P1", failed_check="no_protocol"
        )
    s.dead_letter("acme", "invoice", "unknown_package", "gone", package_id="P2")
    s.dead_letter("acme", "shipment", "ship_failed", "boom", package_id="P1")
    assert letter.occurrences == 3
    assert {d.reason for d in s.open_dead_letters("acme", "invoice")} == {"invalid_xml", "unknown_package"}
    assert s.resolve("acme", "invoice", package_id="P1") == 1
    assert [d.reason for d in s.open_dead_letters("acme", "invoice")] == ["unknown_package"]
    assert len(s.open_dead_letters("acme")) == 2
    # Once resolved, the same failure again is a new letter.
    assert s.dead_letter("acme", "invoice", "invalid_xml", "again", package_id="P1").occurrences == 1


def test_shipments_are_upserted(state_db):
    s = store(state_db)
    s.save_shipment("acme", "P1", order_key="O1", status="to_ship")
    shipped = s.save_shipment("acme", "P1", status="shipped", tracking_number="BR1TT")
    assert (shipped.order_ids, shipped.status, shipped.tracking_number) == (["O1"], "shipped", "BR1TT")
    assert [x.package_id for x in s.shipments("acme", ("shipped",))] == ["P1"]


def test_the_cli_shows_the_lanes_state_and_open_dead_letters(state_db):
    import json

    from click.testing import CliRunner

    from tiktok_pipelines.cli.main import main

    s = store(state_db)
    s.begin_upload("acme", "P1", "O1", "sha-a")
    s.save_shipment("acme", "P1", order_key="O1", status="to_ship")
    s.dead_letter("acme", "invoice", "invalid_xml", "no protNFe", order_id="O2", failed_check="no_protocol")
    shown = CliRunner().invoke(main, ["fulfilment", "status", "acme"])
    assert shown.exit_code == 0, shown.output
    assert "invalid_xml" in shown.output and "no_protocol" in shown.output and "uploading" in shown.output
    data = json.loads(CliRunner().invoke(main, ["fulfilment", "status", "acme", "--json"]).output)
    assert data["uploads"] == {"uploading": 1} and data["dead_letters"][0]["order_id"] == "O2"
    assert CliRunner().invoke(main, ["fulfilment", "status", "nobody"]).exit_code == 3
    letter_id = str(data["dead_letters"][0]["id"])
    closed = CliRunner().invoke(main, ["fulfilment", "resolve", "acme", letter_id])
    assert closed.exit_code == 0, closed.output
    assert not s.open_dead_letters("acme")
    assert CliRunner().invoke(main, ["fulfilment", "resolve", "acme", letter_id]).exit_code == 3


def test_an_accepted_package_closes_its_letters_and_its_orders_packageless_ones_only(state_db):
    s = store(state_db)
    s.dead_letter("acme", "invoice", "invoice_package_ambiguous", "2 invoices", order_id="O1")
    s.dead_letter("acme", "invoice", "unknown_package", "gone", order_id="O1", package_id="P2")
    s.dead_letter("acme", "invoice", "invalid_xml", "bad", order_id="O1", package_id="P1")
    assert s.resolve("acme", "invoice", package_id="P1", order_id="O1") == 2
    assert [d.package_id for d in s.open_dead_letters("acme")] == ["P2"]
