"""The admin page `/quan-tri/tai-lieu`: HTML, its style sheet and its script, all served by the app itself.

No inline script or style (the page's CSP allows only 'self'); the script builds every row with `textContent`
(document titles are never parsed as HTML). Keyboard: the file input, buttons and the remove confirmation are
native controls; the confirmation takes the focus and «Huỷ» or Escape gives it back.
"""

from __future__ import annotations

import html

ACCEPT = ".pdf,.docx,.doc,.odt,.rtf,.txt,.md,.html,.htm,.png,.jpg,.jpeg,.tif,.tiff"


def render(*, admin: bool, token_login: bool, message: str, reload_ms: int, max_file_mb: float) -> str:
    """The page: the upload and document controls for an administrator; a 403 notice (and, when a token is
    configured, the form that takes it) for anyone else."""
    note = f'<p class="message" role="alert">{html.escape(message)}</p>' if message else ""
    if not admin:
        form = (
            '<form method="post" action="tai-lieu" class="login">'
            '<label for="token">Mã quản trị</label>'
            '<input id="token" name="token" type="password" autocomplete="current-password" required>'
            '<button type="submit">Đăng nhập</button></form>'
            if token_login
            else ""
        )
        body = (
            '<main id="denied"><h1>Quản trị tài liệu</h1>'
            '<p class="error" role="alert">Bạn không có quyền quản trị tài liệu (403: administrator right '
            f"required).</p>{note}{form}"
            '<p><a href="../tai-lieu">Về thư viện tài liệu</a></p></main>'
        )
        return _document(body, script=False)
    body = f"""<header><h1>Quản trị tài liệu</h1>
<nav aria-label="Liên kết"><a href="../tai-lieu">Thư viện tài liệu</a> · <a href="../">Trợ lý</a>
<form method="post" action="dang-xuat" class="logout"><button type="submit">Đăng xuất</button></form></nav></header>
<main id="admin" data-reload-ms="{int(reload_ms)}">{note}
<section aria-labelledby="h-up"><h2 id="h-up">Thêm tài liệu</h2>
<div id="drop" class="drop">
<p>Kéo thả tệp vào khung này, hoặc chọn tệp:</p>
<label for="files">Chọn tệp để tải lên</label>
<input id="files" type="file" multiple accept="{ACCEPT}">
<p class="hint">PDF, Word (.docx, .doc), .odt, .rtf, văn bản (.txt, .md), trang HTML, ảnh quét; tối đa
{max_file_mb:g} MB mỗi tệp. Mỗi tệp được kiểm tra nội dung rồi lập chỉ mục lần lượt.</p>
</div>
<input id="replace-file" type="file" accept="{ACCEPT}" hidden>
<ul id="jobs" aria-live="polite" aria-label="Tiến độ tải lên"></ul>
</section>
<section aria-labelledby="h-docs"><h2 id="h-docs">Tài liệu trong kho</h2>
<form id="search" role="search"><label for="q">Tìm theo tên hoặc số hiệu</label>
<input id="q" type="search" autocomplete="off"><button type="submit">Tìm</button></form>
<p id="status" role="status"></p>
<table id="docs"><caption class="sr">Danh sách tài liệu</caption>
<thead><tr><th scope="col">Tài liệu</th><th scope="col">Ngày</th><th scope="col">Số đoạn</th>
<th scope="col">Thao tác</th></tr></thead><tbody></tbody></table>
<nav id="pager" aria-label="Trang"><button type="button" id="prev">Trang trước</button>
<span id="pageno"></span><button type="button" id="next">Trang sau</button></nav>
</section></main>"""
    return _document(body, script=True)


def _document(body: str, script: bool) -> str:
    tag = '<script src="admin.js" defer></script>' if script else ""
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>Quản trị tài liệu</title><link rel="stylesheet" href="admin.css">{tag}</head>'
        f"<body>{body}</body></html>"
    )


