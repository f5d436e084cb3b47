"""Fulfilment rules: what an NF-e must be before it goes to TikTok Shop, which VTEX invoice belongs to
which of the channel's packages, the dead-letter reasons, and when to try again.

TikTok Shop (Brazil) takes the authorized NF-e XML of a package (`/fulfillment/202502/invoice/upload`,
base64, at most 1 MB) and answers its verdict later (webhook 36). An invoice TikTok would refuse is
refused here first, with the check that failed, so that a bad XML is never sent and the merchant learns
what to correct: the seed's validation function (well-formed, `NFe` and `protNFe` present, a 44-digit
access key) plus what SEFAZ and TikTok check (the key's check digit, an authorized protocol, totals that
add up, the buyer and the amount of the order).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

from tiktok_pipelines.core.models.fulfilment import Invoice, TrackingEvent
from tiktok_pipelines.core.models.orders import Order
from tiktok_pipelines.core.money import to_cents
from tiktok_pipelines.core.nfe import is_valid_access_key, is_valid_cnpj, parse_access_key
from tiktok_pipelines.core.sku_ids import SkuIdMap

NFE_NS = "http://www.portalfiscal.inf.br/nfe"
MAX_UPLOAD_BYTES = 1024 * 1024
# SEFAZ status codes of an authorized NF-e: 100 authorized, 150 authorized out of time.
AUTHORIZED = frozenset({"100", "150"})

# Dead-letter reasons. The first three are the seed's distinct upload errors (TikTok's 4001, 4002, 4003:
# `channels/tiktok_shop/fulfilment.py` maps them).
INVALID_XML = "invalid_xml"
UNKNOWN_PACKAGE = "unknown_package"
ORDER_PACKAGE_MISMATCH = "order_package_mismatch"
REJECTED_BY_TIKTOK = "rejected_by_tiktok"  # webhook 36 INVALID
UPLOAD_FAILED = "upload_failed"  # transient failures until the attempts ran out
NO_VERDICT = "no_verdict"  # uploaded again and again, and webhook 36 never came
UPLOAD_REFUSED = "upload_refused"  # any other refusal of the upload
NO_INVOICE_XML = "no_invoice_xml"  # VTEX has the invoice but neither embeds nor serves its XML
INVOICE_PACKAGE_AMBIGUOUS = "invoice_package_ambiguous"
COMBINED_PACKAGE = "combined_package"
SHIPPING_CONFIG = "shipping_config"
SHIP_FAILED = "ship_failed"

_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class InvoiceRejected(ValueError):
    """The invoice cannot be sent: `reason` (a dead-letter reason), `check` (which rule), `detail`."""

    def __init__(self, reason: str, check: str, detail: str):
        super().__init__(f"{check}: {detail}")
        self.reason = reason
        self.check = check
        self.detail = detail


def _reject(check: str, detail: str) -> InvoiceRejected:
    return InvoiceRejected(INVALID_XML, check, detail)


@dataclass(frozen=True)
class Expectations:
    """What the NF-e must agree with, when known: the VTEX invoice's key and value, the buyer of the
    TikTok order, and the merchant's CNPJ (client option `nfe_issuer_cnpj`)."""

    invoice_key: str | None = None
    value_cents: int | None = None
    buyer_document: str | None = None
    issuer_cnpj: str | None = None


@dataclass(frozen=True)
class NfeFacts:
    """What the checks read from an NF-e."""

    access_key: str
    number: str
    series: str
    issuer_cnpj: str
    buyer_document: str
    total_cents: int
    protocol: str
    environment: str  # tpAmb: 1 production, 2 homologação
    size_bytes: int


