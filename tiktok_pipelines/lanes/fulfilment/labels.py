"""Shipping labels for the warehouse: for a channel whose logistics print the label (Mercado Envios 2),
the label of every package of the client's orders that waits to ship, fetched once and kept in the
object store at `labels/<channel>/<client>/<package>.<pdf|zpl>`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from tiktok_pipelines.channels.base import ChannelSession
from tiktok_pipelines.channels.base.errors import ChannelError
from tiktok_pipelines.core.models.fulfilment import PackageState
from tiktok_pipelines.stores.orders import OrderStore


class Objects(Protocol):
    def put_bytes(self, key: str, data: bytes) -> None: ...

    def exists(self, key: str) -> bool: ...


@dataclass
class LabelReport:
    stored: list[str] = field(default_factory=list)  # object keys
    already: int = 0
    not_waiting: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # package id → why


def label_key(channel: str, client_id: str, package_id: str, kind: str) -> str:
    return f"labels/{channel}/{client_id}/{package_id}.{'zpl' if kind == 'zpl2' else kind}"


def store_labels(
    client_id: str, session: ChannelSession, orders: OrderStore, objects: Objects, kind: str = "pdf"
) -> LabelReport:
    """Fetches and keeps the labels of the client's packages that wait to ship; a package whose label is
    kept already costs no call, one the channel refuses is reported and tried again next run."""
    report = LabelReport()
    if not session.capabilities.shipping_labels:
        return report
    channel = session.capabilities.name.value
    packages: dict[str, Any] = {}
    for record in orders.all(client_id):
        detail = orders.detail(record)
        if detail is None or record.state in ("cancelled",):
            continue
        for package_id in session.order_from_detail(detail).packages:
            packages.setdefault(package_id, record.order_id)
    for package_id in sorted(packages):
        key = label_key(channel, client_id, package_id, kind)
        if objects.exists(key):
            report.already += 1
            continue
        try:
            if session.package(package_id).state != PackageState.AWAITING_SHIPMENT:
                report.not_waiting += 1
                continue
            data, _ = session.shipping_label(package_id, kind)
        except ChannelError as exc:
            report.failed[package_id] = str(exc)[:300]
            continue
        objects.put_bytes(key, data)
        report.stored.append(key)
    return report
