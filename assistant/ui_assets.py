"""Static look of the chat page: header, placeholder, CSS (screen, phone, print) and the page script (citation
links, accessible names, copy, per-answer feedback, saved conversations, Markdown/Word export)."""

from __future__ import annotations

HEADER = """
<div class="tl-header">
  <h1 class="tl-h-title">{title}</h1>
  <div class="tl-h-sub">Hỏi bằng tiếng Việt (hoặc tiếng Anh) về các kế hoạch, thông báo, tin tức
  trong kho tài liệu.
  Mỗi ý trả lời có số <span class="tl-h-cite">[n]</span> dẫn tới đoạn văn bản gốc; bấm vào số để xem nguồn.
  Nếu tài liệu không có thông tin, trợ lý sẽ nói rõ là không tìm thấy.</div>
</div>
"""

PLACEHOLDER = "**Xin chào!** Hãy đặt một câu hỏi về các văn bản trong kho, hoặc chọn một trong các «Câu hỏi mẫu»."

# The page script. Citation links scroll to their card in the same message (a plain "#id" link could navigate
# away through the page's <base href> and lose the chat); scrolling moves only the chat's own scroll box.
# It also names chat messages for screen readers by their text (gradio labels them with raw HTML), adds the
# per-answer tools (copy as plain text, 👍/👎 sent through the hidden #tl-vote-cmd box), saves each
# conversation in this browser's localStorage (listed in #tl-history-list) and exports Markdown or Word.
JS = r"""
() => {
  if (window.__tlReady) return;
  window.__tlReady = true;
  const STORE = "tro-ly-hoi-thoai";  // localStorage key: saved conversations, newest first
  const KEEP = 50;
  const embedded = !!document.querySelector("gradio-app[src]");  // the <gradio-app> web component on a portal
  // gradio's own English names of its controls
  const VI = { "Clear": "Xóa hội thoại", "chatbot conversation": "Hội thoại", "Scroll down": "Cuộn xuống",
    "Gradio footer navigation": "Chân trang", "Copy": "Sao chép", "Copied": "Đã sao chép",
    "Copy message": "Sao chép", "Close": "Đóng", "Loading...": "Đang tải…" };
  const $ = (sel) => document.querySelector(sel);
  const $$ = (sel) => Array.from(document.querySelectorAll(sel));
  window.tlScrollWithin = (el, offset) => {
    let box = el.parentElement;
    while (box && box !== document.body) {
      const oy = getComputedStyle(box).overflowY;
      if ((oy === "auto" || oy === "scroll") && box.scrollHeight > box.clientHeight) break;
      box = box.parentElement;
    }
    if (!box || box === document.body) { el.scrollIntoView({ block: "nearest" }); return; }
    const top = el.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop - offset;
    box.scrollTo({ top: Math.max(0, top), behavior: "smooth" });
  };

  // ---- saved conversations (this browser only) ----
  const load = () => { try { return JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (e) { return []; } };
  const store = (list) => { try { localStorage.setItem(STORE, JSON.stringify(list.slice(0, KEEP))); } catch (e) {} };
  const newId = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  let convId = newId();
  const answerData = (el) => {
    try { return JSON.parse(el.querySelector(".tl-data").textContent); } catch (e) { return null; }
  };
  const finalAnswers = () => $$("#tl-chat .tl-answer").filter((a) => a.querySelector(".tl-data"));
  const currentTurns = () => finalAnswers().map(answerData).filter(Boolean);
  const saveCurrent = () => {
    const turns = currentTurns();
    if (!turns.length) return;
    const list = load().filter((c) => c.id !== convId);
    list.unshift({ id: convId, title: turns[0].q, updated: new Date().toISOString(), turns });
    store(list);
    renderHistory();
  };
  const fmtTime = (iso) => {
    const d = new Date(iso);
    const p = (n) => String(n).padStart(2, "0");
    return `${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}`;
  };
  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const renderHistory = () => {
    const box = $("#tl-history-list");
    if (!box) return;
    const list = load();
    box.replaceChildren();
    if (!list.length) { box.append(el("p", { class: "tl-empty" }, "Chưa có cuộc trò chuyện nào được lưu.")); return; }
    const ul = el("ul", { class: "tl-hist" });
    for (const c of list) {
      const li = el("li", { class: "tl-hist-item" });
      const b = el("button", { type: "button", class: "tl-hist-open", "data-id": c.id });
      b.append(el("span", { class: "tl-hist-title" }, c.title), el("span", { class: "tl-hist-time" },
        `${fmtTime(c.updated)} · ${c.turns.length} câu hỏi` + (c.id === convId ? " · đang mở" : "")));
      li.append(b);
      ul.append(li);
    }
    box.append(ul);
  };

  // ---- plain text, Markdown and Word exports ----
  const sourceLine = (s) => [s.heading, s.issuer, s.date].filter(Boolean).join(", ")
    + (s.section ? `. Mục: ${s.section}` : "") + (s.quote ? `. Trích: «${s.quote}»` : "") + ` (tệp ${s.source})`;
  const plainAnswer = (t) => [t.a, "", "Nguồn:", ...t.sources.map((s) => `[${s.n}] ${sourceLine(s)}`)].join("\n");
  const markdown = (title, turns) => {
    const out = [`# ${title}`, ""];
    const notes = [];
    turns.forEach((t, i) => {
      out.push(`## Câu hỏi ${i + 1}: ${t.q}`, "");
      const ids = {};
      for (const s of t.sources) { notes.push(`[^${notes.length + 1}]: ${sourceLine(s)}`); ids[s.n] = notes.length; }
      out.push(t.a.replace(/\[(\d{1,3})\]/g, (m, n) => (ids[n] ? `[^${ids[n]}]` : m)), "");
    });
    return out.concat(notes).join("\n") + "\n";
  };
  const download = (blob, name) => {
    const a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 2000);
  };
  const fileStem = () => "hoi-thoai-" + new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
  const appUrl = (path) => {
    const app = document.querySelector("gradio-app[src]");
    return new URL(path, app ? app.getAttribute("src") : document.baseURI).href;
  };
  const exportAs = async (kind, title, turns) => {
    if (!turns.length) { say("Chưa có câu trả lời nào để tải về."); return; }
    if (kind === "md") {
      download(new Blob([markdown(title, turns)], { type: "text/markdown;charset=utf-8" }), fileStem() + ".md");
      return;
    }
    try {
      const r = await fetch(appUrl("api/export/docx"), {
        method: "POST", credentials: "include", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ title, turns }),
      });
      if (!r.ok) throw new Error(String(r.status));
      download(await r.blob(), fileStem() + ".docx");
    } catch (e) {  // e.g. embedded in a portal of another origin: the browser refuses the cross-origin call
      say("Không tạo được tệp Word ở đây; hãy dùng «Tải Markdown» hoặc mở trang của trợ lý.");
    }
  };
  const say = (text) => {  // announced (live region) and shown for a few seconds
    const s = $("#tl-live");
    if (s) { s.textContent = ""; setTimeout(() => { s.textContent = text; }, 50); }
    $(".tl-toast")?.remove();
    const toast = el("div", { class: "tl-toast", "aria-hidden": "true" }, text);
    document.body.append(toast);
    setTimeout(() => toast.remove(), 5000);
  };
  const copyText = async (text) => {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) {
      const ta = el("textarea", { "aria-hidden": "true", style: "position:fixed;left:-9999px" });
      ta.value = text; document.body.append(ta); ta.select();
      const ok = document.execCommand("copy"); ta.remove(); return ok;
    }
  };
  const chatTitle = () => "Hội thoại với Trợ lý tra cứu — " + fmtTime(new Date().toISOString());
  window.tlExport = (kind) => exportAs(kind, chatTitle(), currentTurns());
  window.tlPrint = () => { document.body.classList.remove("tl-print-saved"); window.print(); };
  window.tlNewConversation = () => { saveCurrent(); convId = newId(); renderHistory(); };

  // ---- a saved conversation, opened from the side panel ----
  const openSaved = (id, opener) => {
    const c = load().find((x) => x.id === id);
    if (!c) return;
    $("#tl-saved")?.remove();
    const dlg = el("div", { id: "tl-saved", role: "dialog", "aria-modal": "true", "aria-labelledby": "tl-saved-h" });
    const box = el("div", { class: "tl-saved-box" });
    box.append(el("h2", { id: "tl-saved-h" }, c.title), el("p", { class: "tl-hist-time" }, fmtTime(c.updated)));
    const bar = el("div", { class: "tl-saved-bar" });
    const btn = (label, fn) => {
      const b = el("button", { type: "button" }, label);
      b.onclick = fn;
      bar.append(b);
      return b;
    };
    btn("Tải Markdown", () => exportAs("md", c.title, c.turns));
    btn("Tải Word (.docx)", () => exportAs("docx", c.title, c.turns));
    btn("In", () => {
      document.body.classList.add("tl-print-saved");
      window.print();
      document.body.classList.remove("tl-print-saved");
    });
    btn("Xóa", () => { store(load().filter((x) => x.id !== c.id)); close(); renderHistory(); });
    const closeBtn = btn("Đóng", () => close());
    box.append(bar);
    for (const t of c.turns) {
      const turn = el("section", { class: "tl-saved-turn" });
      turn.append(el("h3", {}, t.q), el("p", { class: "tl-saved-a" }, t.a));
      const ol = el("ol", { class: "tl-saved-src" });
      for (const s of t.sources) ol.append(el("li", { value: String(s.n) }, sourceLine(s)));
      if (t.sources.length) turn.append(ol);
      box.append(turn);
    }
    dlg.append(box);
    const close = () => { dlg.remove(); opener && opener.focus(); };
    dlg.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
    document.body.append(dlg);
    closeBtn.focus();
  };

  // ---- per-answer tools (copy, 👍/👎) and accessible names, kept up as gradio re-renders ----
  const vote = (answer, kind) => {
    const cmd = $("#tl-vote-cmd textarea, #tl-vote-cmd input");
    const go = $("#tl-vote-go");
    if (!cmd || !go) return;
    cmd.value = `${answer.id.replace(/^ans-/, "")} ${kind} ${Date.now()}`;
    cmd.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(() => go.click(), 60);
    answer.querySelectorAll(".tl-tools [data-act=up], .tl-tools [data-act=down]").forEach((b) =>
      b.setAttribute("aria-pressed", String(b.getAttribute("data-act") === kind)));
  };
  const tools = () => {
    const t = el("div", { class: "tl-tools", role: "group", "aria-label": "Thao tác với câu trả lời" });
    t.append(el("button", { type: "button", class: "tl-tool", "data-act": "copy" }, "📋 Sao chép"),
      el("button", { type: "button", class: "tl-tool", "data-act": "up", "aria-pressed": "false",
        "aria-label": "Hữu ích" }, "👍 Hữu ích"),
      el("button", { type: "button", class: "tl-tool", "data-act": "down", "aria-pressed": "false",
        "aria-label": "Chưa tốt" }, "👎 Chưa tốt"));
    return t;
  };
  let saved = "";
  const tidy = () => {
    if (!embedded && document.documentElement.lang !== "vi") document.documentElement.lang = "vi";
    $$(".gradio-container").forEach((g) => g.getAttribute("lang") !== "vi" && g.setAttribute("lang", "vi"));
    $$("[aria-label*=\"'s message: \"]").forEach((m) => {
      const who = m.closest(".user-row, .user") ? "Câu hỏi: " : "Trả lời: ";
      m.setAttribute("aria-label", who + (m.innerText || m.textContent || "").trim().slice(0, 2000));
    });
    $$(".gradio-container [aria-label], .gradio-container [title]").forEach((e) => {
      for (const attr of ["aria-label", "title"]) {
        const v = e.getAttribute(attr);
        if (v && VI[v]) e.setAttribute(attr, VI[v]);
      }
    });
    $$("#tl-chat .tl-passage:not([tabindex])").forEach((p) => {  // a scrolling passage: reachable by keyboard
      const title = p.closest(".tl-card")?.querySelector(".tl-title");
      p.setAttribute("tabindex", "0");
      p.setAttribute("role", "region");
      p.setAttribute("aria-label", "Đoạn trích" + (title ? `: ${title.textContent}` : ""));
    });
    // A passage taller than its box opens at its first highlighted sentence, a line of context above it,
    // when that sentence would otherwise be below the fold (a letter's "Kính gửi" under its letterhead).
    $$("#tl-chat .tl-passage:not([data-tl-opened])").forEach((p) => {
      if (!p.clientHeight) return;  // not laid out yet (a folded card): tried again on the next change
      p.setAttribute("data-tl-opened", "");
      const mark = p.querySelector("mark");
      if (!mark || p.scrollHeight <= p.clientHeight) return;
      const box = p.getBoundingClientRect();
      const at = mark.getBoundingClientRect();
      if (at.bottom - box.top <= p.clientHeight) return;
      const line = parseFloat(getComputedStyle(p).lineHeight) || 20;
      p.scrollTop = Math.max(0, at.top - box.top + p.scrollTop - line);
    });
    const answers = finalAnswers();
    answers.forEach((a) => {
      if (a.querySelector(".tl-tools")) return;
      const data = answerData(a);
      const names = {};
      (data ? data.sources : []).forEach((s) => { names[s.n] = s.name; });
      a.querySelectorAll("a.tl-cite").forEach((l) => {
        const n = (l.getAttribute("href") || "").split("-").pop();
        l.setAttribute("aria-label", `Nguồn ${n}` + (names[n] ? `: ${names[n]}` : ""));
      });
      a.querySelectorAll(".tl-card").forEach((card) => {
        const open = card.querySelector("a.tl-open");
        const name = card.querySelector(".tl-title");
        if (open && name) open.setAttribute("aria-label", `Xem toàn văn: ${name.textContent}`);
      });
      a.append(tools());
    });
    const keys = answers.map((a) => a.id).join(",");
    if (keys && keys !== saved) { saved = keys; saveCurrent(); }
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; tidy(); });
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"] });
  const start = () => {
    tidy();
    renderHistory();
    if (window.matchMedia("(max-width: 700px)").matches) {  // phone: the examples start folded
      const ex = $("#tl-examples > button, #tl-examples .label-wrap");
      if (ex && $("#tl-examples .tl-example")) ex.click();
    }
  };
  setTimeout(start, 300);

  document.addEventListener("click", async (event) => {
    const path = event.composedPath ? event.composedPath() : [event.target];
    const has = (cls) => path.find((n) => n && n.classList && n.classList.contains(cls));
    const tool = has("tl-tool");
    if (tool) {
      const answer = tool.closest(".tl-answer");
      const act = tool.getAttribute("data-act");
      if (act === "copy") {
        const ok = await copyText(plainAnswer(answerData(answer)));
        tool.textContent = ok ? "✓ Đã sao chép" : "Không sao chép được";
        say(tool.textContent);
        setTimeout(() => { tool.textContent = "📋 Sao chép"; }, 2500);
      } else vote(answer, act);
      return;
    }
    const clear = path.find((n) => n && n.tagName === "BUTTON" && n.closest && n.closest("#tl-chat")
      && ["Clear", VI.Clear].includes(n.getAttribute("aria-label")));
    if (clear) window.tlNewConversation();  // the chat's own trash button: the next answers start a new entry
    const hist = has("tl-hist-open");
    if (hist) { openSaved(hist.getAttribute("data-id"), hist); return; }
    const open = has("tl-open");
    if (open) {  // a new tab; in the web component the relative link would resolve against the portal page
      event.preventDefault();
      window.open(appUrl(open.getAttribute("href")), "_blank", "noopener");
      return;
    }
    const link = has("tl-cite");
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const id = (link.getAttribute("href") || "").replace(/^#/, "");
    const root = link.getRootNode();
    const card = (root && root.getElementById ? root.getElementById(id) : null)
      || document.getElementById(id);
    if (!card) return;
    window.tlScrollWithin(card, 24);
    card.classList.remove("tl-flash");
    void card.offsetWidth;
    card.classList.add("tl-flash");
  }, true);
}
"""

