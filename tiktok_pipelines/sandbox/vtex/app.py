"""The VTEX emulator as an ASGI app: its control routes, then every API family's routes under
`/{account}`, each request handled by `VtexEmulator.handle`."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.vtex import catalog, inventory, invoices, marketplace, oms, order_feed, pricing
from tiktok_pipelines.sandbox.vtex.control import control_routes
from tiktok_pipelines.sandbox.vtex.emulator import VtexEmulator
from tiktok_pipelines.sandbox.vtex.routing import Endpoint

# Every API family served, in the order their routes are matched.
ROUTERS = (
    catalog.router,
    inventory.router,
    pricing.router,
    marketplace.router,
    oms.router,
    invoices.router,
    order_feed.router,
)


def api_endpoints() -> dict[str, dict[str, Endpoint]]:
    """Path template (after `/{account}`) → method → endpoint, over every API family."""
    endpoints: dict[str, dict[str, Endpoint]] = {}
    for router in ROUTERS:
        for template, methods in router.endpoints.items():
            endpoints.setdefault(template, {}).update(methods)
    return endpoints


def create_vtex_app(emu: VtexEmulator) -> Starlette:
    """The ASGI app of the emulator: control routes, then every API route under `/{account}`."""
    routes = control_routes(emu)
    for template, endpoints in api_endpoints().items():

        async def endpoint(
            request: Request, template: str = template, endpoints: dict = endpoints
        ) -> Response:
            return await emu.handle(request, template, endpoints)

        routes.append(Route("/{account}" + template, endpoint, methods=list(endpoints)))
    return Starlette(routes=routes)
