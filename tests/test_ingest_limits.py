"""Ingest limits: decompression bombs (.docx members, PDF streams), over-long documents and documents of too
many chunks are refused in one line naming the file; the rest of the build goes on, and an earlier version
of the refused file stays indexed exactly as it was."""

from __future__ import annotations

import random
import shutil
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.settings import Settings
from index.errors import LoaderError
from index.loaders import read_text
from tests.fixtures.make_fixtures import write_docx, write_pdf

from .conftest import CORPUS

LINE = "Kế hoạch số 08/KH-UBND của Ủy ban nhân dân quận Thử Nghiệm về công tác tiếp dân năm 2011."


def paragraph(text: str) -> bytes:
    """One WordprocessingML paragraph holding `text`."""
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'.encode()


def docx_with_body(path: Path, body: bytes, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A real .docx (made by python-docx) with `body` put at the start of its document body, zipped again
    with `compression`."""
    write_docx(path, ["KẾ HOẠCH"])
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    xml = parts["word/document.xml"]
    at = xml.index(b"<w:body>") + len(b"<w:body>")
    parts["word/document.xml"] = xml[:at] + body + xml[at:]
    with zipfile.ZipFile(path, "w", compression, compresslevel=9) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def docx_bomb(path: Path, megabytes: int = 50) -> Path:
    """A .docx whose document.xml is `megabytes` MB of one repeated paragraph: deflate makes it tiny."""
    one = paragraph(LINE)
    return docx_with_body(path, one * (megabytes * 1_000_000 // len(one)))


def varied_docx(path: Path, paragraphs: int, seed: int = 0) -> Path:
    """A .docx of `paragraphs` different paragraphs (it compresses like a real document, not like a bomb)."""
    rng = random.Random(seed)
    words = LINE.split()
    body = b"".join(paragraph(f"{i}. " + " ".join(rng.choices(words, k=12))) for i in range(paragraphs))
    return docx_with_body(path, body)


def flate_pdf(path: Path, pages: list[list[str]], shared: bool = False) -> Path:
    """`write_pdf`'s PDF with its content streams Flate-compressed (pypdf decompresses them to extract);
    `shared`: every page shows the first page's content stream (one stream in the file)."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    plain = write_pdf(path.with_suffix(".plain"), pages)
    writer = PdfWriter(clone_from=plain)
    for page in writer.pages:
        page.compress_content_streams()
    if shared:
        first = writer.pages[0].raw_get("/Contents")  # the reference, not the stream
        for page in writer.pages[1:]:
            page[NameObject("/Contents")] = first
    writer.write(path)
    plain.unlink()
    return path


def one_line(message: str, name: str, words: str) -> None:
    assert name in message and words in message and "\n" not in message and len(message) < 300, message


# ------------------------------------------------------------------------------------------- the loader
def test_docx_bomb_is_refused_before_python_docx_opens_it(tmp_path: Path) -> None:
    path = docx_bomb(tmp_path / "bom.docx", megabytes=50)
    assert path.stat().st_size < 500_000  # the file passes ASSISTANT_MAX_FILE_MB by far
    with pytest.raises(LoaderError) as err:
        read_text(path)  # the default limits
    one_line(str(err.value), "bom.docx", "zip bomb")


def test_docx_over_the_uncompressed_limit(tmp_path: Path) -> None:
    path = varied_docx(tmp_path / "lon.docx", 200)
    assert read_text(path).startswith("0. ")
    with pytest.raises(LoaderError) as err:
        read_text(path, max_unpacked_bytes=500_000)  # python-docx's own template is ~830 KB unpacked
    one_line(str(err.value), "lon.docx", "ASSISTANT_MAX_UNCOMPRESSED_MB")


def test_docx_text_is_counted_while_streaming(tmp_path: Path) -> None:
    path = varied_docx(tmp_path / "dai.docx", 400)  # about 30,000 characters
    assert len(read_text(path, max_chars=40_000)) > 20_000
    with pytest.raises(LoaderError) as err:
        read_text(path, max_chars=10_000)
    one_line(str(err.value), "dai.docx", "ASSISTANT_MAX_DOCUMENT_CHARS")


def test_docx_of_too_many_xml_elements(tmp_path: Path) -> None:
    """Empty paragraphs carry no text but cost python-docx memory: their count is bounded too."""
    rng = random.Random(1)
    body = b"".join(b'<w:p w:rsidR="%08X"/>' % rng.getrandbits(32) for _ in range(120_000))
    path = docx_with_body(tmp_path / "rong-ruot.docx", body)
    with pytest.raises(LoaderError) as err:
        read_text(path, max_chars=50_000)  # elements allowed: max(max_chars, 100,000)
    one_line(str(err.value), "rong-ruot.docx", "ASSISTANT_MAX_DOCUMENT_CHARS")


def test_docx_that_understates_its_size_is_read_no_further(tmp_path: Path) -> None:
    """zipfile stops at the declared size and the CRC then fails: a false small size is a damaged file."""
    path = varied_docx(tmp_path / "noi-doi.docx", 2000)
    data = bytearray(path.read_bytes())
    name = b"word/document.xml"
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, central directory
        at = 0
        while (at := data.find(sig, at)) >= 0:
            name_at = at + (30 if sig == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                data[at + size_at : at + size_at + 4] = struct.pack("<I", 5_000)
            at += 4
    path.write_bytes(bytes(data))
    with pytest.raises(LoaderError) as err:
        read_text(path)
    one_line(str(err.value), "noi-doi.docx", "Word")


def test_docx_with_a_compression_word_never_writes(tmp_path: Path) -> None:
    """bzip2 and lzma members are decompressed in one piece by zipfile, whatever size they declare."""
    path = docx_with_body(tmp_path / "bzip2.docx", paragraph(LINE), compression=zipfile.ZIP_BZIP2)
    with pytest.raises(LoaderError) as err:
        read_text(path)
    one_line(str(err.value), "bzip2.docx", "compression")


def test_real_documents_pass_the_default_limits() -> None:
    realdocs = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
    files = sorted(realdocs.glob("*.docx")) + [Path(__file__).parent / "fixtures" / "ke_hoach.docx"]
    for path in files:
        assert read_text(path).strip()


def test_pdf_stream_over_the_uncompressed_limit(tmp_path: Path) -> None:
    path = flate_pdf(tmp_path / "luong.pdf", [[LINE] * 2000])  # one content stream of ~650 KB
    assert path.stat().st_size < 50_000
    assert LINE in read_text(path)
    with pytest.raises(LoaderError) as err:
        read_text(path, max_unpacked_bytes=100_000)
    one_line(str(err.value), "luong.pdf", "ASSISTANT_MAX_UNCOMPRESSED_MB")


def test_pdf_content_counted_over_all_pages(tmp_path: Path) -> None:
    """One content stream shared by many pages is decoded once but counted for every page that shows it."""
    path = flate_pdf(tmp_path / "nhieu-trang.pdf", [[LINE] * 200] * 8, shared=True)  # ~65 KB of content a page
    assert path.stat().st_size < 10_000
    assert read_text(path, max_unpacked_bytes=600_000).count(LINE) == 8 * 200
    with pytest.raises(LoaderError) as err:
        read_text(path, max_unpacked_bytes=300_000)
    one_line(str(err.value), "nhieu-trang.pdf", "ASSISTANT_MAX_UNCOMPRESSED_MB")


def test_pdf_stops_at_the_character_limit(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "dai.pdf", [[LINE] * 40] * 3)  # ~3,700 characters a page
    assert len(read_text(path, max_chars=12_000)) > 10_000
    with pytest.raises(LoaderError) as err:
        read_text(path, max_chars=5_000)
    one_line(str(err.value), "dai.pdf", "ASSISTANT_MAX_DOCUMENT_CHARS")


@pytest.mark.parametrize("ext", [".txt", ".md", ".html"])
def test_text_over_the_character_limit(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"dai{ext}"
    path.write_text((LINE + "\n\n") * 100, encoding="utf-8")  # 9,300 characters
    assert read_text(path, max_chars=10_000)
    with pytest.raises(LoaderError) as err:
        read_text(path, max_chars=5_000)
    one_line(str(err.value), path.name, "ASSISTANT_MAX_DOCUMENT_CHARS")


# ------------------------------------------------------------------------------------ the build goes on
def _small_txt(path: Path) -> None:
    path.write_text(f"{LINE}\n\nI. MỤC ĐÍCH\n\nTiếp công dân định kỳ.\n", encoding="utf-8")


def _long_txt(path: Path) -> None:
    path.write_text("".join(f"{i}. Mục {i}\n\n{LINE}\n\n" for i in range(1, 400)), encoding="utf-8")


def _small_docx(path: Path) -> None:
    write_docx(path, [LINE, "I. MỤC ĐÍCH", "Tiếp công dân định kỳ."])


def _small_pdf(path: Path) -> None:
    write_pdf(path, [[LINE, "I. MỤC ĐÍCH", "Tiếp công dân định kỳ."]])


# name: (file name, settings, write the indexed version, write the version over a limit, words of the message)
CASES: dict[str, tuple[str, dict[str, object], Callable[[Path], object], Callable[[Path], object], str]] = {
    "docx-bomb": ("ke-hoach.docx", {}, _small_docx, lambda p: docx_bomb(p, 50), "zip bomb"),
    "docx-unpacked": (
        "ke-hoach.docx",
        {"max_uncompressed_mb": 2},
        _small_docx,
        lambda p: varied_docx(p, 20_000),
        "ASSISTANT_MAX_UNCOMPRESSED_MB",
    ),
    "pdf-stream": (
        "ke-hoach.pdf",
        {"max_uncompressed_mb": 0.1},
        _small_pdf,
        lambda p: flate_pdf(p, [[LINE] * 2000]),
        "ASSISTANT_MAX_UNCOMPRESSED_MB",
    ),
    "pdf-chars": (
        "ke-hoach.pdf",
        {"max_document_chars": 30_000},  # the bundled corpus has up to ~21,000
        _small_pdf,
        lambda p: write_pdf(p, [[LINE] * 40] * 10),
        "ASSISTANT_MAX_DOCUMENT_CHARS",
    ),
    "txt-chars": (
        "ke-hoach.txt",
        {"max_document_chars": 30_000},
        _small_txt,
        _long_txt,
        "ASSISTANT_MAX_DOCUMENT_CHARS",
    ),
    "chunks": ("ke-hoach.txt", {"max_document_chunks": 60}, _small_txt, _long_txt, "ASSISTANT_MAX_DOCUMENT_CHUNKS"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_document_over_a_limit_is_refused_and_nothing_else_touched(tmp_path: Path, case: tuple) -> None:
    name, limits, write_indexed, write_over, words = case
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = Settings(embed_backend="hash", data_dir=tmp_path / "data", corpus_dir=corpus, **limits)
    target = corpus / name
    write_indexed(target)
    first = Assistant(settings).sync()
    assert name in first.added and not first.failed, first.failed
    indexed = Assistant(settings).index
    entry = indexed.manifest()["documents"][name]
    texts = [c.text for c in indexed.doc_chunks(name)]

    write_over(target)
    _small_txt(corpus / "moi.txt")  # the same build also has a good new file
    a = Assistant(settings)
    report = a.sync()
    assert [Path(p).name for p, _ in report.failed] == [name], report.failed
    one_line(report.failed[0][1], name, words)
    assert report.added == ["moi.txt"] and not report.updated and not report.removed
    assert sorted(report.unchanged) == sorted(p.name for p in CORPUS.iterdir())
    assert a.index.manifest()["documents"][name] == entry  # the earlier version, as it was
    assert [c.text for c in a.index.doc_chunks(name)] == texts
    listed = {c for d in a.index.manifest()["documents"].values() for c in d["chunk_ids"]}
    assert listed == set(a.index.bm25().chunk_ids) == set(a.index.chunks()) == a.index.dense().ids()


def test_limits_reach_the_index_from_the_settings(tmp_path: Path) -> None:
    settings = Settings(
        embed_backend="hash",
        data_dir=tmp_path / "data",
        max_uncompressed_mb=3,
        max_document_chars=1234,
        max_document_chunks=56,
    )
    idx = Assistant(settings).index
    assert (idx.max_unpacked_bytes, idx.max_document_chars, idx.max_document_chunks) == (3_000_000, 1234, 56)
