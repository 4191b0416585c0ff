"""Word documents: the text of a .docx with its tables read as what they are (.doc, .rtf and .odt come
here converted by `index.convert`).

Tables in administrative documents are of two kinds, told apart by their shape alone:

- layout tables (letterhead: issuer beside the national motto; signature block: recipients beside the
  signer; "Kính gửi" beside the addressees): few rows of text set side by side. They are read column by
  column, each column one block of lines, blocks separated by a blank line, so the issuer's lines, or the
  signer's title and name, stay together.
- data tables (task tables): a header row of short column names over rows of cells. Each row becomes one
  line, cells joined by " | " and prefixed by their column's name ("Tên nhiệm vụ: … | Thời gian thực
  hiện: …"), so a row read on its own still says what each cell is. A row of column numbers ("(1) (2)
  …") under the header is dropped; a row with one filled cell (a group title) is kept as a plain line.

Text boxes (a letterhead or a signature block drawn in a floating box: w:txbxContent in a DrawingML shape, or
in its VML copy) are read where they are anchored, each as a block of its own: above the anchoring paragraph
when placed above it or when nothing comes before it (a letterhead anchored in the first paragraph), else
below it. Of the two copies Word writes of a box (mc:AlternateContent: the DrawingML Choice and the VML
Fallback), one is read.

Headers and footers are page furniture except on the first page, where a letterhead may be printed in them
(the issuer, the number): the first page's header is read once before the body and its footer once after it,
without page-number and date fields, lines that are only page numbers, and text the body already has.

Runs set in a legacy Vietnamese font (TCVN3 ".VnTime", VNI "VNI-Times") are converted to Unicode by
their font (see `index.encodings`); a document naming no such font but whose letters read far better as
TCVN3 or VNI (a legacy text whose font was later changed) is converted by those statistics.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

from index.encodings import best_legacy_reading, decode_by_font, font_encoding
from index.errors import LoaderError

log = logging.getLogger(__name__)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
_V = "{urn:schemas-microsoft-com:vml}"
_TXBX = f"{_W}txbxContent"
# Fields whose result is page furniture in a header or footer: page numbers, dates, the file's name.
_FURNITURE_FIELDS = {"PAGE", "NUMPAGES", "SECTIONPAGES", "SECTION", "FILENAME", "DATE", "TIME", "PRINTDATE", "SAVEDATE"}
# A line that is only a page number: "15", "- 3 -", "Trang 2", "Trang 2/5", "Page 2 of 5", or what is left of
# one once its fields are dropped ("Trang /").
_PAGE_NUMBER = re.compile(r"^\W*(?:(?:trang|page)\b\W*)?\d{0,4}\W*(?:(?:/|of|trên)\W*\d{0,4}\W*)?$", re.I)
_ORDINAL_ROW = re.compile(r"^\(?\d{1,2}\)?$")
_MAX_LABEL_WORDS = 12
CELL_SEPARATOR = " | "


class MissingToolError(LoaderError):
    """A program needed to read a file is not installed; the message names the package to install."""


# --- legacy fonts -----------------------------------------------------------------------------


def _fonts_of(rpr: Any) -> str | None:
    """The legacy encoding named by a run-properties element's fonts (hAnsi first: Word draws letters above
    ASCII with it), else None; "" when the element names fonts but none is legacy."""
    if rpr is None:
        return None
    fonts = rpr.find(f"{_W}rFonts")
    if fonts is None:
        return None
    names = [fonts.get(f"{_W}{a}") for a in ("hAnsi", "ascii", "cs")]
    names = [n for n in names if n]
    if not names:
        return None
    return next((e for e in map(font_encoding, names) if e), "")


class _Fonts:
    """Resolves the legacy encoding of a run: its own fonts, its character style, its paragraph's style
    (through their base styles), then the document defaults."""

    def __init__(self, document: Any) -> None:
        self._styles: dict[str, tuple[str | None, str | None]] = {}  # style id -> (encoding, base style id)
        root = document.styles.element
        for st in root.findall(f"{_W}style"):
            based = st.find(f"{_W}basedOn")
            self._styles[st.get(f"{_W}styleId") or ""] = (
                _fonts_of(st.find(f"{_W}rPr")),
                based.get(f"{_W}val") if based is not None else None,
            )
        self._para_default = next(
            (
                st.get(f"{_W}styleId")
                for st in root.findall(f"{_W}style")
                if st.get(f"{_W}type") == "paragraph" and st.get(f"{_W}default") in ("1", "true", "on")
            ),
            None,
        )
        defaults = root.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr")
        self.default = _fonts_of(defaults) or ""
        self.any_legacy = bool(self.default) or any(e for e, _ in self._styles.values())

    def of_style(self, style_id: str | None) -> str | None:
        """The encoding a style sets (None: it sets no font)."""
        seen: set[str] = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            enc, base = self._styles.get(style_id, (None, None))
            if enc is not None:
                return enc
            style_id = base
        return None

    def of_paragraph(self, p: Any) -> str:
        """The encoding of a paragraph's runs that set no font of their own."""
        ppr = p._p.pPr
        style = ppr.find(f"{_W}pStyle") if ppr is not None else None
        enc = self.of_style(style.get(f"{_W}val") if style is not None else None)
        if enc is None:
            enc = self.of_style(self._para_default)
        return enc if enc is not None else self.default

    def of_run(self, r: Any, paragraph_encoding: str) -> str:
        """The encoding of one run element."""
        rpr = r.rPr
        enc = _fonts_of(rpr)
        if enc is None and rpr is not None:
            rstyle = rpr.find(f"{_W}rStyle")
            if rstyle is not None:
                enc = self.of_style(rstyle.get(f"{_W}val"))
        return enc if enc is not None else paragraph_encoding


