"""Document administration (issue 15, write side): the administrator right, cross-site request protection,
uploads, replace and remove through the real server, the audit log. Real server, real (hash-embedder) index."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from assistant.admin import COOKIE_NAME, admin_identity, is_admin, same_origin
from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from tests.conftest import BA_DINH_2025, CORPUS
from tests.test_api import build_toy_index, toy_settings

pytestmark = pytest.mark.integration  # real servers on 127.0.0.1

TOKEN = "adm-7f3c9e21-never-log-me"
ADMIN = {"X-Admin-Token": TOKEN}
FINAL = ("done", "failed")


def plan_text(place: str, extra: str = "") -> bytes:
    """A small plan of its own (a distinct content hash per `place`)."""
    return (
        f"ỦY BAN NHÂN DÂN PHƯỜNG {place.upper()}\n\nKẾ HOẠCH\nTriển khai công tác dân vận chính quyền năm 2026 "
        f"tại phường {place}\n\nI. MỤC ĐÍCH\n1. Nâng cao chất lượng tiếp dân tại phường {place}. {extra}\n"
    ).encode()


def docx_bytes(text: str) -> bytes:
    """A real .docx with one heading and `text`."""
    import docx

    d = docx.Document()
    d.add_heading("KẾ HOẠCH", level=1)
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def wait_job(client: httpx.Client, job: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Poll a job until it is done or failed."""
    deadline = time.monotonic() + 120
    while job["status"] not in FINAL:
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
        r = client.get(f"api/documents/jobs/{job['id']}", headers=headers or ADMIN)
        assert r.status_code == 200, r.text
        job = r.json()
    return job


def upload(
    client: httpx.Client, name: str, data: bytes, replace: str = "", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """POST one file as an administrator and wait for its job."""
    r = client.post(
        "api/documents",
        files={"files": (name, data)},
        data={"replace": replace} if replace else None,
        headers=headers or ADMIN,
    )
    assert r.status_code == 202, r.text
    jobs = r.json()["jobs"]
    assert len(jobs) == 1 and set(jobs[0]) >= {"id", "file", "status"}
    return wait_job(client, jobs[0], headers)


def manifest(settings: Settings) -> dict[str, Any]:
    return json.loads((settings.index_dir / "manifest.json").read_text(encoding="utf-8"))


def served_ids(client: httpx.Client) -> set[str]:
    docs = client.get("api/documents", params={"per_page": 200}).json()["documents"]
    return {d.get("id") or d["doc_id"] for d in docs}


def wait_served(client: httpx.Client, present: str = "", absent: str = "") -> set[str]:
    """The served document ids once the serving engine reloaded the index (reload_check_s)."""
    deadline = time.monotonic() + 15
    while True:
        ids = served_ids(client)
        if (not present or present in ids) and (not absent or absent not in ids):
            return ids
        assert time.monotonic() < deadline, (present, absent, sorted(ids))
        time.sleep(0.2)


def audit_lines(settings: Settings) -> list[dict[str, Any]]:
    path = settings.data_dir / "logs" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def one_line(message: str) -> bool:
    return bool(message) and "\n" not in message and "Traceback" not in message


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return toy_settings(build_toy_index(tmp_path_factory.mktemp("admin")), admin_token=TOKEN, reload_check_s=0.2)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[httpx.Client]:
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        yield c


# ---------------------------------------------------------------- who is an administrator


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw, "query_string": b""})


def test_nobody_is_admin_when_nothing_is_configured() -> None:
    s = toy_settings(Path("/tmp/unused"))
    for headers in ({"X-Admin-Token": ""}, {"Authorization": "Bearer "}, {"X-Remote-Groups": "admins"}, {}):
        assert not is_admin(_request(headers), s)


def test_admin_by_token_header_bearer_or_cookie_only_with_the_right_token() -> None:
    s = toy_settings(Path("/tmp/unused"), admin_token=TOKEN)
    assert admin_identity(_request({"X-Admin-Token": TOKEN}), s) == ("admin-token", False)
    assert admin_identity(_request({"Authorization": f"Bearer {TOKEN}"}), s) == ("admin-token", False)
    assert not is_admin(_request({"X-Admin-Token": TOKEN + "x"}), s)
    assert not is_admin(_request({"Authorization": f"Bearer {TOKEN[:-1]}"}), s)
    assert not is_admin(_request({"Cookie": f"{COOKIE_NAME}={TOKEN}"}), s)  # the cookie holds an HMAC, not the token


