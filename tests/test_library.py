"""The document library's read side: the catalogue (search, filters, facets, sort, pages), the list page
`/tai-lieu`, `GET /api/documents`, `/api/documents/{id}` and the original file `/api/documents/{id}/file`
with its refusals. A real server on 127.0.0.1 over a real small index (hash embedder): the bundled corpus, a
.docx, a text PDF, a scanned PDF read by Tesseract and a plan in a sub-folder with a Vietnamese file name."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import hashlib
import html
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin

import httpx
import orjson
import pytest

from assistant.engine import Assistant
from assistant.library import CATALOGUES, CHANGED, Catalogue, content_disposition
from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from index.layout import MANIFEST
from index.ocr import OcrEngine
from tests.conftest import BA_DINH_2025, CORPUS, GO_VAP_2010, REPO
from tests.fixtures.make_scans import SCAN_LINES, write_scan_pdf
from tests.test_api import toy_settings

pytestmark = pytest.mark.integration  # real servers on 127.0.0.1

FIXTURES = REPO / "tests" / "fixtures"
TOKEN = "thu-vien-token-123"
NESTED = "phong-noi-vu/Kế hoạch số 12 năm 2024.txt"
NESTED_TEXT = """ỦY BAN NHÂN DÂN QUẬN HOÀN KIẾM
Số: 12/KH-UBND
Hoàn Kiếm, ngày 05 tháng 03 năm 2024
KẾ HOẠCH
Tổ chức hội nghị đối thoại với nhân dân năm 2024

I. MỤC ĐÍCH
1. Lắng nghe ý kiến của nhân dân về cải cách hành chính.

