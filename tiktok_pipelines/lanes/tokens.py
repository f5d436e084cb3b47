"""The token service: auth code → tokens → shop association → renewal, over a channel's `AuthApi`
(no Dagster here, and no channel named).

`TokenManager.run()` is what the hourly `tiktok_token_job` does, and what `tiktok-pipelines oauth
exchange` runs by hand: it exchanges unused auth codes, associates each grant with its client by shop
code (shop id and the shop's secret into the registry, encrypted), and refreshes access tokens that
expire within the renewal window. A refresh the platform refuses (revoked or expired grant) marks the
client's grant on THIS channel as needing authorization (the vault's `needs_authorization`, told once; its
other channels go on, and the next consent's tokens clear it); a transient failure (network, 5xx, 429) is
logged and retried next run, since it needs no human. Tokens are kept by the `TokenVault` handed in;
every step goes to its log, without secrets.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tiktok_pipelines.channels.base import Channel
from tiktok_pipelines.channels.base.auth import TokenVault
from tiktok_pipelines.channels.base.errors import ChannelAuthError, ChannelError
from tiktok_pipelines.core import notices
from tiktok_pipelines.core.models.auth import AuthorizedShop, Grant
from tiktok_pipelines.core.notifications import Notice
from tiktok_pipelines.http import RetryableError
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.notifications import NotificationOutbox
from tiktok_pipelines.stores.registry import ClientRegistry

log = logging.getLogger(__name__)


class NotAuthorizedError(RuntimeError):
    """The client has no usable authorization on the channel (no tokens, no shop, or its grant there is
    marked as needing authorization)."""


TikTokNotAuthorizedError = NotAuthorizedError  # the name TikTok Shop's resource and its callers use


@dataclass
class TokenRunReport:
    """What one run of the token manager did, with no secret in it (fit for metadata and logs)."""

    codes_exchanged: list[str] = field(default_factory=list)
    codes_failed: list[tuple[str, str]] = field(default_factory=list)
    associated: list[str] = field(default_factory=list)
    renewed: list[str] = field(default_factory=list)
    renewal_failed: list[tuple[str, str]] = field(default_factory=list)
    needs_authorization: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    expiring: list[str] = field(default_factory=list)  # grants that end within the warning window

    @property
    def failures(self) -> int:
        return len(self.codes_failed) + len(self.renewal_failed)

    def failure_rows(self) -> list[dict[str, str]]:
        """Each failed step as a row fit for metadata: client, step, reason."""
        return [{"client_id": c, "step": "auth code", "reason": r} for c, r in self.codes_failed] + [
            {"client_id": c, "step": "refresh", "reason": r} for c, r in self.renewal_failed
        ]


def _error_fields(exc: ChannelError) -> dict[str, Any]:
    """What the token log keeps of a channel's refusal: its code, message and request id."""
    return {
        "code": exc.code,
        "message": _message(exc),
        "request_id": getattr(exc, "request_id", None),
    }


def _message(exc: ChannelError) -> str:
    return getattr(exc, "message", None) or str(exc)


