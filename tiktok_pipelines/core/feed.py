"""Streaming parser of Google Merchant product feeds (RSS 2.0 and Atom 1.0).

Constant memory: items are handled one at a time and dropped from the tree. Safe on hostile input:
no DTD is accepted (so no entity expansion and no external entity), nothing is fetched, and
libxml2's own amplification guard stays on.

What is fatal and what is per item, by harm: a document that cannot be read to its end (malformed,
truncated, wrong encoding, a DTD, not a feed) is fatal, because acting on part of a catalog would
delete the rest. A bad item (no id, a repeated id, no title, an unreadable price) is a per-item error:
the item is reported and the others go on.

Every number is bounded when it is read (`PRICE_RANGE`, `WEIGHT_RANGE_KG`, documented in docs/catalog.md):
a value outside its range, or one that could be read two ways (`1.299 BRL`: a price with a thousands
separator or with three decimals?), rejects its item with the reason, so it is never stored as something
else and never reaches a column too small for it.
"""

from __future__ import annotations

import gc
import gzip
import io
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from hashlib import blake2b
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from tiktok_pipelines.core.feed_fields import FEED_FIELDS, HASHED_FIELDS, STOCK_PRICE_FIELDS

G_NS = "http://base.google.com/ns/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
_G = f"{{{G_NS}}}"
_G_LEN = len(_G)
_A = f"{{{ATOM_NS}}}"

# Tags that carry each field: g:-prefixed, plain RSS, and Atom forms (the fields: `core.feed_fields`).
_SCALAR_FIELDS = {f.name: (f.name, *f.tags) for f in FEED_FIELDS if f.name and f.kind != "list"}
_LIST_FIELDS = {f.name: f.column for f in FEED_FIELDS if f.name and f.kind == "list"}

_TAG_TO_FIELD: dict[str, str] = {}
for _field, _names in _SCALAR_FIELDS.items():
    for _name in _names:
        _TAG_TO_FIELD[_G + _name] = _field
# Un-namespaced RSS item elements and Atom entry elements carry the core fields.
for _plain in ("title", "description", "link"):
    _TAG_TO_FIELD[_plain] = _plain
# Two fields need more than their text; distinct markers let the item loop tell them by identity.
_ATOM_LINK = "atom link"
_IMAGES = "additional_image_links"
for _atom, _field in (
    ("title", "title"),
    ("summary", "description"),
    ("content", "description"),
    ("id", "atom_id"),
    ("link", _ATOM_LINK),
):
    _TAG_TO_FIELD[_A + _atom] = _field
for _name in _LIST_FIELDS:
    _TAG_TO_FIELD[_G + _name] = _IMAGES

_AVAILABILITY = {
    "in_stock": "in_stock",
    "in stock": "in_stock",
    "instock": "in_stock",
    "out_of_stock": "out_of_stock",
    "out of stock": "out_of_stock",
    "outofstock": "out_of_stock",
    "preorder": "preorder",
    "pre-order": "preorder",
    "pre_order": "preorder",
    "backorder": "backorder",
    "back order": "backorder",
    "available for order": "backorder",
}
_PRICE_RE = re.compile(
    r"^\s*(?:(?P<cur1>[A-Za-z]{3})\s*)?(?:R\$\s*)?(?P<num>\d+(?:[.,]\d+)?)\s*(?P<cur2>[A-Za-z]{3})?\s*$"
)
_WEIGHT_RE = re.compile(r"^\s*(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>kg|g|lb|lbs|oz)\s*$", re.I)
_WEIGHT_TO_KG = {
    "kg": Decimal(1),
    "g": Decimal("0.001"),
    "lb": Decimal("0.45359237"),
    "lbs": Decimal("0.45359237"),
    "oz": Decimal("0.028349523125"),
}
_GC_GEN0_THRESHOLD = 20_000
_CACHED_VALUES = 1_024  # distinct price texts remembered per parse
_CENT = Decimal("0.01")
_GRAM = Decimal("0.001")