II. TỔ CHỨC THỰC HIỆN
1. Phòng Nội vụ chủ trì tổng hợp ý kiến, báo cáo UBND quận trước ngày 30 hằng tháng.
2. Các phường phối hợp mời đại biểu.
"""
SCAN = "Bản scan kế hoạch 45.pdf"
CONTRACT_ROW = ["id", "kind", "number", "title", "issuer", "date", "signer", "format", "pages", "chunks", "source"]
OCR_MISSING = OcrEngine().missing()


def build_library(root: Path, scan: bool = True) -> Settings:
    """A corpus of every kind of document the library shows, indexed; settings that serve it."""
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    for name in ("ke_hoach.docx", "ke_hoach.pdf"):
        shutil.copy(FIXTURES / name, corpus / name)
    (corpus / NESTED).parent.mkdir()
    (corpus / NESTED).write_text(NESTED_TEXT, encoding="utf-8")
    if scan and OCR_MISSING is None:
        write_scan_pdf(corpus / SCAN, SCAN_LINES)
    settings = toy_settings(root / "data", corpus_dir=corpus)
    report = Assistant(settings).sync()
    assert report.not_indexed == [], report.not_indexed
    return settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_library(tmp_path_factory.mktemp("library"))


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[httpx.Client]:
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        yield c


def listed(client: httpx.Client, **params: Any) -> dict[str, Any]:
    r = client.get("/api/documents", params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def doc_url(doc_id: str, tail: str = "") -> str:
    return f"/api/documents/{quote(doc_id, safe='')}{tail}"


# ------------------------------------------------------------------------------------------- the list
def test_list_has_every_document_with_the_contract_fields(client: httpx.Client, settings: Settings) -> None:
    body = listed(client)
    manifest = Assistant.open(settings).index.manifest()["documents"]
    assert body["total"] == len(manifest) == len(body["documents"]) and body["page"] == 1 and body["per_page"] == 50
    assert all(list(d) == CONTRACT_ROW for d in body["documents"])  # no server path, nothing else
    go_vap = next(d for d in body["documents"] if d["id"] == GO_VAP_2010)
    assert go_vap == {
        "id": GO_VAP_2010,
        "kind": "Kế hoạch",
        "number": "08/KH-UBND",
        "title": "Thực hiện “Năm Dân vận của chính quyền” Và phong trào thi đua “Dân vận khéo”",
        "issuer": "UBND quận Gò Vấp",
        "date": "2010-02-09",
        "signer": "Nguyễn Hồng",
        "format": "txt",
        "pages": None,
        "chunks": len(manifest[GO_VAP_2010]["chunk_ids"]),
        "source": GO_VAP_2010,
    }
    formats = {d["format"] for d in body["documents"]}
    assert {"txt", "docx", "pdf"} <= formats
    assert any(d["id"] == NESTED and d["number"] == "12/KH-UBND" for d in body["documents"])


@pytest.mark.parametrize("q", ["ke hoach 08", "Kế hoạch 08", "08/KH-UBND", "KE HOACH 08/kh", "go vap dan van"])
def test_search_by_words_of_title_or_number_accents_optional(client: httpx.Client, q: str) -> None:
    assert [d["id"] for d in listed(client, q=q)["documents"]] == [GO_VAP_2010]


def test_search_matches_the_start_of_words_only(client: httpx.Client) -> None:
    assert listed(client, q="hoach")["total"] >= 2
    assert listed(client, q="oach")["total"] == 0  # inside a word: no match
    assert listed(client, q="12/KH-UBND hoan kiem")["documents"][0]["id"] == NESTED
    assert listed(client, q="khong co van ban nay")["documents"] == []


def test_filters_and_facets(client: httpx.Client) -> None:
    ba_dinh_ids = {"000_a0e3f80ae5a2bbff.txt", BA_DINH_2025} | ({SCAN} if OCR_MISSING is None else set())
    everything = listed(client)
    assert ["UBND quận Ba Đình", len(ba_dinh_ids)] in everything["facets"]["issuer"]
    ba_dinh = listed(client, issuer="UBND quận Ba Đình")
    assert {d["id"] for d in ba_dinh["documents"]} == ba_dinh_ids and ba_dinh["total"] == len(ba_dinh_ids)
    assert listed(client, issuer="ubnd quan ba dinh")["total"] == len(ba_dinh_ids)  # accents optional
    plans = listed(client, kind="Kế hoạch")
    assert plans["total"] >= 5 and {d["kind"] for d in plans["documents"]} == {"Kế hoạch"}
    y2018 = listed(client, year=2018)
    assert y2018["total"] == 2 and all(d["date"].startswith("2018") for d in y2018["documents"])
    # Each facet counts what the other filters leave: the year facet still offers the other years.
    years = dict(map(tuple, y2018["facets"]["year"]))
    assert years[2018] == 2 and years[2010] == 1 and years[2024] == 3
    assert dict(map(tuple, y2018["facets"]["kind"])) == {"Tin tức": 2}
    assert dict(map(tuple, y2018["facets"]["issuer"])) == {"UBND quận Ba Đình": 1, "Thành ủy Hà Nội": 1}
    both = listed(client, issuer="UBND quận Ba Đình", year=2025)
    assert {d["id"] for d in both["documents"]} == ba_dinh_ids - {"000_a0e3f80ae5a2bbff.txt"}
    assert listed(client, issuer="UBND quận Ba Đình", year=2010)["total"] == 0


def test_sort_by_date_both_ways_and_pages(client: httpx.Client) -> None:
    newest = listed(client, sort="-date")["documents"]
    oldest = listed(client, sort="date")["documents"]
    dated_new = [d["date"] for d in newest if d["date"]]
    assert dated_new == sorted(dated_new, reverse=True)
    assert [d["date"] for d in oldest if d["date"]] == sorted(dated_new)
    assert not newest[-1]["date"] or all(d["date"] for d in newest)  # undated last
    titles = [d["title"] for d in listed(client, sort="title")["documents"]]
    assert len(titles) == len(newest)
    total = len(newest)
    pages = [listed(client, per_page=3, page=p) for p in range(1, total // 3 + 2)]
    ids = [d["id"] for p in pages for d in p["documents"]]
    assert ids == [d["id"] for d in newest] and all(p["total"] == total for p in pages)
    assert listed(client, page=99)["documents"] == []


@pytest.mark.parametrize(
    "params",
    [{"year": "abc"}, {"year": 1800}, {"sort": "size"}, {"page": 0}, {"per_page": 10_000}, {"q": "x" * 300}],
)
def test_bad_list_parameters_are_one_line_errors(client: httpx.Client, params: dict[str, Any]) -> None:
    r = client.get("/api/documents", params=params)
    assert r.status_code == 422 and list(r.json()) == ["error"] and "\n" not in r.json()["error"]


# ------------------------------------------------------------------------------------------- one document
def test_document_detail_has_metadata_headings_and_passages(client: httpx.Client, settings: Settings) -> None:
    r = client.get(doc_url(GO_VAP_2010))
    assert r.status_code == 200
    body = r.json()
    assert body["number"] == "08/KH-UBND" and body["place"] == "Gò Vấp" and body["ocr"] is None
    chunks = Assistant.open(settings).index.doc_chunks(GO_VAP_2010)
    assert body["chunks"] == [{"id": c.chunk_id, "section": c.section, "text": c.text} for c in chunks]
    assert body["sections"][0] == "I. Mục đích – Yêu cầu › 1. Nhằm tiếp tục nâng cao nhận thức về vai trò"
    assert len(body["sections"]) == len(set(body["sections"])) and "" not in body["sections"]
    nested = client.get(doc_url(NESTED)).json()  # an id with a slash, encoded
    assert nested["id"] == NESTED and nested["issuer"] == "UBND quận Hoàn Kiếm"
    assert client.get(f"/api/documents/{NESTED}").json()["id"] == NESTED  # or not
    assert client.get(f"/api/documents/{quote(NESTED)}/file").status_code == 200


@pytest.mark.skipif(OCR_MISSING is not None, reason=f"{OCR_MISSING} (tesseract-ocr, tesseract-ocr-vie)")
def test_scanned_document_says_which_pages_were_ocrd(client: httpx.Client) -> None:
    body = client.get(doc_url(SCAN)).json()
    assert body["format"] == "pdf"
    (page,) = body["ocr"]
    assert page["page"] == 1 and page["method"] == "ocr" and page["confidence"] > 50 and page["low"] is False
    reader = client.get(f"/tai-lieu/{quote(SCAN, safe='')}").text
    assert "Trang được nhận dạng chữ (OCR)" in reader and f"Trang 1: độ tin cậy {page['confidence']:.0f}/100" in reader


def test_unknown_document_is_404(client: httpx.Client) -> None:
    for path in ("khong-co.txt", "khong-co.txt/file", "..%2F..%2Fetc%2Fpasswd/file", "%2Fetc%2Fpasswd"):
        r = client.get(f"/api/documents/{path}")
        assert r.status_code == 404 and r.json() == {
            "error": "Không có văn bản này trong kho tài liệu (no such document)."
        }


# ------------------------------------------------------------------------------------------- the original
@pytest.mark.parametrize(
    ("doc_id", "content_type"),
    [
        ("ke_hoach.pdf", "application/pdf"),
        ("ke_hoach.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (NESTED, "text/plain"),
    ],
)
def test_original_is_the_indexed_bytes(client: httpx.Client, settings: Settings, doc_id: str, content_type: str):
    r = client.get(doc_url(doc_id, "/file"))
    assert r.status_code == 200, r.text
    assert r.content == (settings.corpus_dir / doc_id).read_bytes()
    entry = Assistant.open(settings).index.manifest()["documents"][doc_id]
    assert hashlib.sha256(r.content).hexdigest() == entry["content_hash"]
    assert r.headers["content-type"] == content_type and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-length"] == str(len(r.content))
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    name = unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1))  # type: ignore[union-attr]
    assert name == Path(doc_id).name


def test_content_disposition_is_safe_for_any_name() -> None:
    d = content_disposition('Kế hoạch số 12 "năm" 2024;\r\nX-Evil: 1.pdf')
    assert "\r" not in d and "\n" not in d
    assert d.startswith("attachment; filename=\"Ke_hoach_so_12_nam_2024_X-Evil_1.pdf\"; filename*=UTF-8''")
    assert unquote(d.split("''", 1)[1]) == "Kế hoạch số 12 năm 2024;X-Evil: 1.pdf"
    assert content_disposition("../../etc/passwd").startswith('attachment; filename="passwd"')
    assert content_disposition("...").startswith('attachment; filename="tai-lieu"')


@pytest.fixture
def small(tmp_path: Path) -> Settings:
    """Two documents indexed from their own folder (changed and removed by the tests)."""
    corpus = tmp_path / "small"
    corpus.mkdir()
    for name in (GO_VAP_2010, BA_DINH_2025):
        shutil.copy(CORPUS / name, corpus / name)
    settings = toy_settings(tmp_path / "small-data", corpus_dir=corpus)
    Assistant(settings).sync()
    return settings


def test_original_changed_since_indexing_is_409(small: Settings) -> None:
    original = small.corpus_dir / GO_VAP_2010
    with BackgroundServer(create_app(small)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert c.get(doc_url(GO_VAP_2010, "/file")).status_code == 200
        original.write_bytes(original.read_bytes().replace("Gò Vấp".encode(), "Gò Vâp".encode(), 1))
        r = c.get(doc_url(GO_VAP_2010, "/file"))
        assert r.status_code == 409 and r.json() == {"error": CHANGED}
        original.unlink()
        r = c.get(doc_url(GO_VAP_2010, "/file"))
        assert r.status_code == 410 and list(r.json()) == ["error"]
        assert c.get(doc_url(BA_DINH_2025, "/file")).status_code == 200


def test_original_outside_the_allowed_folders_is_refused(small: Settings, tmp_path: Path) -> None:
    """The manifest's path is honoured only inside the allowed folders: the same index served with another
    corpus folder (or a manifest pointed at a file elsewhere, even with its hash) sends nothing."""
    elsewhere = toy_settings(small.data_dir, corpus_dir=tmp_path / "other")
    with BackgroundServer(create_app(elsewhere)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        r = c.get(doc_url(GO_VAP_2010, "/file"))
        assert r.status_code == 403 and list(r.json()) == ["error"] and str(small.corpus_dir) not in r.text
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"BI MAT")
    manifest_path = small.index_dir / MANIFEST
    manifest = orjson.loads(manifest_path.read_bytes())
    for path in (str(secret), str(small.data_dir / "feedback.jsonl"), str(small.index_dir / MANIFEST)):
        target = Path(path)
        if not target.exists():
            target.write_bytes(b"{}")
        entry = manifest["documents"][GO_VAP_2010]
        entry["path"], entry["content_hash"] = path, hashlib.sha256(target.read_bytes()).hexdigest()
        manifest_path.write_bytes(orjson.dumps(manifest))
        with BackgroundServer(create_app(small)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
            r = c.get(doc_url(GO_VAP_2010, "/file"))
            assert r.status_code == 403, (path, r.status_code)
    link = small.corpus_dir / "link.txt"  # a link inside the corpus to a file outside it
    os.symlink(secret, link)
    entry["path"], entry["content_hash"] = str(link), hashlib.sha256(b"BI MAT").hexdigest()
    manifest_path.write_bytes(orjson.dumps(manifest))
    with BackgroundServer(create_app(small)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert c.get(doc_url(GO_VAP_2010, "/file")).status_code == 403


def test_uploads_folder_is_served(small: Settings) -> None:
    """A document indexed from `<data_dir>/uploads` (where uploads are kept) downloads."""
    uploads = small.data_dir / "uploads"
    uploads.mkdir()
    (uploads / "moi.txt").write_text(NESTED_TEXT, encoding="utf-8")
    Assistant.open(small).sync([uploads], remove_missing=False)
    with BackgroundServer(create_app(small)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        r = c.get(doc_url("moi.txt", "/file"))
        assert r.status_code == 200 and r.content == NESTED_TEXT.encode()


def test_library_needs_the_access_token(small: Settings) -> None:
    guarded = toy_settings(small.data_dir, corpus_dir=small.corpus_dir, access_token=TOKEN)
    paths = ["/api/documents", doc_url(GO_VAP_2010), doc_url(GO_VAP_2010, "/file"), "/tai-lieu/", "/tai-lieu"]
    with BackgroundServer(create_app(guarded)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        for path in paths:
            r = c.get(path)
            assert r.status_code == 401 and "Gò Vấp" not in r.text, path
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for path in paths[:4]:
            assert c.get(path, headers=auth).status_code == 200, path


# ------------------------------------------------------------------------------------------- the list page
def _cells(page: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)[1:]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]


def test_list_page_searches_filters_and_links_to_each_reader(client: httpx.Client) -> None:
    r = client.get("/tai-lieu/")
    assert r.status_code == 200 and '<html lang="vi">' in r.text and "<h1>Thư viện tài liệu</h1>" in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "form-action 'self'" in csp
    assert len(_cells(r.text)) == listed(client)["total"]
    found = client.get("/tai-lieu/", params={"q": "ke hoach 08"}).text
    (row,) = _cells(found)
    assert row[:6] == ["Kế hoạch", "08/KH-UBND", row[2], "UBND quận Gò Vấp", "09/02/2010", "Nguyễn Hồng"]
    assert row[6:] == ["TXT", "—", str(listed(client, q="ke hoach 08")["documents"][0]["chunks"])]
    link = re.search(r'<td><a href="([^"]+)">', found).group(1)  # type: ignore[union-attr]
    assert link == f"./{GO_VAP_2010}" and client.get("/tai-lieu/" + link[2:]).status_code == 200
    nested = client.get("/tai-lieu/", params={"q": "hoan kiem"}).text
    assert f'href="./{quote(NESTED, safe="")}"' in nested
    filtered = client.get("/tai-lieu/", params={"issuer": "UBND quận Ba Đình", "year": "2018"}).text
    assert [c[3] for c in _cells(filtered)] == ["UBND quận Ba Đình"]
    assert '<option value="UBND quận Ba Đình" selected>' in filtered
    assert "Tìm thấy 1 văn bản" in filtered
    oldest = _cells(client.get("/tai-lieu/", params={"sort": "date"}).text)
    dates = [c[4] for c in oldest if c[4] != "—"]
    assert dates[0] == "09/02/2010" and '<option value="date" selected>' in client.get("/tai-lieu/?sort=date").text
    for junk in ({"year": "abc", "page": "-3"}, {"sort": "<script>", "q": "<script>alert(1)</script>"}):
        page = client.get("/tai-lieu/", params=junk)
        assert page.status_code == 200 and "<script" not in page.text


def test_list_page_pages_through_a_large_catalogue() -> None:
    from assistant.library import ListQuery, render_list_page

    catalogue = Catalogue(synthetic_manifest(240)["documents"])
    query = ListQuery.from_params({"q": "dan van", "page": "3"})
    page = catalogue.query(query.q, page=3)
    body = render_list_page(query, page, catalogue, "./")
    assert page.total == 240 and len(_cells(body)) == 50
    assert '<span aria-current="page">3</span>' in body
    assert 'href="?q=dan+van&amp;page=2" rel="prev"' in body and 'href="?q=dan+van&amp;page=4" rel="next"' in body
    assert 'href="?q=dan+van&amp;page=5"' in body and "Văn bản 101–150 trong 240 (trang 3/5)" in body


# ------------------------------------------------------------------------------------------- catalogue
def synthetic_manifest(n: int) -> dict[str, Any]:
    """A manifest of `n` plans from 60 issuers over 16 years (no chunks: only the catalogue reads it)."""
    docs = {}
    for i in range(n):
        docs[f"kho/{i:05d}.pdf"] = {
            "source": f"{i:05d}.pdf",
            "path": f"/srv/kho/{i:05d}.pdf",
            "content_hash": f"{i:064x}",
            "meta": {
                "title": f"Triển khai công tác dân vận chính quyền đợt {i}",
                "kind": "KẾ HOẠCH" if i % 3 else "QUYẾT ĐỊNH",
                "issuer": f"UBND phường số {i % 60}",
                "number": f"{i}/KH-UBND",
                "date": f"{2010 + i % 16}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "signer": "Nguyễn Văn A",
                "place": "",
            },
            "chunk_ids": [],
        }
    return {"fingerprint": {}, "generation": "synthetic", "documents": docs}


def test_catalogue_is_built_once_per_manifest(small: Settings) -> None:
    index = Assistant.open(small).index
    first = CATALOGUES.get(index.manifest())
    assert CATALOGUES.get(index.manifest()) is first  # the same manifest: the same catalogue
    extra = small.corpus_dir / "moi.txt"
    extra.write_text(NESTED_TEXT, encoding="utf-8")
    Assistant.open(small).sync([small.corpus_dir])
    fresh = Assistant.open(small).index.manifest()
    second = CATALOGUES.get(fresh)
    assert second is not first and len(second) == len(first) + 1


def test_37000_documents_page_is_served_small(small: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """A manifest of 37,000 documents (added to a real index; they have no chunks): the list, a search and a
    filtered page are served, each response stays small. The time per request is printed (not asserted)."""
    manifest_path = small.index_dir / MANIFEST
    manifest = orjson.loads(manifest_path.read_bytes())
    manifest["documents"].update(synthetic_manifest(37_000)["documents"])
    manifest_path.write_bytes(orjson.dumps(manifest))
    with BackgroundServer(create_app(small)) as srv, httpx.Client(base_url=srv.url, timeout=120) as c:
        started = time.perf_counter()
        first = c.get("/api/documents")
        build = time.perf_counter() - started
        assert first.status_code == 200 and first.json()["total"] == 37_002
        timings: dict[str, float] = {}
        sizes: dict[str, int] = {}
        requests: dict[str, tuple[str, dict[str, Any]]] = {
            "api page 300": ("/api/documents", {"page": 300}),
            "api search": ("/api/documents", {"q": "dan van dot 3699"}),
            "api filters": ("/api/documents", {"issuer": "UBND phường số 7", "kind": "Kế hoạch", "year": 2013}),
            "html page 300": ("/tai-lieu/", {"page": 300}),
            "html search": ("/tai-lieu/", {"q": "ke hoach 1234"}),
        }
        for name, (path, params) in requests.items():
            started = time.perf_counter()
            for _ in range(5):
                r = c.get(path, params=params)
            timings[name] = (time.perf_counter() - started) / 5
            sizes[name] = len(r.content)
            assert r.status_code == 200 and len(r.content) < 120_000, (name, len(r.content))
        body = c.get("/api/documents", params={"page": 300}).json()
        assert len(body["documents"]) == 50 and len(body["facets"]["issuer"]) <= 100
        search = c.get("/api/documents", params={"q": "dan van dot 3699"}).json()
        titles = {d["title"].rsplit(" ", 1)[1] for d in search["documents"]}  # a word's start: 3699, 36990…36999
        assert search["total"] == 11 and titles == {"3699", *(f"3699{i}" for i in range(10))}
        filtered = c.get("/api/documents", params={"issuer": "UBND phường số 7", "year": 2013}).json()
        assert filtered["total"] > 0 and all(d["date"].startswith("2013") for d in filtered["documents"])
    with capsys.disabled():
        shown = ", ".join(f"{k} {v * 1000:.0f} ms ({sizes[k] / 1000:.0f} KB)" for k, v in timings.items())
        print(f"\n37,002 documents: first request (builds the catalogue) {build * 1000:.0f} ms; then {shown}")


@pytest.mark.parametrize("path", [quote(NESTED, safe=""), quote(NESTED)])  # the slash encoded, or not
def test_reader_links_back_and_to_the_original_from_any_id(client: httpx.Client, settings: Settings, path: str):
    url = f"{client.base_url}tai-lieu/{path}"
    body = client.get(url).text
    assert "<h1>Kế hoạch 12/KH-UBND — Tổ chức hội nghị đối thoại với nhân dân năm 2024</h1>" in body
    back = html.unescape(re.search(r'<a href="([^"]+)">← Thư viện tài liệu</a>', body).group(1))  # type: ignore[union-attr]
    assert urljoin(url, back) == f"{client.base_url}tai-lieu/"
    file = html.unescape(re.search(r'<a class="download" href="([^"]+)"', body).group(1))  # type: ignore[union-attr]
    r = client.get(urljoin(url, file))
    assert r.status_code == 200 and r.content == (settings.corpus_dir / NESTED).read_bytes()


def test_list_without_the_trailing_slash_links_the_same_readers(settings: Settings) -> None:
    """`/tai-lieu` (no slash) serves the list too, its links relative to it. (In the full app the Gradio gate
    lets only `/tai-lieu/…` through, so this is the library's router alone, with the real service.)"""
    from fastapi import FastAPI

    from assistant import library
    from assistant.service import AssistantService

    app = FastAPI()
    app.state.service, app.state.settings = AssistantService(settings), settings
    app.include_router(library.router)
    with BackgroundServer(app) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        body = c.get("/tai-lieu", params={"q": "ke hoach 08"}).text
        link = html.unescape(re.search(r'<td><a href="([^"]+)">', body).group(1))  # type: ignore[union-attr]
        assert urljoin(f"{srv.url}tai-lieu", link) == f"{srv.url}tai-lieu/{GO_VAP_2010}"
