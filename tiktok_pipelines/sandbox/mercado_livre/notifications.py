"""Notifications (reference §8): what changes is told to the application's callback URL, one POST per
notification with the platform's body (no data: a resource to read), for the topics the application
subscribed to. An attempt succeeds on HTTP 200 within 500 ms; otherwise it is retried on the schedule (8
attempts within an hour, times the time factor) and then dropped, listed in `/missed_feeds` for 2 days.
An endpoint that keeps failing has its topics disabled ("fall back"): notifications are then not kept at
all until the application subscribes again. Deliveries go out from worker threads."""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from tiktok_pipelines.sandbox.mercado_livre.errors import bad_request, forbidden
from tiktok_pipelines.sandbox.mercado_livre.routes import Call, offset_page, table
from tiktok_pipelines.sandbox.mercado_livre.state import Seller, iso_utc
from tiktok_pipelines.sandbox.records import field_view

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.mercado_livre.emulator import MercadoLivreEmulator

WORKERS = 4


@dataclass
class Notification:
    id: str
    topic: str
    resource: str
    user_id: int
    url: str
    received: float
    attempts: list[dict[str, Any]] = field(default_factory=list)
    state: str = "pending"  # pending | delivered | dropped | discarded
    dropped_at: float | None = None

    def body(self, application_id: str, attempt: int, sent: float) -> dict[str, Any]:
        return {
            "_id": self.id,
            "resource": self.resource,
            "user_id": self.user_id,
            "topic": self.topic,
            "application_id": int(application_id),
            "attempts": attempt,
            "sent": iso_utc(sent),
            "received": iso_utc(self.received),
        }

    def as_dict(self) -> dict[str, Any]:
        return field_view(self, "topic", "resource", "user_id", "url", "state", "attempts", _id="id")


class NotificationSender:
    """Queues notifications and delivers them from worker threads, each attempt judged by the
    platform's contract; keeps the dropped ones for `/missed_feeds`."""

    def __init__(self, emulator: MercadoLivreEmulator):
        self.emulator = emulator
        self.notifications: list[Notification] = []
        self.fallen_back = False  # the endpoint's topics are disabled
        self.consecutive_failures = 0
        self._due: list[tuple[float, int, Notification]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._workers: list[threading.Thread] = []
        self._closing = False

    def send(self, seller: Seller, topic: str, resource: str) -> Notification | None:
        cfg = self.emulator.config
        if not cfg.callback_url or topic not in cfg.topics or self.fallen_back:
            return None
        note = Notification(str(uuid.uuid4()), topic, resource, seller.id, cfg.callback_url, time.time())
        with self._wake:
            self.notifications.append(note)
            heapq.heappush(self._due, (time.monotonic(), next(self._order), note))
            if not self._workers:
                self._closing = False
                self._workers = [
                    threading.Thread(target=self._work, name=f"mercado-livre-notifications-{n}", daemon=True)
                    for n in range(WORKERS)
                ]
                for worker in self._workers:
                    worker.start()
            self._wake.notify()
        return note

    def resubscribe(self) -> None:
        with self._wake:
            self.fallen_back = False
            self.consecutive_failures = 0

    def stop(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        for worker in self._workers:
            worker.join(timeout=5)
        self._workers = []

    def _next(self) -> Notification | None:
        with self._wake:
            while not self._closing:
                if self._due and self._due[0][0] <= time.monotonic():
                    return heapq.heappop(self._due)[2]
                self._wake.wait(self._due[0][0] - time.monotonic() if self._due else None)
            return None

    def _work(self) -> None:
        cfg = self.emulator.config
        with httpx.Client(timeout=cfg.notification_deadline_s + 1.0) as http:
            while (note := self._next()) is not None:
                self._attempt(http, note)

    def _attempt(self, http: httpx.Client, note: Notification) -> None:
        cfg = self.emulator.config
        sent = time.time()
        data = json.dumps(note.body(cfg.app_id, len(note.attempts) + 1, sent))
        outcome: dict[str, Any] = {
            "sent": sent,
            "request": {"url": note.url, "data": data, "headers": {"content-type": "application/json"}},
        }
        started = time.monotonic()
        try:
            reply = http.post(
                note.url,
                content=data,
                headers={"content-type": "application/json", "accept": "application/json"},
            )
            outcome |= {
                "http_code": reply.status_code,
                "body": reply.text[:1000],
                "headers": dict(reply.headers),
            }
        except httpx.HTTPError as exc:
            outcome |= {"http_code": None, "body": type(exc).__name__, "headers": {}}
        outcome["req_time"] = round((time.monotonic() - started) * 1000)
        ok = outcome["http_code"] == 200 and outcome["req_time"] <= cfg.notification_deadline_s * 1000
        with self._wake:
            note.attempts.append(outcome | {"ok": ok})
            if ok:
                note.state = "delivered"
                self.consecutive_failures = 0
                return
            self.consecutive_failures += 1
            if self.consecutive_failures >= cfg.fallback_after_failures:
                self._fall_back()
                note.state = "discarded"
                return
            retry = len(note.attempts) - 1
            if retry >= len(cfg.notification_retry_schedule):
                note.state, note.dropped_at = "dropped", time.time()
                return
            delay = cfg.notification_retry_schedule[retry] * cfg.notification_time_factor
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), note))
            self._wake.notify()

    def _fall_back(self) -> None:
        """The endpoint's topics are disabled: what was waiting for a retry is not kept."""
        self.fallen_back = True
        for _, _, waiting in self._due:
            waiting.state = "discarded"
        self._due.clear()

    def missed(self, topic: str | None) -> list[dict[str, Any]]:
        """Dropped notifications of the last 2 days, newest first, as `/missed_feeds` lists them."""
        cfg = self.emulator.config
        horizon = time.time() - cfg.missed_feed_ttl
        with self._wake:
            dropped = [
                n
                for n in self.notifications
                if n.state == "dropped"
                and (n.dropped_at or 0) >= horizon
                and (topic is None or n.topic == topic)
            ]
        out = []
        for note in reversed(dropped):
            last = note.attempts[-1]
            out.append(
                note.body(cfg.app_id, len(note.attempts), last["sent"])
                | {
                    "request": last["request"],
                    "response": {
                        "req_time": last["req_time"],
                        "http_code": last["http_code"],
                        "body": last["body"],
                        "headers": last["headers"],
                    },
                }
            )
        return out

    def snapshot(self) -> list[dict[str, Any]]:
        with self._wake:
            return [n.as_dict() for n in self.notifications]

    def pending(self) -> int:
        with self._wake:
            return sum(1 for n in self.notifications if n.state == "pending")


class NotificationsMixin:
    """What `MercadoLivreEmulator` tells the application."""

    def notify(self, seller: Seller, topic: str, resource: str) -> Notification | None:
        return self.notifications.send(seller, topic, resource)


def h_missed_feeds(call: Call) -> Any:
    app_id = call.query.get("app_id")
    if not app_id:
        raise bad_request("The parameter app_id is required")
    if app_id != call.emulator.config.app_id:
        raise forbidden("The token's application is not this app_id")
    topic = call.query.get("topic") or None
    page, _ = offset_page(call, call.emulator.notifications.missed(topic), 50, default_limit=10)
    return {"messages": page}


ROUTES = table(
    {
        "GET /missed_feeds": h_missed_feeds,
    }
)
