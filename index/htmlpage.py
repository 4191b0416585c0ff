"""The text of an HTML page: its blocks as lines and paragraphs, page chrome dropped, decoded as the page was
meant to be read, including the legacy Vietnamese encodings of old government portals.

Decoding, as a browser does it: a byte order mark first; else the charset the page declares (`<meta
charset>`, `<meta http-equiv="Content-Type" content="…; charset=…">`, or an XML declaration), with the
WHATWG rule that "iso-8859-1" and "us-ascii" mean Windows-1252; else UTF-8 when the bytes are UTF-8; else
the most plausible code page (`index.encodings.guess_codepage`). A page that declares a single-byte code
page but whose bytes are UTF-8 (a page re-saved in UTF-8 that kept its old declaration) is read as UTF-8,
and one that declares UTF-8 but is not is guessed. Windows-1258 spells tone marks as combining characters:
the caller normalises the text to NFC.

TCVN3 and VNI text is converted to Unicode as in Word files (`index.encodings`): by the font it is set in
(`<font face=".VnTime">`, `style="font-family: VNI-Times"`, or a `<style>` rule for its tag or class, as
Word's "Save as Web Page" writes them), unless the text in those fonts already reads better as it is (a
page converted to Unicode that kept its font names); a page naming no legacy font is converted when its
letters read far better as TCVN3 or VNI. The legacy bytes are the page's bytes, whatever code page decoded
them (`index.encodings.legacy_chars`).
"""

from __future__ import annotations

import codecs
import logging
import re
from typing import Any

from index.encodings import (
    best_legacy_reading,
    decode_by_font,
    decode_single_byte,
    font_encoding,
    guess_codepage,
    legacy_chars,
    vietnamese_score,
)
from index.errors import LoaderError

log = logging.getLogger(__name__)

_DROP_TAGS = ("script", "style", "nav", "header", "footer", "form", "noscript", "template", "iframe", "svg")
_PARAGRAPH_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "ul", "ol", "dl"}
_LINE_TAGS = {"br", "div", "li", "tr", "td", "th", "dt", "dd", "section", "article", "main", "aside", "hr"}
_PARA, _LINE = "\ue000", "\ue001"

_SNIFF_BYTES = 65_536  # where a declaration is looked for (the spec's 1,024 bytes is often passed by old heads)
_META_CHARSET = re.compile(rb"<meta\b[^>]{0,1024}?\bcharset\s*=\s*[\"']?\s*([\w.:+-]+)", re.I)
_XML_ENCODING = re.compile(rb"^\s*<\?xml\b[^>]*?\bencoding\s*=\s*[\"']([\w.:+-]+)", re.I)
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# WHATWG encoding labels Python names otherwise: Latin-1 and ASCII pages are Windows-1252 in every browser, and
# a UTF-16 label on a page of 8-bit bytes means UTF-8.
_WHATWG = {"iso8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252", "utf-16": "utf-8"}
_WHATWG |= {name: "utf-8" for name in ("utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")}


def declared_charset(data: bytes) -> str | None:
    """The Python codec of the charset a page declares in its first bytes, None when it declares none that
    Python knows."""
    head = data[:_SNIFF_BYTES]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        m = pattern.search(head)
        if not m:
            continue
        label = m.group(1).decode("ascii", errors="ignore").strip().lower()
        try:
            name = codecs.lookup(label).name
        except LookupError:
            log.info("unknown charset %r declared: guessed instead", label)
            return None
        return _WHATWG.get(name, name)
    return None