class TokenManager:
    """Exchanges auth codes, associates shops with clients, renews tokens, for one channel."""

    def __init__(
        self,
        store: TokenVault,
        registry: ClientRegistry,
        channel: Channel,
        renew_before: timedelta = timedelta(hours=72),
        logger: Any = None,
        warn_before: timedelta = timedelta(days=7),
    ):
        self.store = store
        self.registry = registry
        self.channel = channel
        self.renew_before = renew_before
        self.warn_before = warn_before
        self.log = logger or log
        self._renew_lock = threading.Lock()

    @property
    def channel_name(self) -> str:
        return self.channel.capabilities.display_name

    def run(self, now: datetime | None = None) -> TokenRunReport:
        report = TokenRunReport()
        for code in self.store.unused_codes():
            self.exchange(code, report)
        self.associate_pending(report)
        self.renew_due(report, now=now)
        self.warn_expiring(report, now=now)
        return report

    # -- auth code → tokens
    def exchange(self, code: Any, report: TokenRunReport | None = None) -> bool:
        """Exchanges one auth code of the vault (`id`, `client_id`, `code`) and associates the shop."""
        report = report or TokenRunReport()
        client_id = code.client_id
        try:
            tokens = self.channel.exchange_code(code.code.get_secret_value())
        except ChannelError as exc:
            fields = _error_fields(exc)
            self.store.log("exchange_code", "error", client_id=client_id, auth_code_id=code.id, **fields)
            if isinstance(exc, RetryableError):
                self.log.warning(
                    "client %s: auth code exchange failed for now (%s); retried next run", client_id, exc.code
                )
                report.codes_failed.append((client_id, f"transient: {_message(exc)}"))
            else:
                self.store.mark_code(code.id, "error", f"{exc.code}: {_message(exc)}")
                self.log.error(
                    "client %s: auth code refused (%s %s); the seller must authorize again",
                    client_id,
                    exc.code,
                    _message(exc),
                )
                report.codes_failed.append((client_id, f"{exc.code}: {_message(exc)}"))
            return False
        # Stored at once: the code is spent, so the tokens must not be lost if a later step fails.
        self.store.save_tokens(client_id, tokens)
        self.store.mark_code(code.id, "exchanged")
        self.store.log(
            "exchange_code",
            "ok",
            client_id=client_id,
            auth_code_id=code.id,
            detail=_expiry_detail(tokens) | {"open_id": tokens.open_id, "seller_name": tokens.seller_name},
        )
        self.log.info(
            "client %s: auth code exchanged; access token valid until %s",
            client_id,
            tokens.access_token_expires_at.isoformat(),
        )
        report.codes_exchanged.append(client_id)
        self.associate(client_id, report)
        return True

    def associate_pending(self, report: TokenRunReport) -> None:
        """Clients that have tokens but no shop yet (a shops call failed earlier) get associated now."""
        for tokens in self.store.all_tokens():
            client = self.registry.find(tokens.client_id)
            unassociated = client is not None and (
                not client.tiktok_shop_id or client.tiktok_shop_cipher is None
            )
            handled = tokens.client_id in report.associated or tokens.client_id in report.needs_authorization
            if unassociated and not handled:
                self.associate(tokens.client_id, report)

    def associate(self, client_id: str, report: TokenRunReport) -> bool:
        """Finds the client's shop among the grant's shops (by shop code) and stores its id and secret."""
        tokens = self.store.get_tokens(client_id)
        client = self.registry.find(client_id)
        if tokens is None or client is None:
            return False
        try:
            shops = self.channel.authorized_shops(tokens)
        except ChannelError as exc:
            self.store.log("fetch_shops", "error", client_id=client_id, **_error_fields(exc))
            self.log.warning(
                "client %s: could not list the authorized shops (%s); retried next run", client_id, exc.code
            )
            report.codes_failed.append((client_id, f"shops: {_message(exc)}"))
            return False
        codes = [str(s.code) for s in shops]
        self.store.log(
            "fetch_shops",
            "ok",
            client_id=client_id,
            detail={"shop_codes": codes, "shop_ids": [s.shop_id for s in shops]},
        )
        wanted = client.tiktok_shop_code
        shop = next((s for s in shops if wanted and str(s.code) == wanted), None)
        if shop is None and not wanted and len(shops) == 1:
            shop = shops[0]
        if shop is None:
            message = f"the grant covers shops {', '.join(codes) or 'none'} but the client's shop code is {wanted or 'not set'}"
            return self._reject_grant(client_id, message, report)
        holder = self.registry.find_by(tiktok_shop_id=shop.shop_id)
        if holder is not None and holder.client_id != client_id:
            return self._reject_grant(
                client_id, f"shop {shop.shop_id} already belongs to client {holder.client_id}", report
            )
        changes: dict[str, Any] = {"tiktok_shop_id": shop.shop_id, "tiktok_shop_cipher": shop.secret}
        if not wanted:
            changes["tiktok_shop_code"] = str(shop.code)
        self.registry.update(client_id, **changes)
        self.store.log(
            "associate_shop",
            "ok",
            client_id=client_id,
            detail={
                "shop_id": shop.shop_id,
                "shop_code": shop.code,
                "shop_name": shop.name,
                "region": shop.region,
            },
        )
        if not client.tiktok_warehouse_ids:
            self._fill_warehouses(client_id, tokens, shop)
        self.log.info(
            "client %s: associated with %s shop %s (%s)",
            client_id,
            self.channel_name,
            shop.code,
            shop.shop_id,
        )
        report.associated.append(client_id)
        return True

    def _fill_warehouses(self, client_id: str, tokens: Grant, shop: AuthorizedShop) -> None:
        """Stores the shop's enabled sales warehouses on a client that names none (stock goes there)."""
        try:
            ids = self.channel.shop_warehouses(tokens, shop)
        except ChannelError as exc:
            self.store.log("fetch_warehouses", "error", client_id=client_id, **_error_fields(exc))
            self.log.warning("client %s: could not list the shop's warehouses (%s)", client_id, exc.code)
            return
        if ids:
            self.registry.update(client_id, tiktok_warehouse_ids=ids)
        self.store.log("fetch_warehouses", "ok", client_id=client_id, detail={"sales_warehouse_ids": ids})

    def _reject_grant(self, client_id: str, message: str, report: TokenRunReport) -> bool:
        # Tokens of another seller must not be used for this client: without tokens, the client has no
        # grant on the channel until its seller consents with the right shop.
        self.store.delete_tokens(client_id)
        self.store.log("associate_shop", "error", client_id=client_id, message=message)
        NotificationOutbox(self.registry.db).record([self._lost(client_id, message)])
        self.log.error("client %s: %s; the seller must authorize again", client_id, message)
        report.codes_failed.append((client_id, message))
        report.needs_authorization.append(client_id)
        return False

    def token_rows(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Every client's authorization as a row fit for metadata (no secret): its grant's status
        (`connected`, `needs_authorization`), shop, hours left on the access token, the refresh token's
        last day."""
        now = now or utcnow()
        rows = []
        for tokens in self.store.all_tokens():
            client = self.registry.find(tokens.client_id)
            grant = self.store.status(tokens.client_id)
            rows.append(
                {
                    "client_id": tokens.client_id,
                    "status": grant.status if grant else "?",
                    "shop_id": client.tiktok_shop_id if client else None,
                    "access_expires_in_h": round(
                        (tokens.access_token_expires_at - now).total_seconds() / 3600, 1
                    ),
                    "refresh_expires": tokens.refresh_token_expires_at.date().isoformat(),
                }
            )
        return rows

    # -- renewal
    def renew_due(self, report: TokenRunReport, now: datetime | None = None) -> None:
        """Renews the grants due (see `renew`); a grant that needs authorization is not renewed, and is
        in the report at every run until the seller consents again."""
        for status in self.store.statuses():
            if status.needs_authorization_since is not None:
                report.skipped.append((status.client_id, "needs authorization"))
                report.needs_authorization.append(status.client_id)
        for client_id in self.store.due_for_renewal(self.renew_before, now=now):
            if self.registry.find(client_id) is None:
                continue
            with contextlib.suppress(ChannelError):  # recorded in the report and the log by `renew`
                self.renew(client_id, report)

    def renew(self, client_id: str, report: TokenRunReport | None = None) -> Grant:
        """Refreshes the client's access token now. ChannelAuthError when the platform refuses the refresh
        token (the client's grant is then marked as needing authorization); other ChannelErrors are
        transient."""
        report = report or TokenRunReport()
        tokens = self.store.get_tokens(client_id)
        if tokens is None:
            raise NotAuthorizedError(
                f"client {client_id} has no {self.channel_name} tokens; authorize it first"
            )
        try:
            self.channel.check_refreshable(tokens)
        except ChannelAuthError:
            self._needs_authorization(client_id, "the refresh token expired", report)
            raise
        try:
            fresh = self.channel.refresh_grant(tokens)
        except ChannelError as exc:
            self.store.log("refresh_token", "error", client_id=client_id, **_error_fields(exc))
            report.renewal_failed.append((client_id, f"{exc.code}: {_message(exc)}"))
            if isinstance(exc, RetryableError):
                self.log.warning(
                    "client %s: token refresh failed for now (%s); retried next run", client_id, exc.code
                )
            else:
                self._needs_authorization(client_id, f"refresh refused: {exc.code} {_message(exc)}", report)
            raise
        self.store.save_tokens(client_id, fresh, refreshed=True)
        self.store.log("refresh_token", "ok", client_id=client_id, detail=_expiry_detail(fresh))
        self.log.info(
            "client %s: access token renewed; valid until %s",
            client_id,
            fresh.access_token_expires_at.isoformat(),
        )
        report.renewed.append(client_id)
        return fresh

    def warn_expiring(self, report: TokenRunReport, now: datetime | None = None) -> None:
        """A notice for every active client whose grant (its refresh token, not already ended) ends within
        `warn_before`: only the seller can authorize again, so people hear of it while there is time."""
        now = now or utcnow()
        expiring = [
            notices.authorization_expiring(
                t.client_id, self.channel.capabilities.name, t.refresh_token_expires_at
            )
            for t in self.store.statuses()
            if t.refresh_token_expires_at - now <= self.warn_before
            and t.needs_authorization_since is None
            and (client := self.registry.find(t.client_id)) is not None
            and client.status == "active"
        ]
        if expiring:
            NotificationOutbox(self.registry.db).record(expiring)
            report.expiring.extend(n.client_id for n in expiring)

    def _lost(self, client_id: str, reason: str) -> Notice:
        return notices.authorization_lost(client_id, self.channel.capabilities.name, reason, utcnow())

    def _needs_authorization(self, client_id: str, reason: str, report: TokenRunReport) -> None:
        """The client's grant on this channel ended: marked (and told) once; its other channels go on."""
        self.store.needs_authorization(client_id, reason)
        self.store.log("needs_authorization", "error", client_id=client_id, message=reason)
        self.log.error(
            "client %s: %s; its %s grant needs authorization (its other channels go on)",
            client_id,
            reason,
            self.channel_name,
        )
        report.needs_authorization.append(client_id)

    def refresh_after_expiry(self, client_id: str, rejected: str) -> str:
        """For a shop client that got 105002: a valid access token, refreshed unless another thread or
        process already did it."""
        from tiktok_pipelines.lanes.renewal import needs_authorization_error

        with self._renew_lock:
            lost = needs_authorization_error(self.store, client_id)
            if lost is not None:  # another thread of the run met the refusal already: no call again
                raise lost
            tokens = self.store.get_tokens(client_id)
            if tokens is None:
                raise NotAuthorizedError(f"client {client_id} has no {self.channel_name} tokens")
            current = tokens.access_token.get_secret_value()
            if current != rejected and tokens.access_token_expires_at > utcnow():
                return current
            return self.renew(client_id).access_token.get_secret_value()


def _expiry_detail(tokens: Grant) -> dict[str, Any]:
    return {
        "access_token_expires_at": tokens.access_token_expires_at.isoformat(),
        "refresh_token_expires_at": tokens.refresh_token_expires_at.isoformat(),
        "granted_scopes": list(tokens.granted_scopes),
    }


class StoredTokenProvider:
    """A shop client's token source: the client's stored access token, refreshed through the manager
    after a 105002."""

    def __init__(self, manager: TokenManager, client_id: str):
        self.manager = manager
        self.client_id = client_id
        self._token: str | None = None
        self._lock = threading.Lock()

    def access_token(self) -> str:
        with self._lock:
            if self._token is None:
                tokens = self.manager.store.get_tokens(self.client_id)
                if tokens is None:
                    raise NotAuthorizedError(
                        f"client {self.client_id} has no {self.manager.channel_name} tokens; authorize it first"
                    )
                self._token = tokens.access_token.get_secret_value()
            return self._token

    def refresh(self, rejected: str) -> str:
        token = self.manager.refresh_after_expiry(self.client_id, rejected)
        with self._lock:
            self._token = token
        return token

    def __repr__(self) -> str:
        return f"StoredTokenProvider(client_id={self.client_id!r})"