def test_admin_by_proxy_group_header() -> None:
    s = toy_settings(
        Path("/tmp/unused"),
        admin_header="X-Remote-Groups",
        admin_groups="Doc-Admins, van-thu",
        trusted_header="X-Remote-User",
    )
    assert s.admin_groups == ["Doc-Admins", "van-thu"]
    assert admin_identity(_request({"X-Remote-Groups": "staff, doc-admins", "X-Remote-User": "lan.nt"}), s) == (
        "lan.nt",
        True,
    )
    assert admin_identity(_request({"X-Remote-Groups": "van-thu"}), s) == ("admin-group", True)
    assert not is_admin(_request({"X-Remote-Groups": "staff, doc-admins-2"}), s)
    assert not is_admin(_request({"X-Remote-User": "doc-admins"}), s)
    no_groups = toy_settings(Path("/tmp/unused"), admin_header="X-Remote-Groups")
    assert not is_admin(_request({"X-Remote-Groups": "doc-admins"}), no_groups)


# ---------------------------------------------------------------- ordinary users


def test_ordinary_user_gets_403_from_every_admin_endpoint_and_no_controls(client: httpx.Client) -> None:
    page = client.get("quan-tri/tai-lieu")
    assert page.status_code == 403
    assert 'lang="vi"' in page.text and "không có quyền" in page.text
    assert 'type="file"' not in page.text and "admin.js" not in page.text and "Xoá" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for r in (
        client.post("api/documents", files={"files": ("a.txt", plan_text("Một"))}),
        client.post("api/documents", files={"files": ("a.txt", plan_text("Một"))}, headers={"X-Admin-Token": "no"}),
        client.get("api/documents/jobs/whatever"),
        client.delete(f"api/documents/{BA_DINH_2025}"),
        client.delete(f"api/documents/{BA_DINH_2025}", headers={"Authorization": "Bearer nope"}),
    ):
        assert r.status_code == 403, r.text
        assert r.json() == {"error": "Cần quyền quản trị tài liệu (administrator right required)."}
    assert BA_DINH_2025 in served_ids(client)


def test_admin_page_for_an_administrator(client: httpx.Client) -> None:
    page = client.get("quan-tri/tai-lieu", headers=ADMIN)
    assert page.status_code == 200
    assert 'id="files"' in page.text and 'src="admin.js"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    script = client.get("quan-tri/admin.js")
    assert script.status_code == 200 and "X-Assistant-Csrf" in script.text and "innerHTML" not in script.text


# ---------------------------------------------------------------- cross-site requests


