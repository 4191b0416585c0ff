"""A conversation as a Word document: each question as a heading, each answer with its `[n]` citations turned
into real footnotes (python-docx writes no footnotes itself, so the footnotes part is added here).

The server builds the document here from what the page sends, so its layout has one home; a portal page that
embeds the chat as a `<gradio-app>` web component from another origin calls the export route across origins,
which browsers allow only for the origins in `embed_origins` (`cors_headers`, `preflight_headers`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.text.paragraph import Paragraph

from index.text import CITATION_MARK

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot hold
# What a cross-origin call of the export may ask for: a JSON POST, with the session cookie if there is one.
CORS_METHOD = "POST"
CORS_HEADERS = frozenset({"content-type"})
CORS_MAX_AGE_S = 600


@dataclass(frozen=True)
class Source:
    """One cited source of an answer, as the page shows it."""

    n: int
    heading: str
    issuer: str = ""
    date: str = ""
    section: str = ""
    source: str = ""
    quote: str = ""

    def line(self) -> str:
        """The footnote text: document, issuer and date, section, the quoted sentences, the file."""
        text = ", ".join(x for x in (self.heading, self.issuer, self.date) if x)
        if self.section:
            text += f". Mục: {self.section}"
        if self.quote:
            text += f". Trích: «{self.quote}»"
        return text + (f" (tệp {self.source})" if self.source else "")


@dataclass(frozen=True)
class Turn:
    """One question and its answer with the sources it cites."""

    question: str
    answer: str
    sources: Sequence[Source] = field(default_factory=tuple)


def _clean(text: str) -> str:
    return _XML_BAD.sub("", str(text))


def _footnote_ref(paragraph: Paragraph, note_id: int) -> None:
    run = parse_xml(
        f'<w:r xmlns:w="{_W}"><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
        f'<w:footnoteReference w:id="{note_id}"/></w:r>'
    )
    paragraph._p.append(run)


def _footnotes_xml(notes: Sequence[str]) -> bytes:
    body = [
        f'<w:footnotes xmlns:w="{_W}">',
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>',
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p>'
        "</w:footnote>",
    ]
    for i, text in enumerate(notes, start=1):
        body.append(
            f'<w:footnote w:id="{i}"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/>'
            f'</w:r><w:r><w:t xml:space="preserve"> {escape(_clean(text))}</w:t></w:r></w:p></w:footnote>'
        )
    body.append("</w:footnotes>")
    return "".join(body).encode("utf-8")


def conversation_docx(title: str, turns: Sequence[Turn]) -> bytes:
    """The .docx bytes of a conversation; each cited `[n]` of an answer becomes a footnote naming its source."""
    doc = Document()
    doc.core_properties.title = _clean(title)[:255]
    doc.core_properties.language = "vi-VN"
    doc.add_heading(_clean(title), level=1)
    notes: list[str] = []
    for i, turn in enumerate(turns, start=1):
        doc.add_heading(_clean(f"Câu hỏi {i}: {turn.question}"), level=2)
        by_n = {s.n: s for s in turn.sources}
        for line in _clean(turn.answer).splitlines() or [""]:
            paragraph = doc.add_paragraph()
            pos = 0
            for m in CITATION_MARK.finditer(line):
                n = int(m.group(1))
                if n not in by_n:
                    continue
                paragraph.add_run(line[pos : m.start()])
                notes.append(by_n[n].line())  # one footnote per mark, as Word numbers them
                _footnote_ref(paragraph, len(notes))
                pos = m.end()
            paragraph.add_run(line[pos:])
    if notes:
        part = Part(PackURI("/word/footnotes.xml"), _FOOTNOTES_TYPE, _footnotes_xml(notes), doc.part.package)
        doc.part.relate_to(part, RT.FOOTNOTES)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def cors_headers(origin: str | None, allowed: Sequence[str]) -> dict[str, str]:
    """Headers letting the page of `origin` read the export's response: only for an allowed origin, never `*`.

    >>> cors_headers("https://portal.example", ["https://portal.example"])["Access-Control-Allow-Origin"]
    'https://portal.example'
    >>> cors_headers("https://evil.example", ["https://portal.example"])
    {'Vary': 'Origin'}
    """
    if not origin or origin.lower() not in allowed:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}


def preflight_headers(origin: str | None, method: str, headers: str, allowed: Sequence[str]) -> dict[str, str] | None:
    """The answer to a browser's preflight of the export (OPTIONS), or None to refuse it.

    Allowed: an origin of `allowed`, asking to POST with no header beyond Content-Type.

    >>> preflight_headers("https://portal.example", "POST", "content-type", ["https://portal.example"]) is None
    False
    >>> preflight_headers("https://portal.example", "DELETE", "", ["https://portal.example"]) is None
    True
    """
    asked = {h.strip().lower() for h in headers.split(",") if h.strip()}
    if method.upper() != CORS_METHOD or not asked <= CORS_HEADERS:
        return None
    cors = cors_headers(origin, allowed)
    if "Access-Control-Allow-Origin" not in cors:
        return None
    return cors | {
        "Access-Control-Allow-Methods": CORS_METHOD,
        "Access-Control-Allow-Headers": ", ".join(sorted(CORS_HEADERS)),
        "Access-Control-Max-Age": str(CORS_MAX_AGE_S),
    }