# Accepted ranges of the feed's numbers, both ends included. Prices: a cent up to just under a hundred
# million, two decimals at most (the lake's money columns are DECIMAL(14,2)). Weights: Google's own range
# for g:shipping_weight (0 to 1000 kg), stored to the gram (DECIMAL(10,3)).
PRICE_RANGE = (Decimal("0.01"), Decimal("99999999.99"))
WEIGHT_RANGE_KG = (Decimal("0"), Decimal("1000"))
_PRICE_MAX_WHOLE_DIGITS = len(str(int(PRICE_RANGE[1])))


class OutOfRange(ValueError):
    """A number that reads well but lies outside its field's accepted range."""


class FeedFormatError(ValueError):
    """The feed cannot be read as a whole; names the problem and where it is."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.message = message
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line else ""
        super().__init__(message + where)


@dataclass(slots=True)
class FeedItem:
    """One feed item, i.e. one sellable variant: `seller_sku` is its `g:id`."""

    seller_sku: str
    item_group_id: str | None
    title: str
    description: str | None
    link: str | None
    image_link: str | None
    additional_image_links: list[str]
    price: Decimal
    sale_price: Decimal | None
    currency: str
    sale_price_effective_date: str | None
    availability: str | None
    condition: str | None
    brand: str | None
    gtin: str | None
    mpn: str | None
    color: str | None
    size: str | None
    gender: str | None
    age_group: str | None
    material: str | None
    pattern: str | None
    google_product_category: str | None
    product_type: str | None
    shipping_weight_kg: Decimal | None
    extra: dict[str, str]
    line: int
    content_hash: str = ""


@dataclass(slots=True)
class ItemProblem:
    """A problem with one item. Errors reject the item; warnings keep it."""

    line: int
    seller_sku: str | None
    field: str
    message: str
    severity: str = "error"


@dataclass
class FeedSummary:
    format: str | None = None
    title: str | None = None
    items: int = 0
    rejected: int = 0
    warnings: int = 0
    problems: list[ItemProblem] = field(default_factory=list)
    catalog_sum: int = 0  # sum of the accepted items' catalog hashes (mod 2^128): see `catalog_digest`

    @property
    def catalog_digest(self) -> str:
        """What the catalog lane publishes of this feed, as one hash: every accepted item's content less
        the fields the stock and price lane owns (`STOCK_PRICE_FIELDS`), whatever the items' order. Two
        feeds that differ only in prices or availability have the same digest."""
        return format(self.catalog_sum, "032x")


def feed_refusal(summary: FeedSummary, max_rejected_share: float) -> str | None:
    """Why a completely read feed still cannot become the catalog, or None when it can: it has no item
    at all (an export that came out empty would otherwise unlist everything), none of its items is
    usable, or more than `max_rejected_share` of them are rejected."""
    seen = summary.items + summary.rejected
    if seen == 0:
        return "the feed has no item (a well-formed but empty export is not taken as an empty catalog)"
    if summary.items == 0:
        return "no item of the feed is usable; first problem: " + describe_problem(summary.problems)
    if summary.rejected / seen > max_rejected_share:
        return (
            f"{summary.rejected} of {seen} items are rejected ({summary.rejected / seen:.0%}), above the "
            f"client's limit of {max_rejected_share:.0%}; first problem: "
            + describe_problem(summary.problems)
        )
    return None


def describe_problem(problems: list[ItemProblem]) -> str:
    """The first item problem, in one line."""
    if not problems:
        return "none recorded"
    p = problems[0]
    return f"line {p.line}, item {p.seller_sku or '?'}: {p.field}: {p.message}"


class _FewerCollections:
    """Raises the cycle collector's first threshold while any parse runs, and puts it back when the
    last one ends (parses run side by side in a sensor's threads: each restoring what it saw would
    leave the raised value behind)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._saved: tuple[int, ...] = ()

    def __enter__(self) -> None:
        with self._lock:
            if self._active == 0:
                self._saved = gc.get_threshold()
                gc.set_threshold(max(self._saved[0], _GC_GEN0_THRESHOLD), *self._saved[1:])
            self._active += 1

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0:
                gc.set_threshold(*self._saved)


_fewer_collections = _FewerCollections()


