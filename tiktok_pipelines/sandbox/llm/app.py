"""The chat-completions emulator as an ASGI app: `/v1/chat/completions` and the `/_sandbox/` controls."""

from __future__ import annotations

import asyncio
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.llm.emulator import (
    SERVER_ERRORS,
    LlmEmulator,
    OpenAiError,
    check_key,
    check_request,
)


def create_llm_app(emulator: LlmEmulator) -> Starlette:
    emu = emulator

    async def completions(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        emu.record(body)
        try:
            check_key(request.headers.get("authorization"), emu.keys)
            fmt = check_request(body, emu.models)
            fault = emu.take_fault()
            if fault.get("delay_s"):
                await asyncio.sleep(float(fault["delay_s"]))
            if fault.get("status"):
                raise SERVER_ERRORS[fault["status"]]
        except OpenAiError as exc:
            with emu.lock:
                emu.refused += 1
            return JSONResponse(exc.body, status_code=exc.status)
        return JSONResponse(emu.complete(body, fmt, fault))

    async def next_fault(request: Request) -> Response:
        spec = await request.json()
        try:
            emu.next(
                spec.get("fault"),
                spec.get("status"),
                float(spec.get("delay_s", 0)),
                int(spec.get("times", 1)),
            )
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(emu.stats())

    async def requests(_: Request) -> Response:
        with emu.lock:
            return JSONResponse(list(emu.requests))

    async def stats(_: Request) -> Response:
        return JSONResponse(emu.stats())

    async def reset(_: Request) -> Response:
        emu.reset()
        return JSONResponse(emu.stats())

    async def health(_: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/v1/chat/completions", completions, methods=["POST"]),
            Route("/_sandbox/next", next_fault, methods=["POST"]),
            Route("/_sandbox/requests", requests, methods=["GET"]),
            Route("/_sandbox/stats", stats, methods=["GET"]),
            Route("/_sandbox/reset", reset, methods=["POST"]),
        ]
    )
