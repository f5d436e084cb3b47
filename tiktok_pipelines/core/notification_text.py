"""The words of a notification: a subject and a plain-text body, in Portuguese (the merchant's) or English.

One message says what happened, for which client and channel, and where to look (the Dagster run or
asset). Several notices of one kind for one destination make one digest: a line each, the first
`max_lines` listed and the rest counted, so 500 SKUs going out of stock are one message.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tiktok_pipelines.core.notifications import NotificationKind as K
from tiktok_pipelines.core.notifications import full_link

LANGUAGES = ("pt", "en")

CHANNEL_LABELS = {"tiktok_shop": "TikTok Shop", "mercado_livre": "Mercado Livre", "shopee": "Shopee"}

# kind: ((Portuguese subject, English subject), (Portuguese line, English line)); a line's fields come
# from the notice's facts (a missing one makes the line list the facts as they are).
_TEXTS: dict[K, tuple[tuple[str, str], tuple[str, str]]] = {
    K.ORDER_PLACED: (
        ("Novo pedido", "New order"),
        (
            "Pedido {order_id} → VTEX {vtex_order_id}: {total} {currency}",
            "Order {order_id} → VTEX {vtex_order_id}: {total} {currency}",
        ),
    ),
    K.DAILY_SALES: (
        ("Vendas do dia", "Sales of the day"),
        ("{day}: {orders} pedido(s), {gross} {currency}", "{day}: {orders} order(s), {gross} {currency}"),
    ),
    K.OUT_OF_STOCK: (
        ("Produto sem estoque", "Out of stock"),
        ("SKU {seller_sku} sem estoque", "SKU {seller_sku} is out of stock"),
    ),
    K.LISTING_REJECTED: (
        ("Anúncio recusado", "Listing rejected"),
        ("Produto {product}: {reason}", "Product {product}: {reason}"),
    ),
    K.LISTING_PAUSED: (
        ("Anúncio pausado", "Listing paused"),
        (
            "Produto {product} pausado após {failures} falhas: {reason}",
            "Product {product} paused after {failures} failures: {reason}",
        ),
    ),
    K.ORDER_FAILED: (
        ("Pedido não integrado", "Order not placed"),
        ("Pedido {order_id}: {reason}", "Order {order_id}: {reason}"),
    ),
    K.INVOICE_FAILED: (
        ("Nota fiscal não enviada", "Invoice not uploaded"),
        ("Pacote {package_id}: {reason}", "Package {package_id}: {reason}"),
    ),
    K.SHIPMENT_FAILED: (
        ("Envio não realizado", "Shipment failed"),
        ("Pacote {package_id}: {reason}", "Package {package_id}: {reason}"),
    ),
    K.WEBHOOK_DEAD_LETTER: (
        ("Evento não processado", "Event not handled"),
        ("{source} {event_type} ({event_id}): {reason}", "{source} {event_type} ({event_id}): {reason}"),
    ),
    K.STOCK_PRICE_FAILED: (
        ("Estoque ou preço não atualizado", "Stock or price not updated"),
        ("SKU {seller_sku} ({what}): {reason}", "SKU {seller_sku} ({what}): {reason}"),
    ),
    K.AUTHORIZATION_EXPIRING: (
        ("Autorização a renovar", "Authorization to renew"),
        ("A autorização expira em {expires_at}", "The authorization expires at {expires_at}"),
    ),
    K.AUTHORIZATION_LOST: (
        ("Autorização necessária", "Authorization needed"),
        ("O vendedor precisa autorizar de novo: {reason}", "The seller must authorize again: {reason}"),
    ),
    K.PUSHES_DISABLED: (
        ("Canal parou de enviar notificações", "Channel stopped sending notifications"),
        ("{reason}", "{reason}"),
    ),
    K.RUN_FAILED: (
        ("Execução falhou", "Run failed"),
        ("{job} ({run_id}): {reason}", "{job} ({run_id}): {reason}"),
    ),
    K.CHECK_FAILED: (
        ("Verificação falhou", "Check failed"),
        ("{asset} · {check}: {reason}", "{asset} · {check}: {reason}"),
    ),
    K.TEST: (
        ("Mensagem de teste", "Test message"),
        (
            "Este destino recebe as notificações de {client_id}.",
            "This destination receives the notifications of {client_id}.",
        ),
    ),
}

_LABELS = {
    "pt": {"client": "Cliente", "channel": "Canal", "more": "e mais {n}", "link": "Ver"},
    "en": {"client": "Client", "channel": "Channel", "more": "and {n} more", "link": "See"},
}


@dataclass(frozen=True)
class Item:
    """What the text needs of one notice."""

    facts: dict[str, Any]
    link: str | None = None


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def _line(template: str, facts: dict[str, Any]) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if fields <= facts.keys():
        return template.format(**{k: "" if v is None else v for k, v in facts.items()})
    return ", ".join(f"{k}: {v}" for k, v in facts.items() if v not in (None, ""))


def render(
    kind: K,
    client_id: str,
    channel: str | None,
    items: Sequence[Item],
    language: str = "pt",
    ui_base_url: str | None = None,
    max_lines: int = 50,
) -> Message:
    """The message of one or several notices of one kind, for one client and channel."""
    lang = 0 if language == "pt" else 1
    labels = _LABELS[LANGUAGES[lang]]
    (subject, line) = (t[lang] for t in _TEXTS[K(kind)])
    where = f"{labels['client']}: {client_id}"
    if channel:
        where += f" · {labels['channel']}: {CHANNEL_LABELS.get(channel, channel)}"
    title = f"[{client_id}] {subject}"
    if channel:
        title += f" · {CHANNEL_LABELS.get(channel, channel)}"
    if len(items) > 1:
        title += f" ({len(items)})"
    lines = [where, ""]
    for item in items[:max_lines]:
        text = _line(line, {"client_id": client_id, **item.facts})
        link = full_link(item.link, ui_base_url)
        if len(items) == 1:
            lines.append(text)
            if link:
                lines.append(f"{labels['link']}: {link}")
        else:
            lines.append(f"- {text}" + (f" ({link})" if link else ""))
    if len(items) > max_lines:
        lines.append("- " + labels["more"].format(n=len(items) - max_lines))
    return Message(title=title, body="\n".join(lines))
