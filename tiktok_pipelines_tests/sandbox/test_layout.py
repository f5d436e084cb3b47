"""The sandbox keeps the shape its package docstrings describe: small modules, and every API family's
endpoints served by its emulator's app."""

import importlib
import pkgutil
import re
from pathlib import Path

from tiktok_pipelines import sandbox
from tiktok_pipelines.sandbox import tiktok_shop, vtex
from tiktok_pipelines.sandbox.tiktok_shop.app import ROUTES
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute
from tiktok_pipelines.sandbox.vtex.app import api_endpoints
from tiktok_pipelines.sandbox.vtex.routing import Router

SANDBOX = Path(sandbox.__file__).parent
MAX_LINES = 800


def modules_of(package) -> list:
    return [
        importlib.import_module(f"{package.__name__}.{m.name}")
        for m in pkgutil.iter_modules(package.__path__)
    ]


def families_of(package, kind) -> dict[str, tuple]:
    """Module name → its `ROUTES`, for the modules of `package` whose `ROUTES` are all of `kind`."""
    return {
        module.__name__: routes
        for module in modules_of(package)
        if isinstance(routes := getattr(module, "ROUTES", None), tuple)
        and all(isinstance(r, kind) for r in routes)
    }


def test_every_sandbox_module_stays_under_800_lines():
    lengths = {
        str(p.relative_to(SANDBOX)): len(p.read_text(encoding="utf-8").splitlines())
        for p in SANDBOX.rglob("*.py")
    }
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_every_tiktok_shop_family_route_is_served_by_the_app():
    families = families_of(tiktok_shop, ApiRoute)
    assert len(families) >= 8
    for name, routes in families.items():
        for route in routes:
            path = re.sub(r"\{\w+\}", "7000000000000000001", route.template)
            try:
                served, _ = ROUTES.resolve(route.method, path)
            except ApiError as refusal:
                raise AssertionError(f"{name}: {route.endpoint} is not served ({refusal.message})") from None
            assert served.handler is route.handler, f"{name}: {route.endpoint}"


def test_every_vtex_family_endpoint_is_served_by_the_app():
    routers = {
        module.__name__: router
        for module in modules_of(vtex)
        if isinstance(router := getattr(module, "router", None), Router)
    }
    assert len(routers) >= 6
    served = api_endpoints()
    for name, router in routers.items():
        for template, methods in router.endpoints.items():
            for method, endpoint in methods.items():
                assert served.get(template, {}).get(method) is endpoint, f"{name}: {method} {template}"


def test_every_creator_family_endpoint_is_served_by_the_app():
    from tiktok_pipelines.sandbox import tiktok_creator
    from tiktok_pipelines.sandbox.tiktok_creator.app import API_ROUTES as CREATOR_ROUTES
    from tiktok_pipelines.sandbox.tiktok_creator.app import resolve
    from tiktok_pipelines.sandbox.tiktok_creator.display import Endpoint

    families = families_of(tiktok_creator, Endpoint)
    assert families
    for name, routes in families.items():
        for route in routes:
            assert route in CREATOR_ROUTES, f"{name}: {route.name}"
            assert resolve(route.method, route.path) is route, f"{name}: {route.name}"


def test_the_creator_emulator_never_imports_the_creator_client():
    """Import-linter's contract names only packages that exist; the creator client may come after the
    emulator, so its name is checked here in the source."""
    import ast

    for path in (SANDBOX / "tiktok_creator").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith(("tiktok_pipelines.creator", "tiktok_pipelines.channels")), (
                    f"{path.name} imports {name}"
                )


def test_every_mercado_livre_family_route_is_served_by_the_app():
    from tiktok_pipelines.sandbox import mercado_livre
    from tiktok_pipelines.sandbox.mercado_livre.app import ROUTES as ML_ROUTES
    from tiktok_pipelines.sandbox.mercado_livre.routes import ApiRoute as MlRoute

    families = families_of(mercado_livre, MlRoute)
    routes = [(name, r) for name, family in families.items() for r in family]
    sample = {r: re.sub(r"\{\w+\}", "MLB1234567890", r.template) for _, r in routes}
    unserved = [
        f"{name}: {r.endpoint}" for name, r in routes if ML_ROUTES.resolve(r.method, sample[r])[0] is not r
    ]
    assert len(families) >= 7 and unserved == []


def test_every_shopee_family_endpoint_is_served_by_the_app():
    from tiktok_pipelines.sandbox import shopee
    from tiktok_pipelines.sandbox.shopee.app import resolve
    from tiktok_pipelines.sandbox.shopee.context import ApiRoute as ShopeeRoute

    families = families_of(shopee, ShopeeRoute)
    assert len(families) >= 8
    for name, routes in families.items():
        for route in routes:
            assert resolve(route.method, route.path) is route, f"{name}: {route.endpoint}"