class _Fields:
    """Word's complex fields (begin, instruction, separate, result, end) over the runs of a paragraph, to
    leave out the results of furniture fields (a page number in a header)."""

    def __init__(self) -> None:
        self._open: list[list[Any]] = []  # [instruction, in its result] of each open field, innermost last

    def hides(self, r: Any) -> bool:
        """Whether run element `r` is (part of) a furniture field's result."""
        for child in r:
            if child.tag == f"{_W}fldChar":
                kind = child.get(f"{_W}fldCharType")
                if kind == "begin":
                    self._open.append(["", False])
                elif kind == "separate" and self._open:
                    self._open[-1][1] = True
                elif kind == "end" and self._open:
                    self._open.pop()
            elif child.tag == f"{_W}instrText" and self._open:
                self._open[-1][0] += child.text or ""
        return any(shown and (instr.split() or [""])[0].upper() in _FURNITURE_FIELDS for instr, shown in self._open)


def _paragraph_text(p: Any, fonts: _Fonts | None, furniture: bool = False) -> str:
    """A paragraph's text, runs in a legacy font converted to Unicode; with `furniture`, without the results
    of page-number and date fields."""
    if fonts is None and not furniture:
        return str(p.text)
    from docx.text.hyperlink import Hyperlink

    para_enc = fonts.of_paragraph(p) if fonts is not None else ""
    fields = _Fields() if furniture else None
    out: list[str] = []
    for item in p.iter_inner_content():
        for run in item.runs if isinstance(item, Hyperlink) else [item]:
            if fields is not None and fields.hides(run._r):
                continue
            out.append(decode_by_font(run.text, fonts.of_run(run._r, para_enc) or None) if fonts else run.text)
    return "".join(out)


# --- text boxes -------------------------------------------------------------------------------


def _text_boxes(element: Any) -> list[Any]:
    """The text boxes (w:txbxContent) anchored in a paragraph element, in document order, each once: of an
    mc:AlternateContent, only the first branch holding a box is read (the VML Fallback copies the DrawingML
    Choice); boxes inside a box are that box's own; deleted text (w:del) is left out."""
    found: list[Any] = []

    def walk(el: Any) -> None:
        for child in el:
            if child.tag == _TXBX:
                found.append(child)
            elif child.tag == f"{_MC}AlternateContent":
                branch = next((b for b in child if next(b.iter(_TXBX), None) is not None), None)
                if branch is not None:
                    walk(branch)
            elif child.tag != f"{_W}del":
                walk(child)

    walk(element)
    return found


