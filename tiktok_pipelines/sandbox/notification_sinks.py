"""Where the demo's notifications arrive: a local mailbox (a real SMTP server, aiosmtpd, on loopback) and
a chat-webhook sink (an HTTP endpoint taking JSON posts, as Apprise's `json://` sends them, or Slack-style
`{"text": ...}` bodies). `GET /_sandbox/mail` and `GET /_sandbox/chat` list what arrived, newest last;
`POST /_sandbox/chat/down` with `{"down": true}` makes the webhook answer 503, as a chat service that is
down does.

Apprise URLs for them: `mailto://127.0.0.1:<smtp port>?from=pipelines@demo.local&to=ops@demo.local`
and `json://127.0.0.1:<http port>/hooks/<name>`.
"""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class Inbox:
    """What the sinks received (shared by the SMTP thread and the HTTP app)."""

    mail: list[dict[str, Any]] = field(default_factory=list)
    chat: list[dict[str, Any]] = field(default_factory=list)
    chat_down: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_mail(self, envelope_from: str, recipients: list[str], raw: bytes) -> None:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain", "html"))
        with self.lock:
            self.mail.append(
                {
                    "from": envelope_from,
                    "to": recipients,
                    "subject": str(message.get("subject", "")),
                    "body": part.get_content() if part is not None else "",
                    "received_at": datetime.now(UTC).isoformat(),
                }
            )

    def add_chat(self, hook: str, payload: Any) -> None:
        with self.lock:
            self.chat.append({"hook": hook, "payload": payload, "received_at": datetime.now(UTC).isoformat()})


class _SmtpHandler:
    def __init__(self, inbox: Inbox):
        self.inbox = inbox

    async def handle_DATA(self, server, session, envelope) -> str:
        self.inbox.add_mail(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or b"")
        return "250 Message accepted for delivery"


class MailSink:
    """A real SMTP server on loopback (no TLS, no login) delivering into `inbox`."""

    def __init__(self, inbox: Inbox, host: str = "127.0.0.1", port: int = 0):
        from tiktok_pipelines.sandbox.server import free_port

        self.host, self.port = host, port or free_port(host)
        self.controller = Controller(_SmtpHandler(inbox), hostname=host, port=self.port)

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def apprise_url(self, to: str = "ops@demo.local", sender: str = "pipelines@demo.local") -> str:
        return f"mailto://{self.host}:{self.port}?from={sender}&to={to}"


def create_chat_sink_app(inbox: Inbox) -> Starlette:
    async def hook(request: Request) -> JSONResponse:
        if inbox.chat_down:
            return JSONResponse({"error": "service unavailable"}, status_code=503)
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        inbox.add_chat(request.path_params["name"], payload)
        return JSONResponse({"ok": True})

    async def chat(_: Request) -> JSONResponse:
        with inbox.lock:
            return JSONResponse(list(inbox.chat))

    async def mail(_: Request) -> JSONResponse:
        with inbox.lock:
            return JSONResponse(list(inbox.mail))

    async def down(request: Request) -> JSONResponse:
        inbox.chat_down = bool((await request.json()).get("down", True))
        return JSONResponse({"down": inbox.chat_down})

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/hooks/{name}", hook, methods=["POST"]),
            Route("/_sandbox/chat", chat, methods=["GET"]),
            Route("/_sandbox/mail", mail, methods=["GET"]),
            Route("/_sandbox/chat/down", down, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