STYLE = """
body { margin: 0; font-family: system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif; line-height: 1.5;
  background: #fff; color: #1e293b; }
header, main { max-width: 980px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 16px; border-bottom: 1px solid #cbd5e1; }
h1 { font-size: 1.4rem; margin: 0 0 6px 0; } h2 { font-size: 1.1rem; color: #1e3a8a; margin-top: 24px; }
a { color: #1d4ed8; } nav form { display: inline; margin-left: 12px; }
button, label[for="files"] { font: inherit; }
button { background: #1d4ed8; color: #fff; border: 1px solid #1d4ed8; border-radius: 6px; padding: 4px 12px;
  cursor: pointer; margin: 2px; }
button.secondary { background: #fff; color: #1e3a8a; border-color: #475569; }
button.danger { background: #b91c1c; border-color: #b91c1c; }
button:disabled { background: #e2e8f0; color: #334155; border-color: #94a3b8; cursor: default; }
button:focus-visible, input:focus-visible, a:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.drop { border: 2px dashed #475569; border-radius: 8px; padding: 12px 16px; background: #f8fafc; }
.drop.over { border-color: #1d4ed8; background: #eff6ff; }
.hint { color: #475569; font-size: 0.92rem; }
#jobs { list-style: none; padding: 0; }
#jobs li { padding: 6px 0; border-bottom: 1px solid #e2e8f0; }
#jobs progress { width: 220px; height: 14px; vertical-align: middle; margin: 0 8px; }
#jobs .name { font-weight: 600; }
.done .msg { color: #166534; } .failed .msg, .error { color: #b91c1c; }
.message { color: #1e293b; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e2e8f0; vertical-align: top; }
td .id { color: #475569; font-size: 0.85rem;
  font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", "Noto Sans Mono", monospace; }
.confirm { display: block; margin-top: 4px; color: #7f1d1d; } [hidden] { display: none !important; }
.sr { position: absolute; left: -10000px; }
.login label { display: block; margin-bottom: 4px; } .login input { padding: 4px; }
"""