def _login(client: httpx.Client) -> str:
    """Log in through the page's form; returns the cookie value."""
    origin = str(client.base_url).rstrip("/")
    bad = client.post("quan-tri/tai-lieu", data={"token": "wrong"}, headers={"Origin": origin})
    assert bad.status_code == 403 and COOKIE_NAME not in bad.headers.get("set-cookie", "")
    foreign = client.post("quan-tri/tai-lieu", data={"token": TOKEN}, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and COOKIE_NAME not in foreign.headers.get("set-cookie", "")
    r = client.post("quan-tri/tai-lieu", data={"token": TOKEN}, headers={"Origin": origin})
    assert r.status_code == 303, r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and TOKEN not in cookie
    return cookie.split(";")[0].split("=", 1)[1]


def test_cookie_admin_needs_same_origin_and_the_custom_header(client: httpx.Client, settings: Settings) -> None:
    value = _login(client)
    origin = str(client.base_url).rstrip("/")
    jar = {"Cookie": f"{COOKIE_NAME}={value}"}
    before = manifest(settings)
    assert client.get("quan-tri/tai-lieu", headers=jar).status_code == 200
    evil = "http://evil.example"

    def post(**headers: str) -> httpx.Response:
        return client.post("api/documents", files={"files": ("x.txt", plan_text("Xa"))}, headers={**jar, **headers})

    refused = [
        post(Origin=evil),  # a cross-site form: foreign Origin, no custom header (what an HTML form sends)
        post(Origin=evil, **{"X-Assistant-Csrf": "1"}),  # a foreign Origin even with the header
        post(**{"X-Assistant-Csrf": "1"}),  # no Origin or Referer at all
        post(Origin="null", **{"X-Assistant-Csrf": "1"}),  # a sandboxed frame
        post(Origin=origin),  # same origin, but no custom header
        client.delete(f"api/documents/{BA_DINH_2025}", headers={**jar, "Origin": evil}),
        client.delete(f"api/documents/{BA_DINH_2025}", headers={**jar, "Referer": evil, "X-Assistant-Csrf": "1"}),
    ]
    for r in refused:
        assert r.status_code == 403, r.text
        assert "cross-site request refused" in r.json()["error"]
    assert manifest(settings) == before
    ok = {**jar, "Origin": origin, "X-Assistant-Csrf": "1"}
    job = upload(client, "cookie.txt", plan_text("Cookie"), headers=ok)
    assert job["status"] == "done", job
    referer = {**jar, "Referer": origin + "/quan-tri/tai-lieu", "X-Assistant-Csrf": "1"}
    assert client.delete("api/documents/cookie.txt", headers=referer).json() == {"removed": "cookie.txt"}


@pytest.mark.parametrize(
    ("headers", "same"),
    [
        ({"Host": "127.0.0.1:8000", "Origin": "http://127.0.0.1:8000"}, True),
        ({"Host": "127.0.0.1:8000", "Origin": "http://127.0.0.1:9000"}, False),  # another port: same site only
        ({"Host": "intranet.gov.vn", "Origin": "https://intranet.gov.vn:8443"}, True),  # nginx's $host has no port
        ({"Host": "intranet.gov.vn:443", "Origin": "https://intranet.gov.vn"}, True),
        ({"Host": "x", "X-Forwarded-Host": "intranet.gov.vn", "Origin": "https://intranet.gov.vn"}, True),
        ({"Host": "intranet.gov.vn", "Origin": "https://intranet.gov.vn.evil.example"}, False),
        ({"Host": "intranet.gov.vn", "Origin": "https://evil.example@intranet.gov.vn"}, True),  # userinfo ignored
        ({"Host": "[::1]:8000", "Origin": "http://[::1]:8000"}, True),
        ({"Host": "intranet.gov.vn", "Referer": "https://intranet.gov.vn/quan-tri/tai-lieu"}, True),
        ({"Host": "intranet.gov.vn", "Origin": "null"}, False),
        ({"Host": "intranet.gov.vn"}, False),
        ({"Host": "intranet.gov.vn", "Origin": "file://intranet.gov.vn"}, False),
    ],
)
def test_same_origin(headers: dict[str, str], same: bool) -> None:
    assert same_origin(_request(headers)) is same


def test_no_cors_allowance_for_admin_routes(client: httpx.Client) -> None:
    r = client.options(
        "api/documents",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-assistant-csrf",
        },
    )
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-headers" not in r.headers


# ---------------------------------------------------------------- add, replace, remove


def test_upload_is_indexed_stored_and_served(client: httpx.Client, settings: Settings) -> None:
    job = upload(client, "ke-hoach-tan-dinh.txt", plan_text("Tân Định"))
    assert job["status"] == "done" and job["progress"] == 1.0 and job["doc_id"] == "ke-hoach-tan-dinh.txt"
    entry = manifest(settings)["documents"]["ke-hoach-tan-dinh.txt"]
    stored = Path(entry["path"])
    assert stored.parent.parent == settings.data_dir / "uploads" and stored.parent.name == entry["content_hash"]
    assert stored.read_bytes() == plan_text("Tân Định")
    assert "ke-hoach-tan-dinh.txt" in wait_served(client, present="ke-hoach-tan-dinh.txt")
    answer = client.post("api/ask", json={"question": "Kế hoạch dân vận năm 2026 của phường Tân Định"}).json()
    assert any(c["source"] == "ke-hoach-tan-dinh.txt" for c in answer["citations"])


