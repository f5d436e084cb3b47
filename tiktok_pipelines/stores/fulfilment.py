"""Fulfilment state: invoice uploads to a channel, package shipments, and the dead letters of both.

`invoice_uploads` has one row per (client, channel, package, order ids): the idempotency key the seed asks for
(package id + order ids). A row remembers the XML it sent (digest and object-store key), TikTok's
verdict (webhook 36), and every XML digest that was refused, so the same wrong XML is never sent again
while a corrected one (a new digest) is. `package_shipments` has one row per package shipped (or to
ship) with its tracking, and whether that tracking has reached the order map, the lake and VTEX.
`fulfilment_dead_letters` keeps what could not be done, with a reason, until it is resolved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tiktok_pipelines.core import notices
from tiktok_pipelines.core.fulfilment import retry_delay_seconds
from tiktok_pipelines.stores.db import (
    ChannelStore,
    UTCDateTime,
    channel_column,
    channel_key,
    client_column,
    metadata,
    utcnow,
)
from tiktok_pipelines.stores.notifications import record_notices
from tiktok_pipelines.stores.orders import PLACED_STATES, orders_table

# Upload statuses. `uploaded`: accepted, waiting for webhook 36. `invalid`: TikTok refused the content and
# `rejected`: refused before or at upload; both wait for a new XML (or, for id problems, a later retry).
UPLOADING, UPLOADED, PROCESSING, SUCCESS, INVALID, FAILED, REJECTED, DEAD = (
    "uploading",
    "uploaded",
    "processing",
    "success",
    "invalid",
    "failed",
    "rejected",
    "dead",
)
CANCELLED = "cancelled"  # TikTok cancelled the package: nothing to send
SETTLED = frozenset({UPLOADED, PROCESSING, SUCCESS})
# Verdicts of webhook 36 that may replace a status (a late PROCESSING never undoes a SUCCESS).
_VERDICT_ORDER = {PROCESSING: 1, FAILED: 2, INVALID: 2, SUCCESS: 3}
# Webhook timestamps are whole seconds of TikTok's clock; `uploaded_at` is ours, taken before the call.
_CLOCK_SLACK = timedelta(seconds=2)


def _retry_columns() -> tuple[sa.Column, ...]:
    """A step tried again until it succeeds: how many tries failed, when the next may run, the last error."""
    return (
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("next_attempt_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
    )


invoice_uploads = sa.Table(
    "invoice_uploads",
    metadata,
    *channel_key(),
    sa.Column("package_id", sa.String(40), primary_key=True),
    sa.Column("order_key", sa.String(400), primary_key=True),  # sorted order ids, comma-separated
    sa.Column("vtex_order_id", sa.String(80)),
    sa.Column("invoice_number", sa.String(60)),
    sa.Column("access_key", sa.String(44)),
    sa.Column("xml_sha256", sa.String(64)),
    sa.Column("xml_object", sa.Text),  # object-store key of the XML sent
    sa.Column("xml_bytes", sa.Integer),
    sa.Column("value_cents", sa.BigInteger),
    sa.Column("vtex_tracking_number", sa.String(80)),  # the ERP's, for seller-shipped packages
    sa.Column("vtex_courier", sa.String(200)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("channel_status", sa.String(20)),  # the channel's last verdict (TikTok: webhook 36)
    sa.Column("invalid_reason", sa.Text),
    sa.Column("rejected_sha256", sa.Text, nullable=False, default="[]"),  # JSON list
    *_retry_columns(),
    sa.Column("uploaded_at", UTCDateTime),
    sa.Column("verdict_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_invoice_uploads_status", "client_id", "channel", "status"),
)

package_shipments = sa.Table(
    "package_shipments",
    metadata,
    *channel_key(),
    sa.Column("package_id", sa.String(40), primary_key=True),
    sa.Column("order_key", sa.String(400), nullable=False),
    sa.Column("vtex_order_id", sa.String(80)),
    sa.Column("invoice_number", sa.String(60)),
    # to_ship | shipping | shipped | failed | cancelled | dead
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("handover_method", sa.String(20)),
    sa.Column("package_status", sa.String(30)),  # the channel's
    sa.Column("tracking_number", sa.String(80)),
    sa.Column("shipping_provider_id", sa.String(40)),
    sa.Column("shipping_provider", sa.String(200)),
    sa.Column("tracking_event", sa.Text),  # the latest event of the carrier's tracking
    sa.Column("tracking_event_at", UTCDateTime),
    sa.Column("order_map_tracking", sa.String(80)),  # tracking number written to the order map and lake
    sa.Column("vtex_tracking", sa.String(80)),  # tracking number sent to the VTEX invoice
    *_retry_columns(),
    sa.Column("shipped_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_package_shipments_status", "client_id", "channel", "status"),
)

fulfilment_dead_letters = sa.Table(
    "fulfilment_dead_letters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    client_column(nullable=False),
    channel_column(),
    sa.Column("stage", sa.String(20), nullable=False),  # invoice | shipment
    sa.Column("order_id", sa.String(40)),
    sa.Column("package_id", sa.String(40)),
    sa.Column("vtex_order_id", sa.String(80)),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("failed_check", sa.String(40)),
    sa.Column("detail", sa.Text),
    sa.Column("xml_sha256", sa.String(64)),
    sa.Column("dedup_key", sa.String(300), nullable=False),
    sa.Column("occurrences", sa.Integer, nullable=False, default=1),
    sa.Column("first_at", UTCDateTime, nullable=False),
    sa.Column("last_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime),
    sa.Index("ix_dead_letters_open", "client_id", "resolved_at"),
    sa.Index("ix_dead_letters_key", "client_id", "dedup_key"),
)


@dataclass(frozen=True)
class PackageRow:
    """A row about one package of a client's order(s) on a channel: the invoice upload or the shipment."""

    client_id: str
    channel: str
    package_id: str
    order_key: str
    vtex_order_id: str | None
    invoice_number: str | None

    @property
    def order_ids(self) -> list[str]:
        return [o for o in self.order_key.split(",") if o]


