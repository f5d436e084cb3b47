"""The outbox on SQLite and on PostgreSQL: two transactions recording one happening at once give one
notification and both commit their change; two senders claiming at once never take the same delivery."""

import threading

import pytest

from tiktok_pipelines.core.notifications import Notice, NotificationKind
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.notification_destinations import NotificationDestinations
from tiktok_pipelines.stores.notifications import NotificationOutbox, record_notices
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS

pytestmark = pytest.mark.each_database

CLIENT = FIELDS["client_id"]


@pytest.fixture
def outbox(settings, state_db, registry) -> NotificationOutbox:
    registry.add(build_client(**FIELDS))
    destinations = NotificationDestinations(state_db)
    for name in ("email", "chat"):
        destinations.add(CLIENT, name, f"json://127.0.0.1:9/{name}")
    return NotificationOutbox(state_db)


# SQLite takes one writing transaction at a time: there, no two are ever open at once.
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_one_happening_recorded_by_two_transactions_at_once_is_one_notification(outbox, state_db):
    notice = Notice(
        CLIENT, NotificationKind.AUTHORIZATION_EXPIRING, "authorization_expiring:x:2027-01-05", {}
    )
    both_inside = threading.Barrier(2, timeout=10)
    outcomes: list = []

    def lane():
        try:
            with state_db.begin() as conn:
                both_inside.wait()  # each transaction is open before either records
                record_notices(conn, [notice])
            outcomes.append("committed")
        except Exception as exc:
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=lane) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes == ["committed", "committed"]
    rows = outbox.listing(CLIENT)
    assert len({r["id"] for r in rows}) == 1 and len(rows) == 2  # one notification, one delivery each


def test_two_senders_claiming_at_once_never_take_the_same_delivery(outbox):
    outbox.record([Notice(CLIENT, NotificationKind.TEST, f"t:{n}", {}) for n in range(50)])
    now = utcnow()
    due = [d.id for d in outbox.due(now, 500)]
    assert len(due) == 100
    taken: dict[str, list[int]] = {}
    start = threading.Barrier(2, timeout=10)

    def sender(owner):
        start.wait()
        taken[owner] = outbox.claim(due, owner, 120, now)

    threads = [threading.Thread(target=sender, args=(o,)) for o in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not set(taken["a"]) & set(taken["b"])
    assert sorted(taken["a"] + taken["b"]) == sorted(due)