def test_docx_upload(client: httpx.Client, settings: Settings) -> None:
    job = upload(client, "Kế hoạch Đa Kao.docx", docx_bytes("Tổ chức tiếp công dân định kỳ tại phường Đa Kao."))
    assert job["status"] == "done", job
    assert manifest(settings)["documents"]["Kế hoạch Đa Kao.docx"]["source"] == "Kế hoạch Đa Kao.docx"


def test_same_name_other_content_gets_its_own_id(client: httpx.Client, settings: Settings) -> None:
    first = upload(client, "trung-ten.txt", plan_text("Bến Thành"))
    second = upload(client, "trung-ten.txt", plan_text("Cầu Kho"))
    assert (first["doc_id"], second["doc_id"]) == ("trung-ten.txt", "trung-ten-2.txt")
    docs = manifest(settings)["documents"]
    assert docs["trung-ten.txt"]["content_hash"] != docs["trung-ten-2.txt"]["content_hash"]


def test_replace_keeps_one_version_and_the_id(client: httpx.Client, settings: Settings) -> None:
    upload(client, "thay-the.txt", plan_text("Phạm Ngũ Lão"))
    old = manifest(settings)["documents"]["thay-the.txt"]
    job = upload(client, "thay-the-ban-moi.txt", plan_text("Phạm Ngũ Lão", "Bản sửa đổi."), replace="thay-the.txt")
    assert job["status"] == "done" and job["doc_id"] == "thay-the.txt", job
    docs = manifest(settings)["documents"]
    assert docs["thay-the.txt"]["content_hash"] != old["content_hash"]
    assert "thay-the-ban-moi.txt" not in docs
    assert sum(1 for d in docs.values() if "Phạm Ngũ Lão" in Path(d["path"]).read_text("utf-8", "replace")) == 1
    assert not Path(old["path"]).exists() and Path(docs["thay-the.txt"]["path"]).exists()
    # another type: the new file gets its own id, the replaced one goes
    job = upload(client, "thay-the.docx", docx_bytes("Phạm Ngũ Lão, bản Word."), replace="thay-the.txt")
    docs = manifest(settings)["documents"]
    assert job["status"] == "done" and "thay-the.txt" not in docs and "thay-the.docx" in docs
    unknown = upload(client, "khac.txt", plan_text("Không Có"), replace="khong-co.txt")
    assert unknown["status"] == "failed" and "no such document" in unknown["message"]


def test_remove_drops_the_document_and_its_original(client: httpx.Client, settings: Settings) -> None:
    upload(client, "xoa-di.txt", plan_text("Nguyễn Cư Trinh"))
    stored = Path(manifest(settings)["documents"]["xoa-di.txt"]["path"])
    wait_served(client, present="xoa-di.txt")
    r = client.delete("api/documents/xoa-di.txt", headers=ADMIN)
    assert r.status_code == 200 and r.json() == {"removed": "xoa-di.txt"}
    assert "xoa-di.txt" not in manifest(settings)["documents"]
    assert not stored.exists() and not stored.parent.exists()
    wait_served(client, absent="xoa-di.txt")
    missing = client.delete("api/documents/xoa-di.txt", headers=ADMIN)
    assert missing.status_code == 404 and one_line(missing.json()["error"])
    assert client.get("api/documents/jobs/nope", headers=ADMIN).status_code == 404


def test_removing_a_corpus_document_leaves_its_file(client: httpx.Client, settings: Settings) -> None:
    doc = "004_6d6ef2d0f9823f83.txt"
    path = Path(manifest(settings)["documents"][doc]["path"])
    assert client.delete(f"api/documents/{doc}", headers=ADMIN).json() == {"removed": doc}
    assert path.exists() and path.read_bytes() == (CORPUS / doc).read_bytes()  # outside uploads/: never deleted


# ---------------------------------------------------------------- audit log and secrets