def _vml_above(style: str) -> bool:
    """Whether a VML shape's style places it above its paragraph (a negative top offset from the text)."""
    props = dict(
        (k.strip().lower(), v.strip()) for k, _, v in (d.partition(":") for d in style.split(";")) if k.strip()
    )
    top = props.get("margin-top") or props.get("top") or ""
    return props.get("mso-position-vertical-relative", "text") in ("text", "line") and top.startswith("-")


def _above(box: Any) -> bool:
    """Whether a text box is placed above the paragraph it is anchored in (a negative offset from it)."""
    el = box.getparent()
    while el is not None and el.tag != f"{_W}p":
        if el.tag == f"{_WP}anchor":
            pos = el.find(f"{_WP}positionV")
            offset = pos.find(f"{_WP}posOffset") if pos is not None else None
            if pos is None or offset is None or pos.get("relativeFrom") not in ("paragraph", "line"):
                return False
            return (offset.text or "").strip().startswith("-")
        if isinstance(el.tag, str) and el.tag.startswith(_V) and el.tag != f"{_V}textbox" and el.get("style"):
            return _vml_above(el.get("style"))
        el = el.getparent()
    return False


def _blocks_of(element: Any, parent: Any) -> Iterator[Any]:
    """The paragraphs and tables of a block container element (a text box, a header), as python-docx objects."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in element:
        if child.tag == f"{_W}p":
            yield Paragraph(child, parent)
        elif child.tag == f"{_W}tbl":
            yield Table(child, parent)


def _add_block(lines: list[str], block: list[str]) -> None:
    """Append a block of lines, after a blank line when lines come before it; an empty block adds nothing."""
    if not any(line.strip() for line in block):
        return
    if lines:
        lines.append("")
    lines.extend(block)


def _paragraph_blocks(p: Any, fonts: _Fonts | None, first: bool, furniture: bool = False) -> list[list[str]]:
    """A paragraph as blocks: its text boxes above it (or all of them when it comes `first`), its own text,
    its text boxes below it."""
    boxes = [(_block_lines(_blocks_of(box, p), fonts, furniture), _above(box)) for box in _text_boxes(p._p)]
    before = [lines for lines, above in boxes if above or first]
    after = [lines for lines, above in boxes if not (above or first)]
    return [*before, [_paragraph_text(p, fonts, furniture)], *after]


def _block_lines(blocks: Iterable[Any], fonts: _Fonts | None, furniture: bool = False) -> list[str]:
    """The lines of paragraphs and tables (and of the text boxes anchored in them), each a block separated by a
    blank line, as paragraphs of a text file are (`index.clean` splits paragraphs there); empty paragraphs are
    left out."""
    from docx.table import Table

    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Table):
            _add_block(lines, table_lines(block, fonts))
            continue
        for part in _paragraph_blocks(block, fonts, not lines, furniture):
            _add_block(lines, part)
    return lines


def document_fonts(document: Any, parts: Iterable[Any] = ()) -> _Fonts | None:
    """A font resolver when any run, style or default of the document (or of the header and footer elements
    in `parts`) uses a legacy Vietnamese font."""
    fonts = _Fonts(document)
    if fonts.any_legacy:
        return fonts
    for element in (document.element.body, *parts):
        for rf in element.iter(f"{_W}rFonts"):
            if any(font_encoding(v) for v in rf.attrib.values()):
                return fonts
    return None


# --- tables -----------------------------------------------------------------------------------


def _cell_lines(cell: Any, fonts: _Fonts | None) -> list[str]:
    """The non-empty lines of a cell: its paragraphs, and the lines of tables nested in it."""
    from docx.table import Table

    lines: list[str] = []
    for block in cell.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(line for line in table_lines(block, fonts) if line.strip())
        else:
            for part in _paragraph_blocks(block, fonts, not lines):
                lines.extend(line.strip() for line in part if line.strip())
    return lines


def _join_cell(lines: list[str]) -> str:
    """A cell's lines as one piece of a row line: "; " where a line ends without punctuation."""
    out = ""
    for line in lines:
        line = " ".join(line.split())
        if out:
            out += " " if out[-1] in ".;:,!?" else "; "
        out += line
    return out


