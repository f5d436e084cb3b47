"""The dashboard's ASGI app: server-rendered pages over the published analytics database.

Starlette and Jinja2, charts drawn on the server as inline SVG (`charts.py`): a page is one HTML
document with its styles inline, no script and nothing fetched from elsewhere, so it works offline and
loads in one request. Every route but `/login` reads only; the database is opened read-only per request.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from tiktok_pipelines.dashboard import auth
from tiktok_pipelines.dashboard.charts import bar_chart, line_chart
from tiktok_pipelines.dashboard.data import (
    Build,
    DatabaseNotFound,
    Result,
    csv_text,
    display,
    open_session,
    read_build,
    run_section,
)
from tiktok_pipelines.dashboard.filters import PERIODS, BadFilter, Filters
from tiktok_pipelines.dashboard.pages import BY_SLUG, PAGES, Page
from tiktok_pipelines.settings import Settings

TEMPLATES = Path(__file__).with_name("templates")
FAILED_LOGIN_DELAY = 1.0  # seconds a wrong password waits: guessing stays slow
HEADERS = {
    # Nothing but the document itself: no script, no outside style, font or image.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _charts(result: Result) -> list[Markup]:
    section, rows = result.section, result.rows
    charts = [
        line_chart(rows, section.x, series, f"{section.title}: {', '.join(series)}")
        for series in section.lines
    ]
    if section.bars:
        label, value = section.bars
        charts.append(bar_chart(rows[: section.bar_rows], label, value, f"{section.title}: {value}"))
    return [Markup(c) for c in charts]  # built from escaped text only (charts.py)


def create_app(settings: Settings | None = None, database: str | Path | None = None) -> Starlette:
    """The dashboard on `database` (default: the published analytics file). Outside development a
    password hash must be configured (ConfigError otherwise)."""
    settings = settings or Settings.load()
    path = Path(database) if database else settings.analytics_db_path
    stored_hash = auth.password_hash(settings)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["display"] = display

    def signed_in(request: Request) -> bool:
        return stored_hash is None or request.session.get("signed_in") is True

    def login_redirect(request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)

    def render(request: Request, name: str, status: int = 200, **context) -> Response:
        signed = stored_hash is not None and request.session.get("signed_in") is True
        context.update(pages=PAGES, sign_out=signed, periods=list(PERIODS))
        response = templates.TemplateResponse(request, name, context, status_code=status)
        response.headers.update(HEADERS)
        return response

    def load(request: Request, page: Page) -> tuple[Build, Filters, list[Result]] | Response:
        try:
            with open_session(path) as con:
                build = read_build(con)
                filters = Filters.parse(request.query_params, build.day).restricted(page.filters, page.period)
                return build, filters, [run_section(con, build, s, filters) for s in page.sections]
        except DatabaseNotFound:
            return render(request, "missing.html", status=503, page=page, path=path)
        except BadFilter as exc:
            return render(request, "error.html", status=400, page=page, message=str(exc))

    def show_page(request: Request) -> Response:
        page = BY_SLUG.get(request.path_params["page"])
        if page is None:
            return PlainTextResponse("no such page", status_code=404)
        if not signed_in(request):
            return login_redirect(request)
        started = time.perf_counter()
        loaded = load(request, page)
        if isinstance(loaded, Response):
            return loaded
        build, filters, results = loaded
        return render(
            request,
            "page.html",
            page=page,
            build=build,
            filters=filters,
            results=results,
            charts={r.section.key: _charts(r) for r in results},
            csv_query=urlencode(filters.query()),
            seconds=time.perf_counter() - started,
        )

    def export_csv(request: Request) -> Response:
        page = BY_SLUG.get(request.path_params["page"])
        section = page.section(request.path_params["section"]) if page else None
        if section is None:
            return PlainTextResponse("no such section", status_code=404)
        if not signed_in(request):
            return login_redirect(request)
        loaded = load(request, page.only(section))
        if isinstance(loaded, Response):
            return loaded
        result = loaded[2][0]
        if result.missing:
            return PlainTextResponse(f"the database has no {', '.join(result.missing)} yet", status_code=404)
        filename = f"{page.slug}-{section.key}.csv"
        return Response(
            csv_text(result),
            media_type="text/csv; charset=utf-8",
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
        )

    def home(request: Request) -> Response:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/{PAGES[0].slug}{query}", status_code=303)

    def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "database": path.is_file()})

    def _next(value: str | None) -> str:
        # Only a path of this site: never an absolute URL elsewhere.
        return value if value and value.startswith("/") and not value.startswith("//") else "/"

    async def login(request: Request) -> Response:
        if stored_hash is None:
            return RedirectResponse("/", status_code=303)
        if request.method == "GET":
            return render(request, "login.html", next=_next(request.query_params.get("next")))
        form = await request.form()
        password = str(form.get("password") or "")
        if password and auth.verify_password(password, stored_hash):
            request.session.clear()
            request.session["signed_in"] = True
            return RedirectResponse(_next(str(form.get("next") or "")), status_code=303)
        await asyncio.sleep(FAILED_LOGIN_DELAY)
        return render(request, "login.html", status=401, next=_next(str(form.get("next") or "")), failed=True)

    def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login" if stored_hash else "/", status_code=303)

    routes = [
        Route("/", home),
        Route("/health", health),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/{page}/{section}.csv", export_csv),
        Route("/{page}", show_page),
    ]
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=auth.session_key(settings),
            session_cookie="tiktok_pipelines_dashboard",
            max_age=auth.SESSION_SECONDS,
            same_site="strict",
            https_only=settings.is_production,
        )
    ]
    return Starlette(routes=routes, middleware=middleware)