def encoded_size(xml: bytes) -> int:
    """Size of the upload's `file` field: base64 turns 3 bytes into 4 characters."""
    return 4 * ((len(xml) + 2) // 3)


def xml_digest(xml: bytes) -> str:
    return hashlib.sha256(xml).hexdigest()


def _text(el: etree._Element | None, path: str) -> str:
    if el is None:
        return ""
    found = el.find(path, namespaces={"n": NFE_NS})
    return (found.text or "").strip() if found is not None else ""


def _cents(el: etree._Element | None, tag: str) -> int:
    raw = _text(el, f"n:{tag}")
    if not raw:
        return 0
    try:
        return to_cents(Decimal(raw))
    except (InvalidOperation, ValueError):
        raise _reject("totals", f"{tag} is not an amount: {raw!r}") from None


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def check_nfe(xml: bytes, expected: Expectations | None = None) -> NfeFacts:
    """The facts of an authorized NF-e 4.00 fit to upload, or `InvoiceRejected` naming the first failed check.

    Checks, in order: size (the base64 `file` ≤ 1 MB), UTF-8, well-formed XML (no entities, no network),
    `NFe`/`infNFe` (model 55), `protNFe` with an authorized status and the same key, a 44-digit access key
    whose check digit checks and whose CNPJ is the issuer's, totals that add up to vNF (SEFAZ rule 610),
    then agreement with `expected`.
    """
    expected = expected or Expectations()
    size = encoded_size(xml)
    if size > MAX_UPLOAD_BYTES:
        raise _reject(
            "too_large", f"the base64 file would be {size} bytes; TikTok takes at most {MAX_UPLOAD_BYTES}"
        )
    declared = _DECLARED_ENCODING.match(xml.lstrip(b"\xef\xbb\xbf"))
    if declared and declared.group(1).decode().lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise _reject("encoding", f"the XML declares {declared.group(1).decode()}; TikTok expects UTF-8")
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _reject("encoding", f"the bytes are not UTF-8 (at byte {exc.start})") from None
    try:
        root = etree.fromstring(xml, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise _reject("malformed", f"not well-formed XML: {exc.msg} (line {exc.lineno})") from None
    ns = {"n": NFE_NS}
    nfe = root if etree.QName(root).localname == "NFe" else root.find("n:NFe", ns)
    inf = nfe.find("n:infNFe", ns) if nfe is not None else None
    if inf is None:
        raise _reject("no_nfe", "no NFe/infNFe element in the NF-e namespace")
    model = _text(inf, "n:ide/n:mod")
    if model != "55":
        raise _reject("model", f"model {model or '?'}: TikTok takes NF-e model 55")
    prot = root.find("n:protNFe/n:infProt", ns)
    if prot is None:
        raise _reject("no_protocol", "no protNFe: the NF-e is not authorized by SEFAZ (send the nfeProc)")
    status = _text(prot, "n:cStat")
    if status not in AUTHORIZED:
        raise _reject("not_authorized", f"protNFe status {status or '?'} ({_text(prot, 'n:xMotivo')})")
    key = (inf.get("Id") or "").removeprefix("NFe")
    if not re.fullmatch(r"\d{44}", key):
        raise _reject("access_key", f"infNFe Id {inf.get('Id')!r} does not hold a 44-digit access key")
    if not is_valid_access_key(key):
        raise _reject("access_key", f"access key {key} does not check (check digit or state code)")
    if _text(prot, "n:chNFe") != key:
        raise _reject("access_key", f"protNFe is for key {_text(prot, 'n:chNFe')}, not {key}")
    issuer = _text(inf, "n:emit/n:CNPJ")
    if not is_valid_cnpj(issuer):
        raise _reject("issuer", f"issuer CNPJ {issuer or '?'} is not valid")
    if parse_access_key(key).cnpj != issuer:
        raise _reject("access_key", "the access key's CNPJ is not the issuer's")
    tot = inf.find("n:total/n:ICMSTot", ns)
    if tot is None:
        raise _reject("totals", "no total/ICMSTot")
    total = _cents(tot, "vNF")
    added = sum(
        _cents(tot, t)
        for t in ("vProd", "vST", "vFCPST", "vFrete", "vSeg", "vOutro", "vII", "vIPI", "vIPIDevol")
    ) - _cents(tot, "vDesc")
    services = _cents(inf.find("n:total/n:ISSQNtot", ns), "vServ")
    # Since NT 2023.004 the relieved ICMS is deducted only when indDeduzDeson says so: accept both sums.
    sums = {added + services, added + services - _cents(tot, "vICMSDeson")}
    if total not in sums:
        raise _reject("totals", f"vNF {total / 100:.2f} is not the sum of its parts ({min(sums) / 100:.2f})")
    buyer = _digits(_text(inf, "n:dest/n:CPF") or _text(inf, "n:dest/n:CNPJ"))
    if expected.invoice_key and _digits(expected.invoice_key) != key:
        raise _reject("key_mismatch", f"VTEX's invoice names key {expected.invoice_key}, the XML is {key}")
    if expected.value_cents is not None and expected.value_cents != total:
        raise _reject(
            "value_mismatch",
            f"vNF {total / 100:.2f} differs from the invoice value {expected.value_cents / 100:.2f} in VTEX",
        )
    if expected.buyer_document and _digits(expected.buyer_document) != buyer:
        raise _reject("buyer_mismatch", "the NF-e's recipient document is not the TikTok buyer's")
    if expected.issuer_cnpj and _digits(expected.issuer_cnpj) != issuer:
        raise _reject(
            "issuer_mismatch", f"issued by CNPJ {issuer}, not the merchant's {expected.issuer_cnpj}"
        )
    return NfeFacts(
        access_key=key,
        number=_text(inf, "n:ide/n:nNF"),
        series=_text(inf, "n:ide/n:serie"),
        issuer_cnpj=issuer,
        buyer_document=buyer,
        total_cents=total,
        protocol=_text(prot, "n:nProt"),
        environment=_text(inf, "n:ide/n:tpAmb"),
        size_bytes=len(xml),
    )


# ---------------------------------------------------------------- invoices and packages


def order_packages(order: Order, ids: SkuIdMap) -> dict[str, Counter]:
    """Package id → the VTEX SKUs (units) it carries, from the order's lines still sold, named by seller SKU:
    `ids` gives the VTEX SKU id the invoices name (one without stays its seller SKU)."""
    packages: dict[str, Counter] = {package_id: Counter() for package_id in order.packages}
    for line in order.lines:
        if line.cancelled or not line.package_id:
            continue
        seller_sku = str(line.seller_sku)
        packages.setdefault(line.package_id, Counter())[ids.vtex_sku_id(seller_sku) or seller_sku] += (
            line.quantity
        )
    return packages


@dataclass(frozen=True)
class Pairing:
    pairs: list[tuple[str, Invoice]]
    problem: str | None = None


def pair_invoices(packages: dict[str, Counter], invoices: list[Invoice]) -> Pairing:
    """Which invoice goes with which package: one package and one invoice go together; several are
    paired by the SKUs (and units) each carries, which must match one to one."""
    if not invoices or not packages:
        return Pairing([])
    if len(packages) == 1 and len(invoices) == 1:
        return Pairing([(next(iter(packages)), invoices[0])])
    if len(invoices) != len(packages):
        return Pairing(
            [],
            f"{len(invoices)} invoices for {len(packages)} packages: the channel takes one NF-e per package",
        )
    pairs = []
    left = dict(packages)
    for invoice in invoices:
        match = next((pid for pid, skus in left.items() if +skus == +invoice.skus), None)
        if match is None:
            return Pairing([], f"invoice {invoice.number} does not carry the SKUs of any one package")
        pairs.append((match, invoice))
        del left[match]
    return Pairing(pairs)


def order_key(order_ids: list[str] | tuple[str, ...]) -> str:
    """The upload's idempotency key with the package id: its order ids, sorted."""
    return ",".join(sorted({str(o) for o in order_ids}))


def retry_delay_seconds(attempts: int, base: float = 60.0, ceiling: float = 3600.0) -> float:
    """Wait before the next run tries again after `attempts` failures: 1, 2, 4... minutes, at most an hour."""
    return min(ceiling, base * 2 ** max(0, attempts - 1))


def latest_tracking_event(events: list[TrackingEvent]) -> TrackingEvent | None:
    """The newest event of a package's tracking, whatever order they came in."""
    return max(events, key=lambda e: e.at, default=None)


_ACCESS_KEY_ID = re.compile(rb"""Id\s*=\s*["']NFe(\d{44})["']""")


def access_key_of(xml: bytes) -> str | None:
    """The access key an XML claims (infNFe's Id), without checking anything: the same NF-e served as
    other bytes (re-serialized by an ERP) is still the same document."""
    found = _ACCESS_KEY_ID.search(xml)
    return found.group(1).decode() if found else None