SCRIPT = r"""
(() => {
  "use strict";
  const main = document.getElementById("admin");
  if (!main) return;
  const API = "../api/documents";
  const CSRF = { "X-Assistant-Csrf": "1" };
  const PER_PAGE = 50;
  const reloadMs = Number(main.dataset.reloadMs || 5000) + 500;
  const jobs = document.getElementById("jobs");
  const tbody = document.querySelector("#docs tbody");
  const status = document.getElementById("status");
  const replaceInput = document.getElementById("replace-file");
  const LABEL = { uploading: "Đang tải lên", queued: "Đang chờ", checking: "Đang kiểm tra", reading: "Đang đọc",
    indexing: "Đang lập chỉ mục", done: "Xong", failed: "Lỗi" };
  let page = 1, query = "", total = 0, replacing = "";

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function jobRow(name, replace) {
    const li = el("li");
    li.append(el("span", replace ? "Thay «" + replace + "» bằng " + name : name, "name"));
    const bar = el("progress");
    bar.max = 1; bar.value = 0; bar.setAttribute("aria-label", "Tiến độ: " + name);
    li.append(bar, el("span", LABEL.uploading, "state"), el("span", "", "msg"));
    jobs.prepend(li);
    return li;
  }

  function show(li, state, progress, message) {
    li.dataset.status = state;
    li.className = state;
    li.querySelector("progress").value = progress;
    li.querySelector(".state").textContent = LABEL[state] || state;
    li.querySelector(".msg").textContent = message ? " — " + message : "";
  }

  function showJob(li, job) {
    show(li, job.status, 0.2 + 0.8 * job.progress, job.message);
    if (job.status === "done" || job.status === "failed") {
      if (job.status === "done") setTimeout(loadDocs, reloadMs);
      return true;
    }
    return false;
  }

  function poll(li, id) {
    setTimeout(async () => {
      try {
        const r = await fetch(API + "/jobs/" + encodeURIComponent(id), { headers: CSRF });
        const job = await r.json();
        if (!r.ok) return show(li, "failed", 1, job.error || "HTTP " + r.status);
        if (!showJob(li, job)) poll(li, id);
      } catch (e) {
        show(li, "failed", 1, "Mất kết nối (network error).");
      }
    }, 400);
  }

  function upload(file, replace) {
    const li = jobRow(file.name, replace);
    const form = new FormData();
    form.append("files", file, file.name);
    if (replace) form.append("replace", replace);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", API);
    xhr.setRequestHeader("X-Assistant-Csrf", "1");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) show(li, "uploading", 0.2 * e.loaded / e.total, ""); };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = { error: "Phản hồi không đọc được." }; }
      if (xhr.status !== 202) return show(li, "failed", 1, body.error || "HTTP " + xhr.status);
      const job = body.jobs[0];
      if (!showJob(li, job)) poll(li, job.id);
    };
    xhr.onerror = () => show(li, "failed", 1, "Mất kết nối khi tải lên (network error).");
    xhr.send(form);
  }

  function uploadAll(files) { for (const f of files) upload(f, ""); }

  const input = document.getElementById("files");
  input.addEventListener("change", () => { uploadAll(input.files); input.value = ""; });
  const drop = document.getElementById("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over"); uploadAll(e.dataTransfer.files);
  });
  replaceInput.addEventListener("change", () => {
    if (replaceInput.files.length && replacing) upload(replaceInput.files[0], replacing);
    replaceInput.value = "";
  });

  async function remove(id, row) {
    status.textContent = "Đang xoá «" + id + "»…";
    try {
      const r = await fetch(API + "/" + encodeURIComponent(id), { method: "DELETE", headers: CSRF });
      const body = await r.json();
      if (!r.ok) { status.textContent = body.error || "HTTP " + r.status; return; }
      status.textContent = "Đã xoá «" + id + "» khỏi kho.";
      row.remove();
      setTimeout(loadDocs, reloadMs);
    } catch (e) {
      status.textContent = "Mất kết nối (network error).";
    }
  }

  function actions(id, title, row) {
    const td = el("td");
    const rep = el("button", "Thay thế", "secondary");
    rep.type = "button";
    rep.setAttribute("aria-label", "Thay thế " + title);
    rep.addEventListener("click", () => { replacing = id; replaceInput.click(); });
    const del = el("button", "Xoá", "danger remove");
    del.type = "button";
    del.setAttribute("aria-label", "Xoá " + title);
    const confirm = el("span", "", "confirm");
    confirm.hidden = true;
    confirm.setAttribute("role", "group");
    confirm.append(el("span", "Xoá hẳn «" + title + "» và tệp gốc khỏi kho? "));
    const yes = el("button", "Xoá hẳn", "danger confirm-yes");
    const no = el("button", "Huỷ", "secondary confirm-no");
    yes.type = no.type = "button";
    confirm.append(yes, no);
    del.addEventListener("click", () => { confirm.hidden = false; yes.focus(); });
    const cancel = () => { confirm.hidden = true; del.focus(); };
    no.addEventListener("click", cancel);
    confirm.addEventListener("keydown", (e) => { if (e.key === "Escape") cancel(); });
    yes.addEventListener("click", () => { confirm.hidden = true; remove(id, row); });
    td.append(rep, del, confirm);
    return td;
  }

  function render(docs) {
    tbody.replaceChildren();
    for (const d of docs) {
      const meta = d.meta || {};
      const id = d.id || d.doc_id;
      const title = d.title || meta.title || id;
      const row = el("tr");
      row.dataset.id = id;
      const name = el("td");
      const link = el("a", title);
      link.href = "../tai-lieu/" + id.split("/").map(encodeURIComponent).join("/");
      name.append(link, el("div", id, "id"));
      row.append(name, el("td", d.date || meta.date || ""), el("td", String(d.chunks ?? "")), actions(id, title, row));
      tbody.append(row);
    }
  }

  async function loadDocs() {
    const params = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
    if (query) params.set("q", query);
    try {
      const r = await fetch(API + "?" + params.toString());
      const body = await r.json();
      if (!r.ok) { status.textContent = body.error || "HTTP " + r.status; return; }
      let docs = body.documents || [];
      if (body.total === undefined) {  // an unpaged list: filter and page it here
        const q = query.toLowerCase();
        const text = (d) => ((d.doc_id || d.id || "") + " " + (d.title || (d.meta || {}).title || "")).toLowerCase();
        docs = docs.filter((d) => !q || text(d).includes(q));
        total = docs.length;
        docs = docs.slice((page - 1) * PER_PAGE, page * PER_PAGE);
      } else {
        total = body.total;
      }
      render(docs);
      const pages = Math.max(1, Math.ceil(total / PER_PAGE));
      document.getElementById("pageno").textContent = " Trang " + page + "/" + pages + " (" + total + " tài liệu) ";
      document.getElementById("prev").disabled = page <= 1;
      document.getElementById("next").disabled = page >= pages;
    } catch (e) {
      status.textContent = "Không tải được danh sách tài liệu (network error).";
    }
  }

  document.getElementById("search").addEventListener("submit", (e) => {
    e.preventDefault(); query = document.getElementById("q").value.trim(); page = 1; loadDocs();
  });
  document.getElementById("prev").addEventListener("click", () => { page -= 1; loadDocs(); });
  document.getElementById("next").addEventListener("click", () => { page += 1; loadDocs(); });
  loadDocs();
})();
"""