def _grid(table: Any) -> list[list[Any]]:
    """The table's cells by row and grid column (a merged cell appears at each position it covers)."""
    return [list(row.cells) for row in table.rows]


def _filled(grid: list[list[Any]], texts: dict[Any, list[str]]) -> list[int]:
    """Grid columns holding any text."""
    width = max((len(r) for r in grid), default=0)
    return [c for c in range(width) if any(c < len(r) and texts[r[c]._tc] for r in grid)]


def _is_header(row: list[Any], columns: list[int], texts: dict[Any, list[str]]) -> bool:
    """A row of short column names: one short line in every filled column."""
    for c in columns:
        lines = texts[row[c]._tc] if c < len(row) else []
        if len(lines) != 1 or len(lines[0].split()) > _MAX_LABEL_WORDS:
            return False
    return True


def _is_numbering(row: list[Any], texts: dict[Any, list[str]]) -> bool:
    """A row of column numbers ("(1) (2) (3)") printed under a header."""
    cells = [texts[tc] for tc in _unique(row)]
    filled = [" ".join(t) for t in cells if t]
    return len(filled) >= 2 and all(_ORDINAL_ROW.match(t) for t in filled)


def _unique(row: list[Any]) -> list[Any]:
    """The row's cell elements, each once, in grid order."""
    out: list[Any] = []
    for cell in row:
        if not any(cell._tc is tc for tc in out):
            out.append(cell._tc)
    return out


def table_kind(grid: list[list[Any]], texts: dict[Any, list[str]]) -> str:
    """ "data" for a header row over rows of cells, "layout" for text blocks side by side, "list" for one
    filled column. Decided by shape only: filled columns, filled rows, the header row."""
    columns = _filled(grid, texts)
    rows = [r for r in grid if any(texts[tc] for tc in _unique(r))]
    if len(columns) <= 1:
        return "list"
    if len(rows) < 3 or not _is_header(rows[0], columns, texts):
        return "layout"
    if len(rows) <= 4 and len(columns) == 2:
        return "layout"  # e.g. a letterhead of one-line cells: two columns, a few rows
    body = [r for r in rows[1:] if not _is_numbering(r, texts)]
    multi = sum(1 for r in body if sum(1 for tc in _unique(r) if texts[tc]) >= 2)
    return "data" if multi * 2 >= len(body) else "layout"


def _all_cells(table: Any) -> Iterator[Any]:
    for row in table.rows:
        yield from row.cells


def table_lines(table: Any, fonts: _Fonts | None = None) -> list[str]:
    """The lines of a table, read by its kind (see the module docstring)."""
    grid = _grid(table)
    texts: dict[Any, list[str]] = {}
    for cell in _all_cells(table):
        if cell._tc not in texts:
            texts[cell._tc] = _cell_lines(cell, fonts)
    kind = table_kind(grid, texts)
    if kind == "list":
        return [line for row in grid for tc in _unique(row) for line in texts[tc]]
    if kind == "data":
        return _data_lines(grid, texts)
    return _layout_lines(grid, texts)


def _data_lines(grid: list[list[Any]], texts: dict[Any, list[str]]) -> list[str]:
    rows = [r for r in grid if any(texts[tc] for tc in _unique(r))]
    header = rows[0]
    labels = {c: _join_cell(texts[cell._tc]).rstrip(":") for c, cell in enumerate(header)}
    start = 1
    # A second header row under cells merged down from the first ("Đơn vị" over "Chủ trì", "Phối hợp"):
    # its names qualify the first row's.
    if len(rows) > 2 and any(a._tc is b._tc for a, b in zip(header, rows[1], strict=False)):
        for c, cell in enumerate(rows[1]):
            sub = _join_cell(texts[cell._tc]).rstrip(":")
            if c < len(header) and cell._tc is not header[c]._tc and sub:
                labels[c] = f"{labels[c]} - {sub}" if labels.get(c) and labels[c] != sub else sub
        start = 2
    out = [CELL_SEPARATOR.join(dict.fromkeys(labels[c] for c in sorted(labels) if labels[c]))]
    for row in rows[start:]:
        if _is_numbering(row, texts):
            continue
        cells: list[tuple[str, str]] = []
        done: list[Any] = []
        for c, cell in enumerate(row):
            if any(cell._tc is tc for tc in done):
                continue
            done.append(cell._tc)
            value = _join_cell(texts[cell._tc])
            if value:
                cells.append((labels.get(c, ""), value))
        if len(cells) == 1:  # a group title spanning the row
            out.append(cells[0][1])
            continue
        out.append(CELL_SEPARATOR.join(f"{k}: {v}" if k and k != v else v for k, v in cells))
    return out