def test_audit_log_has_one_line_per_change(client: httpx.Client, settings: Settings) -> None:
    start = len(audit_lines(settings))
    upload(client, "nhat-ky.txt", plan_text("Đa Kao Mới"))
    dup = upload(client, "ban-sao.txt", plan_text("Đa Kao Mới"))
    client.delete("api/documents/nhat-ky.txt", headers=ADMIN)
    lines = audit_lines(settings)[start:]
    assert [(x["action"], x["result"]) for x in lines] == [("add", "ok"), ("add", "failed"), ("remove", "ok")]
    for x in lines:
        assert set(x) >= {"who", "when", "action", "file", "content_hash", "result", "message"}
        assert x["who"] == "admin-token" and x["when"].endswith("+00:00") and len(x["content_hash"]) == 64
    assert lines[0]["file"] == "nhat-ky.txt" and lines[1]["file"] == "ban-sao.txt"
    assert lines[1]["message"] == dup["message"] and "nhat-ky.txt" in dup["message"]


def test_proxy_group_admin_is_audited_under_the_proxy_user(tmp_path: Path) -> None:
    s = toy_settings(
        build_toy_index(tmp_path),
        trusted_header="X-Remote-User",
        admin_header="X-Remote-Groups",
        admin_groups="doc-admins",
    )
    user = {"X-Remote-User": "lan.nt"}
    with BackgroundServer(create_app(s)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        origin = srv.url.rstrip("/")
        assert c.post("api/documents", files={"files": ("p.txt", b"x")}, headers=user).status_code == 403
        group = {**user, "X-Remote-Groups": "staff,doc-admins"}
        cross = c.post("api/documents", files={"files": ("p.txt", plan_text("Proxy"))}, headers=group)
        assert cross.status_code == 403  # the group header is ambient: a same-origin request with the header only
        ok = {**group, "Origin": origin, "X-Assistant-Csrf": "1"}
        assert upload(c, "proxy.txt", plan_text("Proxy"), headers=ok)["status"] == "done"
    assert audit_lines(s)[-1]["who"] == "lan.nt"


def test_admin_token_is_never_logged(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        upload(client, "bi-mat.txt", plan_text("Bí Mật"))
        client.post("quan-tri/tai-lieu", data={"token": TOKEN})  # no Origin: refused
        client.get("quan-tri/tai-lieu", headers={"Authorization": f"Bearer {TOKEN}"})
    assert TOKEN not in caplog.text
    assert caplog.records  # something was logged, and redacted


def test_the_writer_shares_the_serving_engines_embedder(settings: Settings) -> None:
    app = create_app(settings)
    assert app.state.library._shared_embedder() is app.state.service.get().index.embedder  # one model in memory


def test_admin_right_is_in_addition_to_the_access_control(tmp_path: Path) -> None:
    s = toy_settings(build_toy_index(tmp_path), access_token="access-4d1f", admin_token=TOKEN)
    with BackgroundServer(create_app(s)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert c.get("quan-tri/tai-lieu", headers=ADMIN).status_code == 401  # the admin token alone: not admitted
        assert c.post("api/documents", files={"files": ("a.txt", b"x")}, headers=ADMIN).status_code == 401
        staff = {"Authorization": "Bearer access-4d1f"}
        assert c.get("quan-tri/tai-lieu", headers=staff).status_code == 403  # admitted, not an administrator
        assert c.delete(f"api/documents/{BA_DINH_2025}", headers=staff).status_code == 403
        both = {**staff, **ADMIN}
        assert c.get("quan-tri/tai-lieu", headers=both).status_code == 200
        assert upload(c, "ca-hai.txt", plan_text("Cả Hai"), headers=both)["status"] == "done"


def test_the_library_links_administrators_to_the_admin_page(client: httpx.Client) -> None:
    """Issue 15: the list page shows administrators where to add, replace and remove documents; others see no
    such link."""
    with httpx.Client(base_url=client.base_url, timeout=60) as ordinary:  # no admin cookie from earlier tests
        assert "quan-tri/tai-lieu" not in ordinary.get("tai-lieu/").text
        page = ordinary.get("tai-lieu/", headers=ADMIN).text
    assert 'href="../quan-tri/tai-lieu"' in page and "Quản trị tài liệu" in page
