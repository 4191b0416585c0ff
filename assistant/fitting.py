"""Which retrieved documents are of the year and place a question names, judged by each document's own metadata
(date, title, issuer, place), never by dates or names in its text; and what is on file when none is."""

from __future__ import annotations

from collections.abc import Sequence

from index.normalize import fold
from index.types import DocMeta, Retrieved


def _year_fit(meta: DocMeta, year: str) -> bool | None:
    """Whether a document is of `year` ("2024", or a period "2021-2026") by its own metadata: dated then, titled
    with it ("… năm 2024"), or dated in the last quarter of the year before (a year's plans are issued then);
    None when its date is unknown. A year that merely occurs in its text does not count."""
    first, _, last = year.partition("-")
    lo, hi = int(first), int(last or first)
    if first in meta.title or (last and last in meta.title):
        return True
    if meta.year is None:
        return None
    month = int(meta.date[5:7]) if len(meta.date) >= 7 else 0
    return lo <= meta.year <= hi or (meta.year == lo - 1 and month >= 10)


def _issued_in(meta: DocMeta, folded_names: Sequence[str]) -> bool:
    hay = fold(f"{meta.issuer} {meta.place} {meta.title}")
    return any(n in hay for n in folded_names)


def document_fits(
    meta: DocMeta, years_named: Sequence[str], places_required: Sequence[str] = (), strict: bool = False
) -> bool:
    """Whether a document may be of a year and place a question names, by its own metadata: issued in (or
    titled for) one of `places_required`, and of one of `years_named` (`_year_fit`). A field the document does
    not show (no date; neither issuer nor place) cannot be checked and does not exclude it, unless `strict`
    (only documents known to be of that place)."""
    if places_required and not _issued_in(meta, [fold(p) for p in places_required]):
        if strict or meta.issuer or meta.place:
            return False
    return not years_named or meta.year is None or any(_year_fit(meta, y) for y in years_named)


def fitting_documents(
    hits: Sequence[Retrieved], years_named: Sequence[str], names: Sequence[str], places_required: Sequence[str] = ()
) -> list[Retrieved]:
    """The hits whose documents are of a year and place the question names, judged by each document's own
    metadata (date, title, issuer, place), never by dates or names in its text.

    Years: when some document is of a named year, documents dated otherwise are dropped; when every dated
    document is of another year, none is left (the corpus lacks that year: abstain). Places: `places_required`
    (the place whose documents the question asks for, `textmatch.document_places`) must be the issuer's or the
    document's place: documents of other places go, even when their text names it (`document_fits`); a document
    that does not show its issuer or place stays when its passage names the place. `names`
    (issuers and places of the corpus that the question names) are preferred: when some document is issued
    there, the others go.
    """
    kept = [h for h in hits if document_fits(h.chunk.meta, years_named, places_required)]
    if places_required:  # a document that does not show its issuer or place: its passage must name the place
        required = [fold(p) for p in places_required]
        kept = [h for h in kept if _issued_in(h.chunk.meta, required) or any(p in fold(h.chunk.text) for p in required)]
    if names and kept:
        folded = [fold(n) for n in names]
        if any(_issued_in(h.chunk.meta, folded) for h in kept):
            kept = [h for h in kept if _issued_in(h.chunk.meta, folded)]
    return kept


def issuers_on_file(hits: Sequence[Retrieved]) -> list[str]:
    """The issuing bodies of the retrieved documents, best first (at most four): what an abstention for a place
    the corpus lacks can offer instead."""
    return list(dict.fromkeys(h.chunk.meta.issuer for h in hits if h.chunk.meta.issuer))[:4]


def years_on_file(hits: Sequence[Retrieved], names: Sequence[str], places_required: Sequence[str] = ()) -> list[str]:
    """The years of the retrieved documents (of the place the question names, when any is), oldest first:
    what an abstention for a year the corpus lacks can offer instead."""
    fitting = fitting_documents(hits, (), names, places_required)
    return sorted({str(h.chunk.meta.year) for h in fitting if h.chunk.meta.year})