# After an answer is complete: show the question and the beginning of the answer (autoscroll leaves
# the view at the last source card).
SCROLL_TO_ANSWER_JS = """
() => {
  const show = () => {
    const answers = document.querySelectorAll("#tl-chat .tl-answer");
    const last = answers[answers.length - 1];
    if (!last || !window.tlScrollWithin) return;
    const row = last.closest(".message-row") || last;
    const prev = row.previousElementSibling;
    window.tlScrollWithin(prev && prev.classList.contains("user-row") ? prev : row, 8);
  };
  // gradio's own autoscroll runs after the last update renders; scroll once it has settled.
  setTimeout(show, 350);
}
"""

CSS = """
:root, .gradio-container { --tl-accent-text: #1d4ed8; --tl-accent-bg: #eff6ff; }
.dark, .dark .gradio-container { --tl-accent-text: #93c5fd; --tl-accent-bg: #1e293b; }
footer { display: none !important; }  /* gradio's footer is English ("Use via API", "Built with Gradio") */
.tl-hidden, .tl-data { display: none !important; }
.tl-sr { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
.gradio-container { max-width: 1320px !important; margin: 0 auto !important; }
#tl-header { margin-bottom: 4px; }
.tl-header { padding: 14px 4px 6px 4px; border-bottom: 1px solid var(--border-color-primary); }
.tl-h-title { margin: 0; font-size: 1.45rem; font-weight: 650; color: var(--body-text-color); letter-spacing: -0.01em; }
.tl-h-sub { margin-top: 4px; color: var(--body-text-color-subdued); font-size: 0.93rem; line-height: 1.5;
  max-width: 920px; }
.tl-h-cite { color: var(--tl-accent-text); font-weight: 600; }
.tl-side-title { font-weight: 600; font-size: 0.95rem; margin: 2px 0 2px 2px; color: var(--body-text-color); }
.tl-example { justify-content: flex-start !important; text-align: left !important;
  white-space: normal !important;
  font-weight: 400 !important; line-height: 1.35 !important; }
#tl-actions { align-items: center; gap: 8px; }
#tl-fb-q { flex: 1 1 0% !important; min-width: 0 !important; }
.tl-fb-label { text-align: right; padding: 4px 6px; color: var(--body-text-color-subdued);
  font-size: 0.9rem; }
#tl-fb-status { min-height: 0; padding: 0 8px; color: var(--body-text-color-subdued); }

.tl-user { white-space: normal; overflow-wrap: anywhere; }
.tl-answer { line-height: 1.6; overflow-wrap: anywhere; }
.tl-text { font-size: 1rem; }
.tl-pending { color: var(--body-text-color-subdued); font-style: italic; }
.tl-abstained { font-weight: 500; }
.tl-notice { background: #fff7e6; border: 1px solid #f5c26b; color: #7a4b00; border-radius: 6px;
  padding: 6px 10px; margin-bottom: 8px; font-size: 0.9rem; }
.tl-error { background: #fdecec; border: 1px solid #f1a7a7; color: #8a1f1f; border-radius: 6px;
  padding: 6px 10px; }
.dark .tl-notice { background: #3a2a08; border-color: #8a6417; color: #ffd98a; }
.dark .tl-error { background: #3b1212; border-color: #8f3434; color: #ffc2c2; }
a.tl-cite { display: inline-block; padding: 0 3px; margin: 0 1px; border-radius: 4px; font-size: 0.85em;
  font-weight: 600; line-height: 1.3; text-decoration: none !important; color: var(--tl-accent-text) !important;
  background: var(--tl-accent-bg); vertical-align: baseline; cursor: pointer; }
a.tl-cite:hover, a.tl-cite:focus-visible { background: #1d4ed8; color: white !important; }
.tl-sources { margin-top: 14px; }
.tl-label { font-size: 0.78rem; line-height: 1.4; font-weight: 650; text-transform: uppercase; letter-spacing: 0.04em;
  color: var(--body-text-color-subdued); margin: 0 0 6px 2px; }
.tl-card { border: 1px solid var(--border-color-primary); border-left: 3px solid var(--color-accent);
  border-radius: 8px; padding: 10px 12px; margin: 0 0 10px 0; background: var(--background-fill-primary);
  scroll-margin: 80px; transition: box-shadow 0.3s; }
.tl-card-plain { border-left-color: var(--border-color-primary); }
.tl-card.tl-flash { animation: tl-flash 1.6s ease-out; }
@keyframes tl-flash { 0% { box-shadow: 0 0 0 3px var(--color-accent); }
  100% { box-shadow: 0 0 0 0 transparent; } }
.tl-card-head { display: flex; gap: 8px; align-items: baseline; }
.tl-num { font-weight: 700; color: var(--tl-accent-text); flex: none; }
.tl-title { font-weight: 600; color: var(--body-text-color); }
.tl-meta { font-size: 0.83rem; color: var(--body-text-color-subdued); margin-top: 2px; }
.tl-card-foot { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; justify-content: space-between;
  margin-top: 4px; font-size: 0.8rem; color: var(--body-text-color-subdued); }
.tl-file { font-family: var(--font-mono); font-size: 0.78rem; overflow-wrap: anywhere; }
a.tl-open { color: var(--tl-accent-text) !important; font-weight: 600; }
a.tl-doc-link { color: var(--body-text-color) !important; font-weight: inherit; text-decoration: none !important; }
a.tl-doc-link:hover, a.tl-doc-link:focus-visible { text-decoration: underline !important; }
.tl-section { font-size: 0.83rem; color: var(--body-text-color); margin-top: 4px; padding: 2px 8px;
  background: var(--background-fill-secondary); border-radius: 4px; display: inline-block; }
.tl-passage { margin-top: 8px; font-size: 0.9rem; color: var(--body-text-color); max-height: 320px;
  overflow-y: auto;
  padding-right: 4px; }
.tl-passage mark { background: #fff0a8; color: inherit; padding: 1px 0; border-radius: 2px; }
.dark .tl-passage mark { background: #6b5a00; }
details.tl-related { margin-top: 8px; border-top: 1px dashed var(--border-color-primary); padding-top: 6px; }
details.tl-related > summary { cursor: pointer; font-size: 0.88rem; color: var(--body-text-color-subdued);
  padding: 4px 2px; }
details.tl-related[open] > summary { margin-bottom: 6px; }

ul.tl-docs { list-style: none; padding: 0; margin: 0; }
.tl-docs-summary, .tl-docs-more { font-size: 0.85rem; color: var(--body-text-color-subdued); padding: 6px 2px; }
li.tl-doc { padding: 8px 2px; border-bottom: 1px solid var(--border-color-primary); }
li.tl-doc:last-child { border-bottom: none; }
.tl-doc-title { font-size: 0.9rem; font-weight: 550; line-height: 1.35; color: var(--body-text-color); }
.tl-doc-meta { font-size: 0.8rem; color: var(--body-text-color-subdued); margin-top: 2px; }
.tl-kind { font-size: 0.68rem; font-weight: 650; text-transform: uppercase; letter-spacing: 0.03em;
  color: var(--tl-accent-text); margin-right: 6px; }
.tl-empty { color: var(--body-text-color-subdued); font-size: 0.9rem; }

/* per-answer tools, saved conversations, the saved-conversation dialog */
.tl-tools { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }
.tl-tool { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 3px 10px; font-size: 0.85rem;
  background: var(--background-fill-primary); color: var(--body-text-color); cursor: pointer; white-space: nowrap; }
.tl-tool[aria-pressed="true"] { background: var(--tl-accent-bg); border-color: var(--tl-accent-text);
  color: var(--tl-accent-text); font-weight: 600; }
.tl-tool:focus-visible, .tl-hist-open:focus-visible, a.tl-cite:focus-visible, .tl-passage:focus-visible {
  outline: 2px solid #1d4ed8;
  outline-offset: 2px; }
#tl-keep { gap: 6px; flex-wrap: wrap; }
ul.tl-hist { list-style: none; margin: 0; padding: 0; max-height: 260px; overflow-y: auto; }
.tl-hist-open { display: block; width: 100%; text-align: left; background: none; border: none;
  border-bottom: 1px solid var(--border-color-primary); padding: 6px 2px; cursor: pointer;
  color: var(--body-text-color); }
.tl-hist-title { display: block; font-size: 0.88rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.tl-hist-time { display: block; font-size: 0.78rem; color: var(--body-text-color-subdued); }
#tl-saved { position: fixed; inset: 0; z-index: 1000; background: rgba(15, 23, 42, 0.55); display: flex;
  align-items: flex-start; justify-content: center; overflow-y: auto; padding: 24px 8px; }
.tl-saved-box { background: var(--background-fill-primary, #fff); color: var(--body-text-color, #111);
  max-width: 860px; width: 100%; border-radius: 10px; padding: 16px 20px; }
.tl-saved-box h2 { margin: 0 0 2px 0; font-size: 1.15rem; }
.tl-saved-box h3 { font-size: 1rem; margin: 14px 0 4px 0; }
.tl-saved-bar { display: flex; flex-wrap: wrap; gap: 6px; margin: 8px 0; }
.tl-saved-bar button { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 4px 10px;
  background: var(--background-fill-secondary); color: var(--body-text-color); cursor: pointer; }
.tl-saved-a { white-space: pre-wrap; margin: 0; }
ol.tl-saved-src { font-size: 0.85rem; color: var(--body-text-color-subdued); }

.tl-toast { position: fixed; bottom: 16px; left: 50%; transform: translateX(-50%); z-index: 1001; max-width: 90vw;
  background: #1e293b; color: #fff; padding: 8px 14px; border-radius: 8px; font-size: 0.9rem; }

/* the «Nhiệm vụ» tab (assistant/tasks_page.py): units table, upcoming deadlines, task cards by plan */
#tl-tasks ul.tl-task-list, #tl-tasks ul.tl-upcoming { list-style: none; padding: 0; margin: 0; }
#tl-tasks blockquote.tl-passage { max-height: none; overflow: visible; margin: 8px 0 0 0; padding: 0 0 0 10px;
  border-left: 2px solid var(--border-color-primary); }
.tl-tasks-h { font-size: 1.05rem; font-weight: 650; margin: 10px 0 6px 0; color: var(--body-text-color); }
.tl-plan-h { font-size: 0.95rem; font-weight: 650; margin: 14px 0 6px 0; color: var(--body-text-color); }
.tl-tasks-sub { font-size: 0.9rem; color: var(--body-text-color-subdued); margin: 2px 0 8px 2px; }
.tl-due { font-size: 0.85rem; font-weight: 600; margin-top: 4px; color: var(--body-text-color); }
.tl-units { width: 100%; border-collapse: collapse; font-size: 0.88rem; color: var(--body-text-color); }
.tl-units caption { text-align: left; font-weight: 650; padding: 4px 0; }
.tl-units th, .tl-units td { padding: 3px 6px; border-bottom: 1px solid var(--border-color-primary); }
.tl-units tbody th { text-align: left; font-weight: 400; }
.tl-units thead th { text-align: left; font-weight: 650; }
.tl-units td { text-align: right; font-variant-numeric: tabular-nums; }
.tl-upcoming-item { margin: 0 0 8px 0; font-size: 0.88rem; color: var(--body-text-color); }
.tl-upcoming-date { font-weight: 700; font-variant-numeric: tabular-nums; }
.tl-upcoming-unit { font-weight: 600; }
a.tl-ics { display: inline-block; margin: 6px 0; font-weight: 600; color: var(--tl-accent-text) !important; }

/* phone: the input on the first screen, cards within the width, the feedback row on its own lines */
@media (max-width: 700px) {
  .gradio-container { padding: 0 6px !important; }
  .tl-h-sub { display: none; }
  .tl-h-title { font-size: 1.1rem; }
  #tl-chat { height: 52vh !important; max-height: 52vh !important; }
  #tl-main > div { min-width: 0 !important; flex-basis: 100% !important; }
  #tl-actions { flex-wrap: wrap !important; }
  #tl-fb-q { flex: 1 1 100% !important; }
  .tl-fb-label { text-align: left; }
  .tl-card { max-width: 100%; box-sizing: border-box; }
  .tl-passage { max-height: 40vh; }
}

/* print: the whole conversation with its sources, nothing else */
@media print {
  #tl-side, #tl-input, #tl-actions, #tl-comment, #tl-fb-status, #tl-keep, .tl-tools, .tl-h-sub, footer,
  #tl-tabs [role=tablist], .icon-button-wrapper, button.scroll-down-arrow,
  #tl-saved .tl-saved-bar { display: none !important; }
  #tl-chat, #tl-chat * { height: auto !important; max-height: none !important; overflow: visible !important; }
  .tl-passage { max-height: none !important; }
  .tl-card { break-inside: avoid; }
  details.tl-related { display: none; }
  body.tl-print-saved .gradio-container { display: none !important; }
  body.tl-print-saved #tl-saved { position: static; background: none; padding: 0; }
  body:not(.tl-print-saved) #tl-saved { display: none !important; }
}
"""
