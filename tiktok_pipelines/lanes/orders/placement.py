"""Orders into VTEX: each flagged order claimed in the order map (exclusively, for a lease), then placed
in VTEX and authorized, cancelled in VTEX, or cancelled on the channel, exactly once. The stored detail is
read back through the channel's `OrderReader`; a session on the shop is opened only to cancel there."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.channels.base import Capabilities, ChannelAuthError, ChannelError, ChannelSession
from tiktok_pipelines.channels.base.orders import OrderReader
from tiktok_pipelines.core import notices
from tiktok_pipelines.core.events import InboundEvent
from tiktok_pipelines.core.models.orders import Order
from tiktok_pipelines.core.notifications import Notice
from tiktok_pipelines.core.orders import OrderMappingError, OrderOptions, placement_decision
from tiktok_pipelines.core.sku_ids import SkuIdMap, sku_id_map
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.lanes.orders.common import LANE, ClientSetupError, Lake, write_order_versions
from tiktok_pipelines.lanes.tokens import NotAuthorizedError
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.orders import ClaimLost, OrderRecord, OrderStore
from tiktok_pipelines.stores.registry import Client, InvalidClientError
from tiktok_pipelines.vtex.client import VtexClient, VtexError, VtexNotFoundError
from tiktok_pipelines.vtex.orders import marketplace_order, simulation_items

VTEX_CANCELLED = ("canceled", "cancel")


@dataclass(frozen=True)
class ChannelLink:
    """The channel as a VTEX orders run holds it: what it is and how it reads its stored details, without a
    call; how to open a session on the client's shop, which the run does only when it must; and why the
    client must authorize the channel again (its grant there ended), None while the grant is usable."""

    capabilities: Capabilities
    reader: OrderReader
    open_session: Callable[[], AbstractContextManager[ChannelSession]]
    grant_ended: Callable[[], str | None] = lambda: None


@dataclass(frozen=True)
class OrderRun:
    """What one VTEX orders run works with: its claim on orders, the client's choices and SKU ids."""

    owner: str  # the run id, the holder of the claims this run takes
    lease_seconds: float
    max_attempts: int
    options: OrderOptions
    sku_ids: SkuIdMap

    @classmethod
    def for_client(cls, run_id: str, client: Client, lake: Any) -> OrderRun:
        try:
            return cls(
                owner=run_id,
                lease_seconds=float(client.option("order_claim_lease_seconds")),
                max_attempts=int(client.option("order_max_attempts")),
                options=OrderOptions.from_client_options(client.options),
                sku_ids=sku_id_map(lake, client.client_id, client.options),
            )
        except (InvalidClientError, ValueError) as exc:
            raise ClientSetupError(str(exc)) from None


@dataclass
class VtexOrdersReport:
    outcomes: Counter = field(default_factory=Counter)  # placed, authorized, cancelled, rejected...
    claimed_elsewhere: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    changed: dict[str, Order] = field(default_factory=dict)
    api_calls: int = 0  # calls this run logged (VTEX and the channel)
    vtex_calls: dict[str, int] = field(default_factory=dict)


def _failure(record: OrderRecord, exc: Exception) -> dict:
    """What an order that failed keeps: its error, and `failed` unless it is in VTEX already."""
    return {"state": record.state if record.placed else "failed", "last_error": str(exc)[:2000]}