def _open(source: str | Path | BinaryIO | bytes) -> BinaryIO:
    if isinstance(source, bytes):
        fh: BinaryIO = io.BytesIO(source)
    elif isinstance(source, str | Path):
        fh = open(source, "rb")  # noqa: SIM115  (closed by the caller through iter_feed)
    else:
        fh = source
    head = fh.peek(2)[:2] if hasattr(fh, "peek") else b""
    if not head:
        pos = fh.tell()
        head = fh.read(2)
        fh.seek(pos)
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fh)  # type: ignore[return-value]
    return fh


class _CountingReader:
    """Wraps the feed stream to know where the input ended, to tell truncation from other errors."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.eof = False
        self.lines = 1
        self.last_line_chars = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        if not data:
            self.eof = True
            return data
        newline = data.rfind(b"\n")
        if newline >= 0:
            self.lines += data.count(b"\n")
            self.last_line_chars = len(data[newline + 1 :].decode("utf-8", "ignore"))
        else:
            self.last_line_chars += len(data.decode("utf-8", "ignore"))
        return data

    def ends_at(self, line: int | None, column: int | None) -> bool:
        """Whether an error position is at the end of the input (the document stopped short)."""
        if line is None:
            return False
        if not self.eof:  # the parser may stop before asking for more: look for unread input
            self.eof = not self.raw.read(1)
        if not self.eof:
            return False
        return line >= self.lines and (column or 0) >= self.last_line_chars - 8


class _FileEnd:
    """Where a plain feed file ends, worked out only when an error needs it (lxml reads the file itself,
    faster than through a Python reader)."""

    def __init__(self, path: str):
        self.path = path

    def ends_at(self, line: int | None, column: int | None) -> bool:
        if line is None:
            return False
        lines, last = 1, b""
        with open(self.path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    lines += chunk.count(b"\n")
                    last = chunk[newline + 1 :]
                else:
                    last = (last + chunk)[-(1 << 16) :]
        return line >= lines and (column or 0) >= len(last.decode("utf-8", "ignore")) - 8


def _is_gzip(path: str | Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _text(el: etree._Element) -> str | None:
    text = el.text
    if len(el):  # inline markup (e.g. Atom xhtml content): keep its text
        text = "".join(el.itertext())
    if text is None:
        return None
    text = text.strip()
    return text or None


def _plain_number(text: str, places: int) -> bool:
    """'199.90' with exactly `places` decimals (the form generators write): read without a regex."""
    whole, dot, fraction = text.partition(".")
    return (
        bool(dot) and whole.isdigit() and whole.isascii() and len(fraction) == places and fraction.isdigit()
    )


def parse_price(raw: str, default_currency: str) -> tuple[Decimal, str]:
    """'199.90 BRL', 'BRL 199.90', '199,90', 'R$ 199,90' → (Decimal('199.90'), 'BRL').

    Raises ValueError, saying why, for a price that is unreadable, has more than two decimals (`1.299`
    or `1,299` may be a thousand and some, or one and a bit), or is outside `PRICE_RANGE`."""
    number, space, currency = raw.partition(" ")
    if (
        space
        and len(currency) == 3
        and currency.isalpha()
        and currency.isascii()
        and _plain_number(number, 2)
        and 0 < len(number) - 3 <= _PRICE_MAX_WHOLE_DIGITS
    ):
        value = Decimal(number)
        if value:
            return value, currency.upper()
    m = _PRICE_RE.match(raw)
    if not m:
        raise ValueError(f"unreadable price {raw[:40]!r} (expected e.g. '199.90 BRL')")
    num = m.group("num")
    whole, _, fraction = num.replace(",", ".").partition(".")
    if len(fraction) > 2:
        raise ValueError(
            f"ambiguous price {raw[:40]!r}: {len(fraction)} decimals, which reads as a thousands separator "
            "as well (write e.g. '1299.00 BRL' or '1.30 BRL')"
        )
    currency = (m.group("cur1") or m.group("cur2") or default_currency).upper()
    try:
        value = Decimal(f"{whole}.{fraction or '0'}")
    except InvalidOperation:
        raise ValueError(f"unreadable price {raw[:40]!r}") from None
    low, high = PRICE_RANGE
    if not low <= value <= high:
        raise OutOfRange(f"price {raw[:40]!r} is outside the accepted range {low} to {high}")
    return value.quantize(_CENT), currency


def parse_weight_kg(raw: str) -> Decimal:
    """'1.5 kg', '500 g', '2 lb' → kilograms to the gram. Raises ValueError, saying why, for a weight
    that is unreadable or outside `WEIGHT_RANGE_KG`."""
    number, space, unit = raw.partition(" ")
    if space and unit == "kg" and ((number.isdigit() and number.isascii()) or _plain_number(number, 3)):
        value = Decimal(number)
    else:
        m = _WEIGHT_RE.match(raw)
        if not m:
            raise ValueError(f"unreadable shipping_weight {raw[:40]!r} (expected e.g. '1.5 kg')")
        value = Decimal(m.group("num").replace(",", ".")) * _WEIGHT_TO_KG[m.group("unit").lower()]
    low, high = WEIGHT_RANGE_KG
    if not low <= value <= high:
        raise OutOfRange(f"shipping_weight {raw[:40]!r} is outside the accepted range {low} to {high} kg")
    return value.quantize(_GRAM, rounding=ROUND_HALF_UP)


# The fields a content hash covers, in a fixed order (where they sit in the item does not count).
_HASHED_FIELDS = HASHED_FIELDS
_NO_VALUES = ("",) * len(_HASHED_FIELDS)

# What the stock and price lane owns: once a product is listed, its prices and stock come from VTEX
# (docs/stock_price.md), so a feed change to these alone gives the catalog lane nothing to publish.
STOCK_PRICE_EXTRA = frozenset({"availability_date"})
_MASK_128 = (1 << 128) - 1


# An item's record: its fields' text in `RECORD_FIELDS` order joined by \x1f, then its additional
# images (each after \x1e) and its other `g:` elements sorted by name (`name=value`, after \x1d, between
# each other \x1e). XML 1.0 text can hold none of these control characters, so the record is
# unambiguous; its hash is the item's content hash.
RECORD_FIELDS = _HASHED_FIELDS
# Where the stock and price fields sit in a record: between these two separators.
_STOCK_PRICE_START = RECORD_FIELDS.index(STOCK_PRICE_FIELDS[0])
_STOCK_PRICE_END = _STOCK_PRICE_START + len(STOCK_PRICE_FIELDS)
assert RECORD_FIELDS[_STOCK_PRICE_START:_STOCK_PRICE_END] == STOCK_PRICE_FIELDS


_HEAD_FIELDS = RECORD_FIELDS[:_STOCK_PRICE_START]
_TAIL_FIELDS = RECORD_FIELDS[_STOCK_PRICE_END:]
_NO_HEAD, _NO_STOCK, _NO_TAIL = (("",) * len(f) for f in (_HEAD_FIELDS, STOCK_PRICE_FIELDS, _TAIL_FIELDS))


def _record_parts(
    values: Mapping[str, str], images: list[str], extra: Mapping[str, str]
) -> tuple[bytes, bytes, bytes]:
    """An item's record in three parts, the stock and price fields in the middle one; the record is
    the three joined by \\x1f."""
    get = values.get
    head = "\x1f".join(map(get, _HEAD_FIELDS, _NO_HEAD)).encode("utf-8")
    stock = "\x1f".join(map(get, STOCK_PRICE_FIELDS, _NO_STOCK)).encode("utf-8")
    tail = "\x1f".join(map(get, _TAIL_FIELDS, _NO_TAIL))
    if images:
        tail = "\x1e".join((tail, *images))
    if extra:
        tail += "\x1d" + "\x1e".join(f"{k}={v}" for k, v in sorted(extra.items()))
    return head, stock, tail.encode("utf-8")


def item_record(values: Mapping[str, str], images: list[str], extra: Mapping[str, str]) -> bytes:
    """Everything an item says, encoded once: its fields' text as the feed gives it (trimmed), its
    additional images and its other `g:` elements, in a fixed order (where they sit in the item does not
    count, and the same item in RSS or Atom gives the same record)."""
    return b"\x1f".join(_record_parts(values, images, extra))


def _hashes(head: bytes, stock: bytes, tail: bytes) -> tuple[str, int]:
    """An item's content hash (over its whole record) and catalog hash (over its record less the stock
    and price part), the head hashed once for both."""
    content = blake2b(head, digest_size=16)
    catalog = content.copy()
    content.update(b"\x1f" + stock + b"\x1f" + tail)
    catalog.update(b"\x1f" + tail)
    return content.hexdigest(), int.from_bytes(catalog.digest(), "big")


def content_hash(values: Mapping[str, str], images: list[str], extra: Mapping[str, str]) -> str:
    """A content hash of everything an item says (the hash of its `item_record`)."""
    return blake2b(item_record(values, images, extra), digest_size=16).hexdigest()


def catalog_hash(values: Mapping[str, str], images: list[str], extra: Mapping[str, str]) -> int:
    """`content_hash` of what the catalog lane reads of an item (its fields less `STOCK_PRICE_FIELDS`),
    as a 128-bit number so that a feed's items add up to `FeedSummary.catalog_digest`."""
    kept = {k: v for k, v in extra.items() if k not in STOCK_PRICE_EXTRA} if extra else extra
    return _hashes(*_record_parts(values, images, kept))[1]


