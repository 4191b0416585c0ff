"""Static look of the chat page: header, placeholder, CSS and the citation-link script."""

from __future__ import annotations

HEADER = """
<div class="tl-header">
  <div class="tl-h-title">{title}</div>
  <div class="tl-h-sub">Hỏi bằng tiếng Việt (hoặc tiếng Anh) về các kế hoạch, thông báo, tin tức
  trong kho tài liệu.
  Mỗi ý trả lời có số <span class="tl-h-cite">[n]</span> dẫn tới đoạn văn bản gốc; bấm vào số để xem nguồn.
  Nếu tài liệu không có thông tin, trợ lý sẽ nói rõ là không tìm thấy.</div>
</div>
"""

PLACEHOLDER = "**Xin chào!** Hãy đặt một câu hỏi về các văn bản trong kho, hoặc chọn một câu hỏi mẫu ở cột bên phải."

# Citation links scroll to their card in the same message. A plain "#id" link is not enough: the page
# has a <base href>, so it could navigate away (and lose the chat) instead of scrolling. Scrolling
# moves only the chat's own scroll box, not the page around it (or the intranet page embedding it).
JS = """
() => {
  if (window.__tlReady) return;
  window.__tlReady = true;
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
  document.addEventListener("click", (event) => {
    const path = event.composedPath ? event.composedPath() : [event.target];
    const link = path.find((el) => el && el.classList && el.classList.contains("tl-cite"));
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
.gradio-container { max-width: 1320px !important; margin: 0 auto !important; }
#tl-header { margin-bottom: 4px; }
.tl-header { padding: 14px 4px 6px 4px; border-bottom: 1px solid var(--border-color-primary); }
.tl-h-title { font-size: 1.45rem; font-weight: 650; color: var(--body-text-color); letter-spacing: -0.01em; }
.tl-h-sub { margin-top: 4px; color: var(--body-text-color-subdued); font-size: 0.93rem; line-height: 1.5;
  max-width: 920px; }
.tl-h-cite { color: var(--color-accent); font-weight: 600; }
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
  font-weight: 600; line-height: 1.3; text-decoration: none !important; color: var(--color-accent) !important;
  background: var(--color-accent-soft); vertical-align: baseline; cursor: pointer; }
a.tl-cite:hover { background: var(--color-accent); color: white !important; }
.tl-sources { margin-top: 14px; }
.tl-label { font-size: 0.78rem; font-weight: 650; text-transform: uppercase; letter-spacing: 0.04em;
  color: var(--body-text-color-subdued); margin: 0 0 6px 2px; }
.tl-card { border: 1px solid var(--border-color-primary); border-left: 3px solid var(--color-accent);
  border-radius: 8px; padding: 10px 12px; margin: 0 0 10px 0; background: var(--background-fill-primary);
  scroll-margin: 80px; transition: box-shadow 0.3s; }
.tl-card-plain { border-left-color: var(--border-color-primary); }
.tl-card.tl-flash { animation: tl-flash 1.6s ease-out; }
@keyframes tl-flash { 0% { box-shadow: 0 0 0 3px var(--color-accent); }
  100% { box-shadow: 0 0 0 0 transparent; } }
.tl-card-head { display: flex; gap: 8px; align-items: baseline; }
.tl-num { font-weight: 700; color: var(--color-accent); flex: none; }
.tl-title { font-weight: 600; color: var(--body-text-color); }
.tl-meta { font-size: 0.83rem; color: var(--body-text-color-subdued); margin-top: 2px; }
.tl-file { font-family: var(--font-mono); font-size: 0.78rem; }
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
  color: var(--color-accent); margin-right: 6px; }
.tl-empty { color: var(--body-text-color-subdued); font-size: 0.9rem; }
"""