def _full_width(row: list[Any], texts: dict[Any, list[str]]) -> bool:
    """A row that is one cell across the table, or whose one filled cell spans several columns."""
    cells = _unique(row)
    filled = [tc for tc in cells if texts[tc]]
    if len(cells) == 1 or not filled:
        return True
    return len(filled) == 1 and sum(1 for cell in row if cell._tc is filled[0]) > 1


def _layout_lines(grid: list[list[Any]], texts: dict[Any, list[str]]) -> list[str]:
    """Column by column within each band of rows; a row with one filled cell is a band of its own."""
    blocks: list[list[str]] = []
    band: list[list[Any]] = []

    def flush() -> None:
        width = max((len(r) for r in band), default=0)
        seen: list[Any] = []
        for c in range(width):
            block: list[str] = []
            for row in band:
                if c < len(row) and not any(row[c]._tc is tc for tc in seen):
                    seen.append(row[c]._tc)
                    block.extend(texts[row[c]._tc])
            if block:
                blocks.append(block)
        band.clear()

    for row in grid:
        if _full_width(row, texts):
            flush()
            lines = [line for tc in _unique(row) for line in texts[tc]]
            if lines:
                blocks.append(lines)
        else:
            band.append(row)
    flush()
    out: list[str] = []
    for block in blocks:
        if out:
            out.append("")
        out.extend(block)
    return out


def _first_page(document: Any, footer: bool) -> Any | None:
    """The header (or footer) printed on the first page, None when the document has none."""
    sections = document.sections
    if not len(sections):
        return None
    section = sections[0]
    if section.different_first_page_header_footer:
        part = section.first_page_footer if footer else section.first_page_header
    else:
        part = section.footer if footer else section.header
    return None if part.is_linked_to_previous else part  # the first section links to nothing: no header


def _margin_lines(part: Any, fonts: _Fonts | None, body: list[str]) -> list[str]:
    """A first-page header or footer without its furniture (page numbers, dates); nothing when what remains is
    already in the body (a title repeated as a running head)."""
    lines: list[str] = []
    for line in _block_lines(_blocks_of(part._element, part), fonts, furniture=True):
        if not (line.strip() and _PAGE_NUMBER.match(line)) and (line.strip() or (lines and lines[-1])):
            lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    known = {" ".join(line.split()).casefold() for line in body}
    if all(" ".join(line.split()).casefold() in known for line in lines):
        return []
    return lines


def docx_lines(document: Any) -> list[str]:
    """The lines of a python-docx document: paragraphs, text boxes, and tables read by their kind, blocks
    separated by a blank line; the first page's header before them and its footer after them."""
    header, footer = _first_page(document, footer=False), _first_page(document, footer=True)
    fonts = document_fonts(document, [part._element for part in (header, footer) if part is not None])
    body = _block_lines(document.iter_inner_content(), fonts)
    lines: list[str] = []
    _add_block(lines, _margin_lines(header, fonts, body) if header is not None else [])
    _add_block(lines, body)
    _add_block(lines, _margin_lines(footer, fonts, body) if footer is not None else [])
    if fonts is None:  # no legacy font named: legacy text set in a Unicode font is told by its letters
        text = "\n".join(lines)
        legacy = best_legacy_reading(text, text)
        if legacy is not None:
            log.info("Word text read as %s by its letters (no legacy font named)", legacy[1])
            return legacy[0].split("\n")
    return lines
