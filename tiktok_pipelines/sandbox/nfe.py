"""NF-e 4.00 documents for sandbox orders, as a merchant's ERP would issue them after a sale.

`build_nfe` writes an authorized `nfeProc` (NFe with infNFe, a structural XML-DSig signature, and protNFe)
in UTF-8 whose items and totals match the order: vProd is the items' total, vFrete the freight, vNF the
order value. Its access key checks (module 11). The signature's digest is the real SHA-1 of the
canonical infNFe, but there is no private key in the sandbox, so the signature value itself is a
placeholder: a document to parse and check, not to send to SEFAZ (tpAmb is 2, homologação).

`broken` produces deliberately bad documents for the fulfilment path's error handling:
`malformed` (not well-formed XML), `bad_check_digit` (the access key does not check),
`wrong_total` (vNF differs from the order value), `no_protocol` (no protNFe: not authorized).
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lxml import etree

from tiktok_pipelines.core.money import from_cents
from tiktok_pipelines.core.nfe import UF_CODES, build_access_key, cnpj_with_check_digits

NFE_NS = "http://www.portalfiscal.inf.br/nfe"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
BROKEN_KINDS = ("malformed", "bad_check_digit", "wrong_total", "no_protocol")
BRT = timezone(timedelta(hours=-3))
ICMS_INTERNAL = Decimal("18.00")
ICMS_INTERSTATE = Decimal("12.00")

# IBGE municipality code of each state capital: the sandbox does not know every city's code, and
# enderDest needs one, so a destination is coded by its state's capital.
CAPITAL_CODES = {
    "AC": ("1200401", "Rio Branco"),
    "AL": ("2704302", "Maceió"),
    "AM": ("1302603", "Manaus"),
    "AP": ("1600303", "Macapá"),
    "BA": ("2927408", "Salvador"),
    "CE": ("2304400", "Fortaleza"),
    "DF": ("5300108", "Brasília"),
    "ES": ("3205309", "Vitória"),
    "GO": ("5208707", "Goiânia"),
    "MA": ("2111300", "São Luís"),
    "MG": ("3106200", "Belo Horizonte"),
    "MS": ("5002704", "Campo Grande"),
    "MT": ("5103403", "Cuiabá"),
    "PA": ("1501402", "Belém"),
    "PB": ("2507507", "João Pessoa"),
    "PE": ("2611606", "Recife"),
    "PI": ("2211001", "Teresina"),
    "PR": ("4106902", "Curitiba"),
    "RJ": ("3304557", "Rio de Janeiro"),
    "RN": ("2408102", "Natal"),
    "RO": ("1100205", "Porto Velho"),
    "RR": ("1400100", "Boa Vista"),
    "RS": ("4314902", "Porto Alegre"),
    "SC": ("4205407", "Florianópolis"),
    "SE": ("2800308", "Aracaju"),
    "SP": ("3550308", "São Paulo"),
    "TO": ("1721000", "Palmas"),
}

# NCM by the generator's leaf category (sandbox approximation of a merchant's fiscal registry).
NCM_BY_CATEGORY = {
    11: "61091000",
    12: "62034200",
    13: "64041100",
    21: "95066200",
    22: "95069100",
    31: "73239300",
    32: "94054090",
    41: "85183000",
    42: "85444200",
    51: "33049990",
    61: "42029200",
}


@dataclass(frozen=True)
class Emitter:
    """The merchant as the NF-e issuer."""

    cnpj: str
    name: str
    trade_name: str
    state_registration: str
    street: str
    number: str
    district: str
    city_code: str
    city: str
    uf: str
    postal_code: str
    phone: str

    @classmethod
    def for_account(cls, account: str) -> Emitter:
        """A stable, valid CNPJ and a São Paulo address for a sandbox account."""
        root = f"{zlib.crc32(account.encode()) % 10**8:08d}"
        return cls(
            cnpj=cnpj_with_check_digits(root + "0001"),
            name=f"{account.title()} Comércio Eletrônico Ltda",
            trade_name=account.title(),
            state_registration=f"{zlib.crc32(account.encode() + b'ie') % 10**12:012d}",
            street="Avenida Paulista",
            number="1000",
            district="Bela Vista",
            city_code="3550308",
            city="São Paulo",
            uf="SP",
            postal_code="01310100",
            phone="1130000000",
        )


@dataclass(frozen=True)
class NfeDocument:
    xml: bytes
    access_key: str
    number: int
    series: int
    issued_at: datetime
    value_cents: int
    protocol: str


def _money(cents: int) -> str:
    return f"{from_cents(cents):.2f}"


def _sub(parent: etree._Element, tag: str, text: Any = None, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NFE_NS}}}{tag}", attrib)
    if text is not None:
        el.text = str(text)
    return el


def _split(total: int, weights: list[int]) -> list[int]:
    """Splits `total` cents in proportion to `weights`, the remainder on the last share."""
    base = sum(weights)
    if base <= 0 or total == 0:
        return [0] * len(weights)
    shares = [total * w // base for w in weights]
    shares[-1] += total - sum(shares)
    return shares


def _digits(value: str | None) -> str:
    return "".join(c for c in (value or "") if c.isdigit())


def build_nfe(
    order: dict[str, Any],
    emitter: Emitter,
    *,
    number: int,
    series: int = 1,
    issued_at: datetime | None = None,
    broken: str | None = None,
) -> NfeDocument:
    """An authorized NF-e (nfeProc) for an OMS order (money in integer cents)."""
    if broken is not None and broken not in BROKEN_KINDS:
        raise ValueError(f"broken must be one of {', '.join(BROKEN_KINDS)}")
    issued = (issued_at or datetime.now(BRT)).astimezone(BRT).replace(microsecond=0)
    address = order["shippingData"]["address"]
    dest_uf = str(address.get("state") or "SP").upper()
    dest_uf = dest_uf if dest_uf in UF_CODES else "SP"
    interstate = dest_uf != emitter.uf
    items = order["items"]
    item_totals = [
        int(i["sellingPrice"] if i.get("sellingPrice") is not None else i["price"]) * int(i["quantity"])
        for i in items
    ]
    shipping = next((int(t["value"]) for t in order.get("totals", []) if t["id"] == "Shipping"), 0)
    freight = _split(shipping, item_totals)
    value = sum(item_totals) + shipping
    numeric_code = zlib.crc32(f"{order['orderId']}:{number}".encode()) % 10**8
    key = build_access_key(
        uf_code=UF_CODES[emitter.uf],
        year_month=issued.strftime("%y%m"),
        cnpj=emitter.cnpj,
        series=series,
        number=number,
        numeric_code=numeric_code,
    )
    if broken == "bad_check_digit":
        key = key[:43] + str((int(key[43]) + 1) % 10)

    proc = etree.Element(f"{{{NFE_NS}}}nfeProc", {"versao": "4.00"}, nsmap={None: NFE_NS})
    nfe = _sub(proc, "NFe")
    inf = _sub(nfe, "infNFe", Id=f"NFe{key}", versao="4.00")

    ide = _sub(inf, "ide")
    for tag, text in (
        ("cUF", UF_CODES[emitter.uf]),
        ("cNF", f"{numeric_code:08d}"),
        ("natOp", "Venda de mercadoria"),
        ("mod", "55"),
        ("serie", series),
        ("nNF", number),
        ("dhEmi", issued.isoformat()),
        ("dhSaiEnt", issued.isoformat()),
        ("tpNF", "1"),
        ("idDest", "2" if interstate else "1"),
        ("cMunFG", emitter.city_code),
        ("tpImp", "1"),
        ("tpEmis", "1"),
        ("cDV", key[43]),
        ("tpAmb", "2"),
        ("finNFe", "1"),
        ("indFinal", "1"),
        ("indPres", "2"),
        ("indIntermed", "1"),
        ("procEmi", "0"),
        ("verProc", "tiktok-pipelines-sandbox"),
    ):
        _sub(ide, tag, text)

    emit = _sub(inf, "emit")
    _sub(emit, "CNPJ", emitter.cnpj)
    _sub(emit, "xNome", emitter.name)
    _sub(emit, "xFant", emitter.trade_name)
    ender = _sub(emit, "enderEmit")
    for tag, text in (
        ("xLgr", emitter.street),
        ("nro", emitter.number),
        ("xBairro", emitter.district),
        ("cMun", emitter.city_code),
        ("xMun", emitter.city),
        ("UF", emitter.uf),
        ("CEP", emitter.postal_code),
        ("cPais", "1058"),
        ("xPais", "BRASIL"),
        ("fone", emitter.phone),
    ):
        _sub(ender, tag, text)
    _sub(emit, "IE", emitter.state_registration)
    _sub(emit, "CRT", "3")

    profile = order.get("clientProfileData") or {}
    dest = _sub(inf, "dest")
    document = _digits(profile.get("document"))
    _sub(dest, "CNPJ" if len(document) == 14 else "CPF", document)
    name = f"{profile.get('firstName', '')} {profile.get('lastName', '')}".strip()
    _sub(dest, "xNome", name or address.get("receiverName") or "Consumidor")
    city_code, _ = CAPITAL_CODES[dest_uf]
    ender = _sub(dest, "enderDest")
    for tag, text in (
        ("xLgr", address.get("street") or "-"),
        ("nro", address.get("number") or "S/N"),
        ("xCpl", address.get("complement")),
        ("xBairro", address.get("neighborhood") or "-"),
        ("cMun", city_code),
        ("xMun", address.get("city") or "-"),
        ("UF", dest_uf),
        ("CEP", _digits(address.get("postalCode"))),
        ("cPais", "1058"),
        ("xPais", "BRASIL"),
    ):
        if text:
            _sub(ender, tag, text)
    _sub(dest, "indIEDest", "9")
    if profile.get("email"):
        _sub(dest, "email", profile["email"])

    rate = ICMS_INTERSTATE if interstate else ICMS_INTERNAL
    cfop = "6108" if interstate else "5102"
    icms_total = 0
    for index, (item, total, item_freight) in enumerate(
        zip(items, item_totals, freight, strict=True), start=1
    ):
        det = _sub(inf, "det", nItem=str(index))
        prod = _sub(det, "prod")
        unit = int(item["sellingPrice"] if item.get("sellingPrice") is not None else item["price"])
        leaf = int(
            str(item.get("additionalInfo", {}).get("categoriesIds") or "/0/").strip("/").split("/")[-1]
        )
        for tag, text in (
            ("cProd", item.get("refId") or item["id"]),
            ("cEAN", item.get("ean") or "SEM GTIN"),
            ("xProd", item["name"][:120]),
            ("NCM", NCM_BY_CATEGORY.get(leaf, "96089989")),
            ("CFOP", cfop),
            ("uCom", "UN"),
            ("qCom", f"{int(item['quantity']):.4f}"),
            ("vUnCom", f"{from_cents(unit):.10f}"),
            ("vProd", _money(total)),
            ("cEANTrib", item.get("ean") or "SEM GTIN"),
            ("uTrib", "UN"),
            ("qTrib", f"{int(item['quantity']):.4f}"),
            ("vUnTrib", f"{from_cents(unit):.10f}"),
            ("vFrete", _money(item_freight) if item_freight else None),
            ("indTot", "1"),
        ):
            if text is not None:
                _sub(prod, tag, text)
        base = total + item_freight
        icms = int((Decimal(base) * rate / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        icms_total += icms
        imposto = _sub(det, "imposto")
        icms00 = _sub(_sub(imposto, "ICMS"), "ICMS00")
        for tag, text in (
            ("orig", "0"),
            ("CST", "00"),
            ("modBC", "3"),
            ("vBC", _money(base)),
            ("pICMS", f"{rate:.2f}"),
            ("vICMS", _money(icms)),
        ):
            _sub(icms00, tag, text)
        _sub(_sub(_sub(imposto, "PIS"), "PISNT"), "CST", "07")
        _sub(_sub(_sub(imposto, "COFINS"), "COFINSNT"), "CST", "07")

    declared = value + (1000 if broken == "wrong_total" else 0)
    tot = _sub(_sub(inf, "total"), "ICMSTot")
    for tag, cents in (
        ("vBC", sum(item_totals) + shipping),
        ("vICMS", icms_total),
        ("vICMSDeson", 0),
        ("vFCP", 0),
        ("vBCST", 0),
        ("vST", 0),
        ("vFCPST", 0),
        ("vFCPSTRet", 0),
        ("vProd", sum(item_totals)),
        ("vFrete", shipping),
        ("vSeg", 0),
        ("vDesc", 0),
        ("vII", 0),
        ("vIPI", 0),
        ("vIPIDevol", 0),
        ("vPIS", 0),
        ("vCOFINS", 0),
        ("vOutro", 0),
        ("vNF", declared),
    ):
        _sub(tot, tag, _money(cents))

    transp = _sub(inf, "transp")
    _sub(transp, "modFrete", "0")
    pag = _sub(_sub(inf, "pag"), "detPag")
    _sub(pag, "indPag", "0")
    _sub(pag, "tPag", "99")
    _sub(pag, "xPag", "Marketplace")
    _sub(pag, "vPag", _money(declared))
    _sub(
        _sub(inf, "infAdic"),
        "infCpl",
        f"Pedido VTEX {order['orderId']}; pedido marketplace {order.get('marketplaceOrderId') or '-'}.",
    )

    digest = base64.b64encode(hashlib.sha1(etree.tostring(inf, method="c14n")).digest()).decode()
    _signature(nfe, key, digest)
    protocol = f"1{UF_CODES[emitter.uf]}{issued:%y}{numeric_code:010d}"[:15]
    if broken != "no_protocol":
        prot = etree.SubElement(proc, f"{{{NFE_NS}}}protNFe", {"versao": "4.00"})
        inf_prot = _sub(prot, "infProt", Id=f"ID{protocol}")
        for tag, text in (
            ("tpAmb", "2"),
            ("verAplic", "SP_NFE_PL009_V4"),
            ("chNFe", key),
            ("dhRecbto", (issued + timedelta(seconds=3)).isoformat()),
            ("nProt", protocol),
            ("digVal", digest),
            ("cStat", "100"),
            ("xMotivo", "Autorizado o uso da NF-e"),
        ):
            _sub(inf_prot, tag, text)

    xml = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(proc, encoding="UTF-8")
    if broken == "malformed":
        # Cut inside the document: the parser meets an unclosed element.
        xml = xml[: xml.rindex(b"</NFe>")]
    return NfeDocument(
        xml=xml,
        access_key=key,
        number=number,
        series=series,
        issued_at=issued,
        value_cents=declared,
        protocol=protocol,
    )


def _signature(nfe: etree._Element, key: str, digest: str) -> None:
    sig = etree.SubElement(nfe, f"{{{DSIG_NS}}}Signature", nsmap={None: DSIG_NS})
    info = etree.SubElement(sig, f"{{{DSIG_NS}}}SignedInfo")
    etree.SubElement(
        info,
        f"{{{DSIG_NS}}}CanonicalizationMethod",
        Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    )
    etree.SubElement(info, f"{{{DSIG_NS}}}SignatureMethod", Algorithm=f"{DSIG_NS}rsa-sha1")
    ref = etree.SubElement(info, f"{{{DSIG_NS}}}Reference", URI=f"#NFe{key}")
    transforms = etree.SubElement(ref, f"{{{DSIG_NS}}}Transforms")
    etree.SubElement(transforms, f"{{{DSIG_NS}}}Transform", Algorithm=f"{DSIG_NS}enveloped-signature")
    etree.SubElement(
        transforms, f"{{{DSIG_NS}}}Transform", Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    )
    etree.SubElement(ref, f"{{{DSIG_NS}}}DigestMethod", Algorithm=f"{DSIG_NS}sha1")
    etree.SubElement(ref, f"{{{DSIG_NS}}}DigestValue").text = digest
    placeholder = base64.b64encode(hashlib.sha256(f"sandbox-signature:{key}".encode()).digest() * 8).decode()
    etree.SubElement(sig, f"{{{DSIG_NS}}}SignatureValue").text = placeholder
    x509 = etree.SubElement(etree.SubElement(sig, f"{{{DSIG_NS}}}KeyInfo"), f"{{{DSIG_NS}}}X509Data")
    etree.SubElement(x509, f"{{{DSIG_NS}}}X509Certificate").text = base64.b64encode(
        f"sandbox certificate for {key[6:20]}".encode()
    ).decode()