class VtexOrderSync:
    """One VTEX orders run for a client: every flagged order, under this run's claim, done in VTEX (or on
    the channel)."""

    def __init__(
        self,
        client: Client,
        channel: ChannelLink,
        api: VtexClient,
        store: OrderStore,
        log: EventLog,
        run: OrderRun,
        logger: Any,
    ):
        self.client, self.client_id = client, client.client_id
        self.channel = channel
        self.marketplace = channel.capabilities.display_name
        self.channel_api = channel.capabilities.api_name
        self.api = api
        self.store, self.log, self.setup = store, log, run
        self.logger = logger
        self.sync = SyncLog(self.client_id, LANE, store.channel)
        self.report = VtexOrdersReport()
        self._session: ChannelSession | None = None
        self._stack = ExitStack()

    def session(self) -> ChannelSession:
        """The session on the client's shop, opened on first use: most runs never need it."""
        if self._session is None:
            self._session = self._stack.enter_context(self.channel.open_session())
        return self._session

    def run(self, lake: Lake) -> VtexOrdersReport:
        """Works through the flagged orders, then writes their new lake versions and the API call log."""
        with self._stack:
            for pending in self.store.needing_sync(self.client_id):
                if not pending.detail_enc:
                    continue  # the channel's detail could not be fetched; it stays flagged
                self.work_on(pending)
            self.report.vtex_calls = dict(self.api.stats)
        self.report.api_calls = len(self.sync.rows)
        changed = self.report.changed
        records = {r.order_id: r for r in self.store.all(self.client_id) if r.order_id in changed}
        write_order_versions(lake, self.client_id, self.store.channel, self.report.changed, records)
        lake.append_part("sync_log", self.client_id, self.sync.table())
        return self.report

    def work_on(self, pending: OrderRecord) -> None:
        client_id, report = self.client_id, self.report
        record = self.store.claim(client_id, pending.order_id, self.setup.owner, self.setup.lease_seconds)
        if record is None:
            # Another run works on it, or finished it since this run listed it.
            report.claimed_elsewhere += 1
            return
        try:
            detail = self.store.detail(record)
            assert detail is not None
            order = self.channel.reader.order_from_detail(detail)
            try:
                outcome = self.sync_order(record, order)
            except ClaimLost as exc:
                self.logger.warning("%s", exc)
                report.claimed_elsewhere += 1
                return
            except OrderMappingError as exc:
                outcome = "rejected"
                self.store.done_syncing(
                    client_id,
                    record.order_id,
                    record.sync_generation,
                    notices=[self._given_up(record.order_id, exc)],
                    **_failure(record, exc),
                )
                report.failures.append({"order_id": record.order_id, "reason": str(exc), "retry": "no"})
            except (ChannelAuthError, NotAuthorizedError) as exc:
                outcome = self.without_grant(record, exc)
            except (VtexError, ChannelError) as exc:
                outcome = self.failed(record, exc)
        finally:
            self.store.release(client_id, record.order_id, self.setup.owner)
        report.outcomes[outcome] += 1
        report.changed[record.order_id] = order

    def failed(self, record: OrderRecord, exc: Exception) -> str:
        """The order's step failed: retried by the next run, or given up (and told) after
        order_max_attempts."""
        retry = record.attempts < self.setup.max_attempts
        if retry:
            self.store.update(self.client_id, record.order_id, **_failure(record, exc))
        else:
            self.store.done_syncing(
                self.client_id,
                record.order_id,
                record.sync_generation,
                notices=[self._given_up(record.order_id, exc)],
                **_failure(record, exc),
            )
        self.report.failures.append(
            {"order_id": record.order_id, "reason": str(exc), "retry": "yes" if retry else "no"}
        )
        return "failed"

    def without_grant(self, record: OrderRecord, exc: ChannelAuthError | NotAuthorizedError) -> str:
        """An order whose step needs the channel's session when the client's grant there has ended (the
        seller was told once): it waits, flagged, neither failed nor given up, for the next run after a new
        consent; the run goes on with the others. Any other refusal is the order's failure (a
        ChannelAuthError) or stops the run (a client never connected)."""
        reason = self.channel.grant_ended()
        if reason is None:
            if isinstance(exc, NotAuthorizedError):
                raise exc
            return self.failed(record, exc)
        self.store.update(self.client_id, record.order_id, last_error=reason[:2000])
        self.logger.warning(
            "order %s waits for a new consent on %s: %s", record.order_id, self.marketplace, reason
        )
        return "needs_authorization"

    def _given_up(self, order_id: str, exc: Exception) -> Notice:
        return notices.order_failed(self.client_id, self.store.channel, order_id, str(exc), self.setup.owner)

    def sync_order(self, record: OrderRecord, order: Order) -> str:
        """Does what the order needs in VTEX (or on the channel); returns the outcome."""
        cancel_done = self.channel.reader.cancellation_done(record.cancel_status)
        decision = "cancel" if cancel_done else placement_decision(order)
        if "vtex_cancel" in record.reasons and decision != "cancel":
            outcome = self.cancel_on_channel(record)
        elif decision == "place":
            outcome = self.place(record, order)
        elif decision == "cancel":
            outcome = self.cancel(record)
        else:
            outcome = "waiting"
        if "address_update" in record.reasons and record.placed:
            self.store.update(self.client_id, record.order_id, address_updated_at=datetime.now(UTC))
            self.report.alerts.append(
                {
                    "order_id": record.order_id,
                    "vtex_order_id": record.vtex_order_id,
                    "alert": f"address changed on {self.marketplace} after the VTEX order was placed; "
                    "VTEX cannot change it through the API, update the shipment by hand",
                }
            )
        self.store.done_syncing(self.client_id, record.order_id, record.sync_generation)
        return outcome

    def place(self, record: OrderRecord, order: Order) -> str:
        """Places a paid order in VTEX and authorizes it, once; returns what happened."""
        client_id, order_id, api, sync = self.client_id, record.order_id, self.api, self.sync
        expected_id = api.order_id_for(order_id)
        before = self.store.claim_placement(client_id, order_id, self.setup.owner, self.setup.lease_seconds)
        if before is not None and before.placed:
            vtex_order_id = before.vtex_order_id or expected_id
        else:
            existing = None
            if before is not None and (before.state in ("placing", "failed") or before.attempts > 0):
                # An earlier attempt may have reached VTEX before the run died: look before placing.
                with sync.timed("find_order", "vtex", expected_id):
                    existing = api.find_order(expected_id)
            if existing is not None:
                vtex_order_id, vtex_status = expected_id, existing.get("status")
            else:
                lines = simulation_items(order, self.setup.sku_ids)
                with sync.timed("simulate", "vtex", order_id):
                    simulation = api.simulate(lines, postal_code=order.address.postal_code)
                placing = marketplace_order(
                    order, simulation, self.setup.options, self.setup.sku_ids, marketplace=self.marketplace
                )
                with sync.timed("place_order", "vtex", order_id):
                    placed = api.place_order(placing)
                vtex_order_id, vtex_status = placed.order_id, (placed.raw or {}).get("status")
            self.store.update(
                client_id,
                order_id,
                state="placed",
                vtex_order_id=vtex_order_id,
                vtex_status=vtex_status or "order-accepted",
                placed_at=datetime.now(UTC),
                last_error=None,
                notices=[notices.order_placed(client_id, order, vtex_order_id, self.setup.owner)],
            )
            self._record_placement(order_id, vtex_order_id)
        current = self.store.get(client_id, order_id)
        if current is not None and current.state != "authorized":
            with sync.timed("authorize_dispatch", "vtex", vtex_order_id):
                api.authorize_dispatch(vtex_order_id, order_id)
            self.store.update(client_id, order_id, state="authorized", authorized_at=datetime.now(UTC))
            return "placed" if before is None or not before.placed else "authorized"
        return "unchanged"

    def _record_placement(self, order_id: str, vtex_order_id: str) -> None:
        """The seed's internal event 99: the channel's order now has a VTEX order."""
        client_id = self.client_id
        self.log.record(
            InboundEvent(
                "internal",
                f"vtex-order-created:{client_id}:{order_id}",
                "99",
                client_id,
                datetime.now(UTC),
                f'{{"order_id":"{order_id}","vtex_order_id":"{vtex_order_id}"}}',
            ),
            client_id,
            None,
            "vtex_order_created",
            (order_id,),
            "handled",
        )

    def cancel(self, record: OrderRecord) -> str:
        """The channel cancelled the order: cancelled in VTEX too, if it got there."""
        client_id, order_id, api, sync = self.client_id, record.order_id, self.api, self.sync
        if record.state == "cancelled":
            return "cancelled"
        vtex_order_id = record.vtex_order_id
        if not vtex_order_id and record.state in ("placing", "failed") and record.attempts:
            # An interrupted placement may have reached VTEX: an order there must be cancelled too.
            with sync.timed("find_order", "vtex", order_id):
                found = api.find_order(api.order_id_for(order_id))
            if found is not None:
                vtex_order_id = api.order_id_for(order_id)
                self.store.update(
                    client_id, order_id, vtex_order_id=vtex_order_id, vtex_status=found.get("status")
                )
        if not vtex_order_id:
            self.store.update(client_id, order_id, state="not_placed", cancelled_at=datetime.now(UTC))
            return "not_placed"
        try:
            with sync.timed("find_order", "vtex", vtex_order_id):
                current = api.order(vtex_order_id)
        except VtexNotFoundError:
            current = {}
        status = current.get("status")
        if status in VTEX_CANCELLED:
            self.store.update(
                client_id, order_id, state="cancelled", vtex_status=status, cancelled_at=datetime.now(UTC)
            )
            return "cancelled"
        if status == "invoiced":
            raise OrderMappingError(
                f"{self.marketplace} cancelled order {order_id} but VTEX order {vtex_order_id} is invoiced: "
                "it needs a return (Input) invoice in VTEX, not a cancellation"
            )
        with sync.timed("cancel_order", "vtex", vtex_order_id):
            api.cancel_order(
                vtex_order_id, reason=f"Cancelled on {self.marketplace} ({record.cancel_status or 'CANCEL'})"
            )
        self.store.update(
            client_id, order_id, state="cancelled", vtex_status="canceled", cancelled_at=datetime.now(UTC)
        )
        return "cancelled"

    def cancel_on_channel(self, record: OrderRecord) -> str:
        """The seller cancelled the order in VTEX: cancelled on the channel too (once VTEX confirms it)."""
        current = self.api.find_order(record.vtex_order_id) if record.vtex_order_id else None
        if not current or current.get("status") not in VTEX_CANCELLED:
            self.logger.info(
                "order %s: VTEX cancellation not confirmed yet (%s)",
                record.order_id,
                current.get("status") if current else "not found",
            )
            return "waiting"
        reason = self.client.option("tiktok_cancel_reason")
        with self.sync.timed("cancel_order", self.channel_api, record.order_id):
            self.session().cancel_order(record.order_id, reason)
        self.store.update(
            record.client_id,
            record.order_id,
            state="cancelled",
            vtex_status=current.get("status"),
            cancelled_at=datetime.now(UTC),
        )
        return f"cancelled_on_{self.channel_api}"