class FeedParser:
    """Iterates over a feed's items; problems go to `summary.problems` (and are yielded too)."""

    def __init__(self, default_currency: str = "BRL", max_problems_kept: int = 10_000):
        self.default_currency = default_currency
        self.max_problems_kept = max_problems_kept
        self.summary = FeedSummary()
        self._seen: dict[str, int] = {}
        self._warnings: list[ItemProblem] = []
        # The same price texts come back item after item: each is read once.
        self._prices: dict[str, tuple[Decimal, str]] = {}

    def _price(self, raw: str, default_currency: str) -> tuple[Decimal, str]:
        key = raw if default_currency == self.default_currency else f"{raw}\x00{default_currency}"
        known = self._prices.get(key)
        if known is None:
            known = parse_price(raw, default_currency)  # raises for a bad price: those are not kept
            if len(self._prices) >= _CACHED_VALUES:
                self._prices.clear()
            self._prices[key] = known
        return known

    def _problem(self, problem: ItemProblem) -> ItemProblem:
        if problem.severity == "error":
            self.summary.rejected += 1
        else:
            self.summary.warnings += 1
        if len(self.summary.problems) < self.max_problems_kept:
            self.summary.problems.append(problem)
        return problem

    def iter(self, source: str | Path | BinaryIO | bytes) -> Iterator[FeedItem | ItemProblem]:
        warnings = self._warnings
        item_of = self._item
        for elem in self.elements(source):
            entry = item_of(elem)
            if warnings:
                yield from warnings
                warnings.clear()
            yield entry

    def read_item(self, elem: etree._Element) -> FeedItem | ItemProblem:
        """One item element of `elements` read (as `iter` reads it); its problems are in the summary."""
        entry = self._item(elem)
        self._warnings.clear()
        return entry

    def elements(self, source: str | Path | BinaryIO | bytes) -> Iterator[etree._Element]:
        """The feed's item elements in order, each dropped from the tree once the next one is asked for.
        The document is checked as it is read: a feed that cannot be read whole raises FeedFormatError."""
        # Each item makes a few short-lived containers that reference counting frees; at the default
        # threshold the cycle collector would still scan every few hundred of them (~5 % of a parse).
        with _fewer_collections:
            if isinstance(source, str | Path) and not _is_gzip(source):
                yield from self._elements(str(source), _FileEnd(str(source)))
                return
            fh = _open(source)
            try:
                reader = _CountingReader(fh)
                yield from self._elements(reader, reader)
            finally:
                if isinstance(source, str | Path) or fh is not source:
                    fh.close()

    def _elements(
        self, source: str | _CountingReader, end: _CountingReader | _FileEnd
    ) -> Iterator[etree._Element]:
        context = etree.iterparse(
            source,
            events=("end",),
            tag=("item", "{*}item", "{*}entry"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            remove_blank_text=True,  # whitespace between fields is layout, not content: no nodes for it
            collect_ids=False,
        )
        checked_root = False
        count = 0
        try:
            for _event, elem in context:
                if not checked_root:
                    self._check_document(elem.getroottree())
                    checked_root = True
                yield elem
                # Drop what has been read so memory stays flat; earlier siblings go in batches.
                elem.clear(keep_tail=False)
                count += 1
                if count % 256 == 0:
                    parent = elem.getparent()
                    if parent is not None:
                        del parent[: parent.index(elem)]
            root = context.root
        except etree.XMLSyntaxError as exc:
            lxml_message, line, column = _syntax_error(exc, context.error_log)
            message = _describe_syntax_error(lxml_message)
            if end.ends_at(line, column) and "encoding" not in message and "empty" not in message:
                message = (
                    f"the feed ends before its document is complete (truncated download?): {lxml_message}"
                )
            raise FeedFormatError(message, line, column) from None
        except (EOFError, gzip.BadGzipFile, OSError) as exc:
            raise FeedFormatError(f"the feed file cannot be read to its end: {exc}") from None
        if root is None:
            raise FeedFormatError("the feed is empty")
        if not checked_root:
            self._check_document(root.getroottree())

    def _check_document(self, tree: etree._ElementTree) -> None:
        if tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
            raise FeedFormatError(
                "the feed declares a DTD (<!DOCTYPE ...>); product feeds never need one and it is refused "
                "so that no entity is expanded or fetched"
            )
        root = tree.getroot()
        tag = etree.QName(root).localname if isinstance(root.tag, str) else ""
        ns = etree.QName(root).namespace if isinstance(root.tag, str) else None
        if tag == "rss":
            self.summary.format = "rss"
            title = root.find("channel/title")
        elif tag == "feed" and ns in (ATOM_NS, None):
            self.summary.format = "atom"
            title = root.find(_A + "title")
        elif tag == "RDF":
            self.summary.format = "rss1"
            title = None
        else:
            raise FeedFormatError(
                f"not a product feed: the root element is <{tag}>, expected <rss> (RSS 2.0) or <feed> (Atom)",
                root.sourceline,
            )
        if title is not None and self.summary.title is None:
            self.summary.title = _text(title)

    def _item(self, elem: etree._Element) -> FeedItem | ItemProblem:
        """The item, or the problem that rejects it; warnings about it go to `self._warnings`."""
        values: dict[str, str] = {}
        images: list[str] = []
        extra: dict[str, str] = {}
        field_of = _TAG_TO_FIELD.get
        setdefault = values.setdefault
        for child in elem:
            tag = child.tag
            name = field_of(tag)
            if name is None:
                # Unknown g: attributes are kept as `extra` (custom labels, product details...).
                if tag.__class__ is str and tag.startswith(_G):
                    text = _text(child)
                    local = tag[_G_LEN:]
                    if text is not None and local not in extra and not len(child):
                        extra[local] = text
                continue
            if name is _ATOM_LINK:
                rel = child.get("rel", "alternate")
                href = child.get("href")
                if rel == "alternate" and href and "link" not in values:
                    values["link"] = href.strip()
                continue
            text = child.text
            if len(child):  # inline markup (e.g. Atom xhtml content): keep its text
                text = "".join(child.itertext())
            if text is None:
                continue
            text = text.strip()
            if not text:
                continue
            if name is _IMAGES:
                images.append(text)
            else:
                setdefault(name, text)
        line = elem.sourceline or 0
        get = values.get
        sku = get("id")
        if not sku:
            return self._problem(ItemProblem(line, None, "id", "item has no g:id"))
        first = self._seen.get(sku)
        if first is not None:
            return self._problem(ItemProblem(line, sku, "id", f"duplicate g:id, first seen at line {first}"))
        self._seen[sku] = line
        title = get("title")
        if not title:
            return self._problem(ItemProblem(line, sku, "title", "item has no title"))
        raw_price = get("price")
        if not raw_price:
            return self._problem(ItemProblem(line, sku, "price", "item has no g:price"))
        try:
            price, currency = self._price(raw_price, self.default_currency)
        except ValueError as exc:
            return self._problem(ItemProblem(line, sku, "price", str(exc)))
        sale_price = None
        raw_sale = get("sale_price")
        if raw_sale:
            try:
                sale_price, sale_currency = self._price(raw_sale, currency)
            except ValueError as exc:
                return self._problem(ItemProblem(line, sku, "sale_price", str(exc)))
            if sale_currency != currency:
                return self._problem(
                    ItemProblem(
                        line,
                        sku,
                        "sale_price",
                        f"sale_price currency {sale_currency} differs from price's {currency}",
                    )
                )
        weight = None
        raw_weight = get("shipping_weight")
        if raw_weight:
            try:
                weight = parse_weight_kg(raw_weight)
            except OutOfRange as exc:  # a number, but not a weight this item can have
                return self._problem(ItemProblem(line, sku, "shipping_weight", str(exc)))
            except ValueError as exc:  # no weight given, in effect: VTEX's or the default package's
                self._warnings.append(
                    self._problem(ItemProblem(line, sku, "shipping_weight", str(exc), "warning"))
                )
        availability = get("availability")
        if availability is not None:
            normalized = _AVAILABILITY.get(availability.lower())
            if normalized is None:
                self._warnings.append(
                    self._problem(
                        ItemProblem(
                            line, sku, "availability", f"unknown availability {availability!r}", "warning"
                        )
                    )
                )
            availability = normalized
        condition = get("condition")
        head, stock, tail = _record_parts(values, images, extra)
        content, catalog = _hashes(head, stock, tail)
        if extra and not STOCK_PRICE_EXTRA.isdisjoint(extra):
            catalog = catalog_hash(values, images, extra)
        item = FeedItem(
            sku,
            get("item_group_id"),
            title,
            get("description"),
            get("link"),
            get("image_link"),
            images,
            price,
            sale_price,
            currency,
            get("sale_price_effective_date"),
            availability,
            condition.lower() if condition else None,
            get("brand"),
            get("gtin"),
            get("mpn"),
            get("color"),
            get("size"),
            get("gender"),
            get("age_group"),
            get("material"),
            get("pattern"),
            get("google_product_category"),
            get("product_type"),
            weight,
            extra,
            line,
            content,
        )
        summary = self.summary
        summary.items += 1
        summary.catalog_sum = (summary.catalog_sum + catalog) & _MASK_128
        return item


def _syntax_error(exc: etree.XMLSyntaxError, log: etree._ListErrorLog) -> tuple[str, int | None, int | None]:
    """lxml's message and position of a syntax error, without its own ', line N, column M' suffix (the
    caller adds the position). When iterparse only says "no element found", the error it stopped on is
    the last one in this parse's own log (the exception's log is the thread's, and holds older ones)."""
    message = str(exc.msg or exc)
    line, column = exc.position if exc.position else (None, None)
    last = log.last_error if log else None
    if message.startswith("no element found") and not line and last is not None and last.line:
        message, line, column = last.message, last.line, last.column
    return re.sub(r",\s*line \d+, column \d+.*$", "", message).strip(), line or None, column


_UNDEFINED_ENTITY = re.compile(r"Entity '([^']*)' not defined")


def _describe_syntax_error(msg: str) -> str:
    lowered = msg.lower()
    if "premature end of data" in lowered or "end of data" in lowered or "truncated" in lowered:
        return f"the feed is truncated or not well-formed: {msg}"
    if "encoding" in lowered or "utf-8" in lowered or "not proper" in lowered or "bytes:" in lowered:
        return f"the feed's bytes do not match its declared encoding: {msg}"
    if "xmlparseentityref: no name" in lowered or "entityref: expecting ';'" in lowered:
        return (
            "the feed is not well-formed XML: a bare '&' (XML needs it written as &amp;, or the text "
            f"wrapped in <![CDATA[...]]>): {msg}"
        )
    undefined = _UNDEFINED_ENTITY.search(msg)
    if undefined:
        return (
            f"the feed is not well-formed XML: the entity &{undefined.group(1)}; is not defined (without "
            "a DTD XML knows only &amp; &lt; &gt; &quot; &apos; and numeric ones such as &#160;): " + msg
        )
    if "amplification" in lowered or "entity reference loop" in lowered:
        return f"the feed uses entities that are refused: {msg}"
    if "document is empty" in lowered or "start tag expected" in lowered:
        return f"the feed is empty or not XML: {msg}"
    return f"the feed is not well-formed XML: {msg}"


def iter_feed(source: str | Path | BinaryIO | bytes, default_currency: str = "BRL") -> Iterator[FeedItem]:
    """Only the good items of a feed (problems are dropped); for callers that do not report them."""
    for entry in FeedParser(default_currency).iter(source):
        if isinstance(entry, FeedItem):
            yield entry
