"""Text helpers shared by catalog matching: accent- and case-insensitive keys, word splitting, HTML for
TikTok descriptions."""

from __future__ import annotations

import html
import re
import unicodedata

from lxml import etree
from lxml import html as lxml_html

_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def fold(text: str | None) -> str:
    """'  Açaí   SPORTS ' → 'acai sports': case, accents and runs of spaces do not count."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def words(text: str | None) -> list[str]:
    """The folded words of a text ('Calçados > Tênis' → ['calcados', 'tenis'])."""
    return _WORDS.findall(fold(text))


def stem(word: str) -> str:
    """A crude Portuguese/English stem for matching category names: plural endings dropped."""
    for suffix in ("oes", "aes", "ais", "eis", "res", "zes", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            if suffix in ("oes", "aes"):
                return word[: -len(suffix)] + "ao"
            if suffix == "ais":
                return word[:-3] + "al"
            if suffix == "eis":
                return word[:-3] + "el"
            if suffix in ("res", "zes"):
                return word[:-2]
            return word[: -len(suffix)]
    return word


def truncate_words(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a word boundary when there is one."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:-")


# Tags TikTok accepts in a product description; everything else is unwrapped (its text kept) or, for
# scripts and styles, dropped with its content.
ALLOWED_TAGS = frozenset({"p", "br", "ul", "ol", "li", "strong", "b", "em", "i", "u", "h1", "h2", "h3", "h4"})
_DROPPED_TAGS = frozenset({"script", "style", "iframe", "object", "embed", "head", "title", "meta", "link"})
_HAS_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def description_html(text: str | None) -> str:
    """A description fit for TikTok: allowed tags only, no attributes; plain text becomes paragraphs."""
    if not text or not text.strip():
        return ""
    if not _HAS_TAG.search(text):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", html.unescape(text)) if p.strip()]
        return "".join(f"<p>{html.escape(_SPACES.sub(' ', p))}</p>" for p in paragraphs)
    try:
        root = lxml_html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):
        return f"<p>{html.escape(_SPACES.sub(' ', text.strip()))}</p>"
    return _clean_children(root).strip()


def _clean_children(el) -> str:
    out = [html.escape(el.text or "", quote=False)]
    for child in el:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag in _DROPPED_TAGS or not tag:
            pass
        elif tag == "br":
            out.append("<br>")
        elif tag in ALLOWED_TAGS:
            out.append(f"<{tag}>{_clean_children(child)}</{tag}>")
        else:
            out.append(_clean_children(child))
        out.append(html.escape(child.tail or "", quote=False))
    return "".join(out)


def plain_length(description: str) -> int:
    """Characters a reader sees in an HTML description (tags not counted)."""
    return len(re.sub(r"<[^>]+>", "", html.unescape(description)))


def plain_text(text: str | None) -> str:
    """A description as plain text, for channels that take no HTML: tags dropped, line breaks kept."""
    text = re.sub(r"<\s*(br|/p|/li|/h\d)\s*/?>", "\n", str(text or ""), flags=re.I)
    return re.sub(r"[ \t]+", " ", re.sub(r"<[^>]+>", "", text)).strip()
