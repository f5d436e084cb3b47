"""Who may call what: the License Manager resources each route needs (any one suffices), the app keys
of an account, and the credentials every sandbox account accepts without setup."""

from __future__ import annotations

from dataclasses import dataclass, field

# License Manager resources (VTEX Admin > Account settings > Roles) each route needs; any one suffices.
CATALOG_READ = ("Product and SKU Management",)
INVENTORY_READ = ("Logistics inventory read only", "Logistics inventory full access", "Logistics full access")
INVENTORY_WRITE = ("Logistics inventory full access", "Logistics full access")
WAREHOUSES_READ = ("Logistics viewer", "Logistics full access", "Logistics inventory full access")
PRICES_READ = ("Read prices", "Modify prices")
PRICES_WRITE = ("Modify prices",)
SIMULATION = ("Shopping Cart Full Access", "Orders Full Access")
MARKETPLACE_ORDERS = ("Orders Full Access",)
ORDER_VIEW = ("View order",)
ORDER_CANCEL = ("Cancel order",)
ORDER_WORKFLOW = ("Change order workflow status",)
ORDER_INVOICE = ("Notify invoice",)
FEED_ADMIN = ("Feed v3 and Hook Admin",)
FEED_VIEW = ("Feed v3 and Hook Admin", "Feed v3 and Hook view only")
FEED_CONSUME = ("Order feed subscription", "Feed v3 and Hook Admin")
ALL_RESOURCES = frozenset(
    {
        *CATALOG_READ,
        *INVENTORY_READ,
        *WAREHOUSES_READ,
        *PRICES_READ,
        *SIMULATION,
        *ORDER_VIEW,
        *ORDER_CANCEL,
        *ORDER_WORKFLOW,
        *ORDER_INVOICE,
        "Notify refund",
        *FEED_VIEW,
        *FEED_CONSUME,
    }
)

# A second key of every sandbox account that may only read the catalog (for 403 tests).
CATALOG_ONLY_KEY_SUFFIX = "CATALOG"


def sandbox_credentials(account: str) -> tuple[str, str]:
    """The app key and token every sandbox account accepts with all resources, no setup needed."""
    return f"vtexappkey-{account}-SANDBOX", f"sandbox-app-token-{account}"


def catalog_only_credentials(account: str) -> tuple[str, str]:
    return f"vtexappkey-{account}-{CATALOG_ONLY_KEY_SUFFIX}", f"sandbox-catalog-token-{account}"


@dataclass
class AppKey:
    key: str
    token: str = field(repr=False)
    resources: frozenset[str] = frozenset()