def decode_page(data: bytes, name: str) -> tuple[str, str]:
    """(text, codec) of an HTML page's bytes (see the module docstring)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(enc, errors="replace"), enc
    declared = declared_charset(data)
    utf8 = _utf8(data)
    if declared is not None and declared != "utf-8":
        single = decode_single_byte(data, declared)
        if single is not None and utf8 is not None and not data.isascii():
            log.info("%s declares %s but its bytes are UTF-8: read as UTF-8", name, declared)
            return utf8, "utf-8"
        if single is not None:
            return single, declared
        return data.decode(declared, errors="replace"), declared
    if utf8 is not None:
        return utf8, "utf-8"
    if declared == "utf-8":
        log.info("%s declares UTF-8 but is not: its code page is guessed", name)
    guess = guess_codepage(data)
    if guess is None:
        raise LoaderError(f"{name}: không nhận dạng được bảng mã (unknown text encoding)")
    log.info("%s decoded as %s (plausibility %.2f)", name, guess[1], guess[2])
    return guess[0], guess[1]


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# --- legacy fonts -----------------------------------------------------------------------------

_SIMPLE_SELECTOR = re.compile(r"^([a-z][a-z0-9]*)?(?:\.([\w-]+))?$", re.I)


def _family_encoding(declarations: str) -> str | None:
    """The legacy encoding of the first font family a CSS declaration list names; "" for another font, None
    when it names none."""
    for decl in declarations.split(";"):
        key, _, value = decl.partition(":")
        if key.strip().lower() == "font-family" and value.strip():
            first = value.split(",")[0].strip().strip("\"'").strip()
            return font_encoding(first) or ""
    return None


def _without_comments(css: str) -> str:
    """CSS without its /* comments */ (an unclosed one runs to the end)."""
    out: list[str] = []
    pos = 0
    while (start := css.find("/*", pos)) != -1:
        out.append(css[pos:start])
        end = css.find("*/", start + 2)
        pos = len(css) if end == -1 else end + 2
    out.append(css[pos:])
    return " ".join(out)


def _css_fonts(soup: Any) -> dict[tuple[str | None, str | None], str]:
    """(tag, class) -> the encoding of the font its `<style>` rules set, for simple selectors ("p", ".vn",
    "p.MsoNormal"); a later rule wins."""
    rules: dict[tuple[str | None, str | None], str] = {}
    for style in soup.find_all("style"):
        css = _without_comments(style.get_text()).replace("<!--", " ").replace("-->", " ")  # old pages hide CSS so
        for rule in css.split("}"):  # split, not a regular expression: linear time on any stylesheet
            head, brace, declarations = rule.rpartition("{")
            enc = _family_encoding(declarations) if brace else None
            if enc is None:
                continue
            for selector in head.rsplit("{", 1)[-1].split(","):  # the rule's own selectors, inside @media too
                m = _SIMPLE_SELECTOR.match(selector.strip())
                if m and (m.group(1) or m.group(2)):
                    rules[((m.group(1) or "").lower() or None, m.group(2))] = enc
    return rules


class _FontResolver:
    """The legacy encoding a text node is shown in: its nearest element that sets a font decides (inline
    style, then a `face` attribute, then `<style>` rules for tag.class, .class, tag)."""

    def __init__(self, soup: Any) -> None:
        self._rules = _css_fonts(soup)
        self._cache: dict[int, str | None] = {}

    def _own(self, tag: Any) -> str | None:
        enc = _family_encoding(tag.get("style") or "")
        if enc is None and tag.get("face"):
            enc = font_encoding(str(tag.get("face")).split(",")[0].strip()) or ""
        if enc is None and self._rules:
            classes = tag.get("class") or []
            keys = [(tag.name, c) for c in classes] + [(None, c) for c in classes] + [(tag.name, None)]
            enc = next((self._rules[k] for k in keys if k in self._rules), None)
        return enc

    def of(self, node: Any) -> str:
        """ "tcvn3", "tcvn3-upper", "vni", or "" for a node in no legacy font."""
        tag = node.parent
        chain: list[Any] = []
        enc: str | None = None
        while tag is not None and tag.name != "[document]":
            if id(tag) in self._cache:
                enc = self._cache[id(tag)]
                break
            chain.append(tag)
            enc = self._own(tag)
            if enc is not None:
                break
            tag = tag.parent
        for t in chain:  # each element passed shows its text in the font found (or none: "")
            self._cache[id(t)] = enc
        return enc or ""


def _text_nodes(soup: Any) -> list[Any]:
    from bs4 import NavigableString

    return [n for n in soup.find_all(string=True) if type(n) is NavigableString]


def _convert_legacy_fonts(soup: Any, encoding: str | None) -> bool:
    """Convert the text set in legacy fonts; whether the page names any legacy font."""
    resolver = _FontResolver(soup)
    groups: dict[str, list[Any]] = {}
    for node in _text_nodes(soup):
        enc = resolver.of(node)
        if enc:
            groups.setdefault(enc, []).append(node)
    for enc, nodes in groups.items():
        shown = " ".join(str(n) for n in nodes)
        legacy = legacy_chars(shown, encoding)
        # Legacy bytes are Latin-1 letters; Vietnamese letters beyond them mean the text is Unicode already (a
        # page converted to Unicode that kept its font names).
        unicode = any(c.isalpha() and ord(c) > 0xFF for c in legacy)
        if unicode or vietnamese_score(decode_by_font(legacy, enc)) < vietnamese_score(shown):
            log.info("text in %s fonts is Unicode already: kept as it is", enc)
            continue
        for node in nodes:
            node.replace_with(decode_by_font(legacy_chars(str(node), encoding), enc))
    return bool(groups)


def _by_letters(text: str, encoding: str | None) -> str:
    """`text` read as TCVN3 or VNI when its letters read far better so."""
    legacy = best_legacy_reading(legacy_chars(text, encoding), text)
    if legacy is None:
        return text
    log.info("page text read as %s by its letters (no legacy font named)", legacy[1])
    return legacy[0]


# --- text -------------------------------------------------------------------------------------


def page_text(data: bytes | str, name: str) -> str:
    """The text of an HTML page (bytes, or text already decoded): blocks as lines and paragraphs, its
    `<title>` first when it has no `<h1>`; not yet NFC."""
    from bs4 import BeautifulSoup

    text, encoding = (data, None) if isinstance(data, str) else decode_page(data, name)
    soup = BeautifulSoup(text, "html.parser")
    legacy_fonts = _convert_legacy_fonts(soup, encoding)
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if legacy_fonts and title:
        title = _by_letters(title, encoding)  # the title bar has no font: it showed the legacy bytes
    for tag in soup.find_all(["head", *_DROP_TAGS]):
        tag.decompose()
    # Source line breaks are formatting, not structure: mark block edges with private-use characters,
    # collapse all whitespace, then turn the marks into line breaks.
    for tag in soup.find_all(True):
        if tag.name in _PARAGRAPH_TAGS:
            tag.insert_before(_PARA)
            tag.insert_after(_PARA)
        elif tag.name in _LINE_TAGS:
            tag.insert_after(_LINE)
    flat = " ".join(soup.get_text().split())
    out = flat.replace(_PARA, "\n\n").replace(_LINE, "\n")
    out = re.sub(r" *\n *", "\n", out)
    out = re.sub(r"\n{3,}", "\n\n", out).strip()
    if title and not soup.find("h1") and title not in out:
        out = f"{title}\n\n{out}"  # a page without <h1> would otherwise lose its headline
    return out if legacy_fonts else _by_letters(out, encoding)