@dataclass(frozen=True)
class Upload(PackageRow):
    access_key: str | None
    xml_sha256: str | None
    xml_object: str | None
    xml_bytes: int | None
    value_cents: int | None
    vtex_tracking_number: str | None
    vtex_courier: str | None
    status: str
    channel_status: str | None
    invalid_reason: str | None
    rejected_sha256: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    uploaded_at: datetime | None
    verdict_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def rejected(self) -> set[str]:
        return set(json.loads(self.rejected_sha256 or "[]"))


@dataclass(frozen=True)
class Shipment(PackageRow):
    status: str
    handover_method: str | None
    package_status: str | None
    tracking_number: str | None
    shipping_provider_id: str | None
    shipping_provider: str | None
    tracking_event: str | None
    tracking_event_at: datetime | None
    order_map_tracking: str | None
    vtex_tracking: str | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    shipped_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DeadLetter:
    id: int
    client_id: str
    channel: str
    stage: str
    order_id: str | None
    package_id: str | None
    vtex_order_id: str | None
    reason: str
    failed_check: str | None
    detail: str | None
    xml_sha256: str | None
    dedup_key: str
    occurrences: int
    first_at: datetime
    last_at: datetime
    resolved_at: datetime | None


class FulfilmentStore(ChannelStore):
    """Reads and writes of the fulfilment tables of one channel (`ChannelName` value); every write is one
    short transaction."""

    # ------------------------------------------------------------ uploads
    def _upload_where(self, client_id: str, package_id: str, key: str):
        return sa.and_(
            self._of(invoice_uploads, client_id),
            invoice_uploads.c.package_id == package_id,
            invoice_uploads.c.order_key == key,
        )

    def upload(self, client_id: str, package_id: str, key: str) -> Upload | None:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(invoice_uploads).where(self._upload_where(client_id, package_id, key))
            ).first()
        return Upload(**row._mapping) if row else None

    def uploads_of_package(self, client_id: str, package_id: str) -> list[Upload]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(invoice_uploads)
                .where(self._of(invoice_uploads, client_id), invoice_uploads.c.package_id == package_id)
                .order_by(invoice_uploads.c.updated_at.desc())
            ).all()
        return [Upload(**r._mapping) for r in rows]

    def uploads(self, client_id: str, statuses: tuple[str, ...] | None = None) -> list[Upload]:
        query = sa.select(invoice_uploads).where(self._of(invoice_uploads, client_id))
        if statuses:
            query = query.where(invoice_uploads.c.status.in_(statuses))
        with self.db.read() as conn:
            return [Upload(**r._mapping) for r in conn.execute(query.order_by(invoice_uploads.c.updated_at))]

    def save_upload(self, client_id: str, package_id: str, key: str, **values: Any) -> Upload:
        """Inserts or updates the row of (package, order ids) with `values`."""
        now = utcnow()
        values["updated_at"] = now
        new = {"status": REJECTED, "attempts": 0, "rejected_sha256": "[]", "created_at": now}
        self._save(invoice_uploads, client_id, values, new, package_id=package_id, order_key=key)
        found = self.upload(client_id, package_id, key)
        assert found is not None
        return found

    def begin_upload(self, client_id: str, package_id: str, key: str, sha: str, **values: Any) -> Upload:
        """Claims the upload of the XML `sha` before the call (status `uploading`, one more attempt; the
        count starts again with a new XML)."""
        current = self.upload(client_id, package_id, key)
        attempts = (current.attempts if current and current.xml_sha256 == sha else 0) + 1
        return self.save_upload(
            client_id,
            package_id,
            key,
            status=UPLOADING,
            xml_sha256=sha,
            attempts=attempts,
            next_attempt_at=None,
            last_error=None,
            channel_status=None,
            invalid_reason=None,
            uploaded_at=utcnow(),
            verdict_at=None,
            **values,
        )

    def finish_upload(self, client_id: str, package_id: str, key: str) -> bool:
        """TikTok accepted the upload: `uploaded`, unless its verdict came in the meantime."""
        c = invoice_uploads.c
        uploading = (c.package_id == package_id, c.order_key == key, c.status == UPLOADING)
        return self._update(invoice_uploads, client_id, *uploading, status=UPLOADED, updated_at=utcnow()) > 0

    def reject_xml(
        self,
        client_id: str,
        package_id: str,
        key: str,
        sha: str,
        error: str,
        status: str = REJECTED,
        **values,
    ) -> Upload:
        """Marks the XML `sha` as refused: it is never sent again for this package."""
        current = self.upload(client_id, package_id, key)
        rejected = sorted((current.rejected if current else set()) | {sha})
        return self.save_upload(
            client_id,
            package_id,
            key,
            status=status,
            xml_sha256=sha,
            rejected_sha256=json.dumps(rejected),
            last_error=error[:2000],
            next_attempt_at=None,
            **values,
        )

    def retry_later(
        self, client_id: str, package_id: str, key: str, error: str, delay_s: float, status: str = FAILED
    ) -> Upload:
        return self.save_upload(
            client_id,
            package_id,
            key,
            status=status,
            last_error=error[:2000],
            next_attempt_at=utcnow() + timedelta(seconds=delay_s),
        )

    def record_verdict(
        self,
        client_id: str,
        package_id: str,
        order_ids: list[str],
        status: str,
        reason: str | None,
        sent_at: datetime | None,
    ) -> Upload | None:
        """Applies webhook 36 to the upload it is about; returns the row, or None when the verdict is
        unknown, stale (older than the upload it would judge) or weaker than what is recorded."""
        verdict = status.lower()
        if verdict not in _VERDICT_ORDER:
            return None
        candidates = self.uploads_of_package(client_id, package_id)
        wanted = ",".join(sorted(set(order_ids))) if order_ids else None
        upload = next((u for u in candidates if wanted is None or u.order_key == wanted), None)
        if upload is None or upload.xml_sha256 is None:
            return None
        # A late verdict also settles an upload given up for want of one (DEAD).
        if upload.status not in (UPLOADED, PROCESSING, UPLOADING, SUCCESS, FAILED, INVALID, DEAD):
            return None
        if sent_at and upload.uploaded_at and sent_at < upload.uploaded_at - _CLOCK_SLACK:
            return None  # about an earlier upload of this package
        if (
            upload.channel_status
            and _VERDICT_ORDER.get(upload.channel_status.lower(), 0) > _VERDICT_ORDER[verdict]
        ):
            return None
        values: dict[str, Any] = dict(
            channel_status=status.upper(), verdict_at=utcnow(), invalid_reason=reason
        )
        if verdict == INVALID:
            return self.reject_xml(
                client_id,
                package_id,
                upload.order_key,
                upload.xml_sha256,
                reason or "INVALID",
                INVALID,
                **values,
            )
        if verdict == FAILED:
            values.update(
                status=FAILED, last_error=f"TikTok could not process the invoice: {reason or 'FAILED'}"
            )
            values["next_attempt_at"] = utcnow() + timedelta(seconds=retry_delay_seconds(upload.attempts))
        else:
            values["status"] = verdict
        return self.save_upload(client_id, package_id, upload.order_key, **values)

    def due(self, client_id: str, stale_before: datetime, limit: int = 500) -> list[Upload]:
        """Uploads to try again: a retry whose time came, or an upload with no verdict since
        `stale_before` (webhook 36 lost, or a run that died mid-call)."""
        now = utcnow()
        c = invoice_uploads.c
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(invoice_uploads)
                .where(
                    c.client_id == client_id,
                    c.channel == self.channel,
                    sa.or_(
                        sa.and_(c.status.in_((FAILED, REJECTED)), c.next_attempt_at <= now),
                        sa.and_(
                            c.status.in_((UPLOADING, UPLOADED, PROCESSING)), c.uploaded_at < stale_before
                        ),
                    ),
                )
                .order_by(c.updated_at)
                .limit(limit)
            ).all()
        return [Upload(**r._mapping) for r in rows]

    def invoiced_order_ids(self, client_id: str) -> list[str]:
        """Orders placed in VTEX whose VTEX status (order hook) is `invoiced`."""
        c = orders_table.c
        with self.db.read() as conn:
            return list(
                conn.execute(
                    sa.select(c.order_id).where(
                        c.client_id == client_id,
                        c.channel == self.channel,
                        c.vtex_status == "invoiced",
                        c.state.in_(PLACED_STATES),
                    )
                ).scalars()
            )

    def unshipped_successes(self, client_id: str) -> list[Upload]:
        """Uploads TikTok accepted whose package has no shipment row yet."""
        c, s = invoice_uploads.c, package_shipments.c
        query = (
            sa.select(invoice_uploads)
            .select_from(
                invoice_uploads.outerjoin(
                    package_shipments,
                    sa.and_(s.client_id == c.client_id, s.channel == c.channel, s.package_id == c.package_id),
                )
            )
            .where(
                c.client_id == client_id,
                c.channel == self.channel,
                c.status == SUCCESS,
                s.package_id.is_(None),
            )
        )
        with self.db.read() as conn:
            return [Upload(**r._mapping) for r in conn.execute(query)]

    # ------------------------------------------------------------ shipments
    def shipment(self, client_id: str, package_id: str) -> Shipment | None:
        row = self._first(package_shipments, client_id, package_shipments.c.package_id == package_id)
        return Shipment(**row._mapping) if row else None

    def shipments(self, client_id: str, statuses: tuple[str, ...] | None = None) -> list[Shipment]:
        query = sa.select(package_shipments).where(self._of(package_shipments, client_id))
        if statuses:
            query = query.where(package_shipments.c.status.in_(statuses))
        with self.db.read() as conn:
            return [
                Shipment(**r._mapping) for r in conn.execute(query.order_by(package_shipments.c.updated_at))
            ]

    def save_shipment(self, client_id: str, package_id: str, **values: Any) -> Shipment:
        now = utcnow()
        values["updated_at"] = now
        new = {"attempts": 0, "created_at": now}
        self._save(package_shipments, client_id, values, new, package_id=package_id)
        found = self.shipment(client_id, package_id)
        assert found is not None
        return found

    # ------------------------------------------------------------ dead letters
    def dead_letter(
        self,
        client_id: str,
        stage: str,
        reason: str,
        detail: str,
        *,
        order_id: str | None = None,
        package_id: str | None = None,
        vtex_order_id: str | None = None,
        failed_check: str | None = None,
        xml_sha256: str | None = None,
    ) -> DeadLetter:
        """Records a failure, once per (subject, reason, check, XML): a repeat counts an occurrence."""
        now = utcnow()
        key = ":".join(
            [stage, package_id or "", order_id or "", reason, failed_check or "", xml_sha256 or ""]
        )
        where = sa.and_(
            self._of(fulfilment_dead_letters, client_id),
            fulfilment_dead_letters.c.dedup_key == key,
            fulfilment_dead_letters.c.resolved_at.is_(None),
        )
        with self.db.begin() as conn:
            updated = conn.execute(
                fulfilment_dead_letters.update()
                .where(where)
                .values(
                    occurrences=fulfilment_dead_letters.c.occurrences + 1,
                    last_at=now,
                    detail=detail[:2000],
                )
            ).rowcount
            if not updated:
                letter_id = conn.execute(
                    fulfilment_dead_letters.insert().values(
                        client_id=client_id,
                        channel=self.channel,
                        stage=stage,
                        order_id=order_id,
                        package_id=package_id,
                        vtex_order_id=vtex_order_id,
                        reason=reason,
                        failed_check=failed_check,
                        detail=detail[:2000],
                        xml_sha256=xml_sha256,
                        dedup_key=key,
                        occurrences=1,
                        first_at=now,
                        last_at=now,
                    )
                ).inserted_primary_key[0]
                notice = notices.fulfilment_failed(
                    client_id, self.channel, stage, letter_id, reason, detail, package_id, order_id
                )
                record_notices(conn, [notice], now)
            row = conn.execute(sa.select(fulfilment_dead_letters).where(where)).first()
        return DeadLetter(**row._mapping)

    def resolve(
        self, client_id: str, stage: str, *, package_id: str | None = None, order_id: str | None = None
    ) -> int:
        """Closes the open dead letters of a package at `stage`, and with `order_id` those of the order
        that name no package (a problem before any package was known); returns how many."""
        if not package_id and not order_id:
            return 0
        c = fulfilment_dead_letters.c
        subject = []
        if package_id:
            subject.append(c.package_id == package_id)
        if order_id:
            subject.append(sa.and_(c.order_id == order_id, c.package_id.is_(None)))
        open_at_stage = (c.stage == stage, c.resolved_at.is_(None), sa.or_(*subject))
        return self._update(fulfilment_dead_letters, client_id, *open_at_stage, resolved_at=utcnow())

    def resolve_by_hand(self, client_id: str, letter_id: int) -> bool:
        """Closes one dead letter someone dealt with outside the pipeline (e.g. in Seller Center)."""
        c = fulfilment_dead_letters.c
        letter = (c.id == letter_id, c.resolved_at.is_(None))
        return self._update(fulfilment_dead_letters, client_id, *letter, resolved_at=utcnow()) > 0

    def open_dead_letters(self, client_id: str, stage: str | None = None) -> list[DeadLetter]:
        query = sa.select(fulfilment_dead_letters).where(
            self._of(fulfilment_dead_letters, client_id), fulfilment_dead_letters.c.resolved_at.is_(None)
        )
        if stage:
            query = query.where(fulfilment_dead_letters.c.stage == stage)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(fulfilment_dead_letters.c.first_at)).all()
        return [DeadLetter(**r._mapping) for r in rows]
