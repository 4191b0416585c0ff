"""The Gradio chat page (Vietnamese): streamed answers with linked [n] citations, filters, feedback."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import gradio as gr
from anyio import to_thread

from assistant.chat import Conversation
from assistant.errors import USER_ERRORS, QuestionError
from assistant.render import (
    DOC_PAGE,
    doc_label,
    esc,
    newest_first,
    render_answer,
    render_documents,
    render_error,
    render_partial,
    render_pending,
    render_user,
)
from assistant.service import AssistantService
from assistant.settings import Settings
from assistant.tasks_page import TasksView, build_tasks_view, wire_tasks_view
from assistant.types import Answer
from assistant.ui_assets import CSS, HEADER, JS, PLACEHOLDER, SCROLL_TO_ANSWER_JS
from index.errors import IndexPipelineError
from index.types import MAX_YEAR, MIN_YEAR, FilterError, Filters

log = logging.getLogger(__name__)

TITLE = "Trợ lý tra cứu kế hoạch dân vận chính quyền"
EXAMPLES = (
    "Ai chịu trách nhiệm báo cáo quý?",
    "Kế hoạch của quận Gò Vấp năm 2010 do ai ký?",
    "Các phường phải làm gì trong công tác dân vận chính quyền năm 2025?",
    "Ban Dân vận Thành ủy Hà Nội được yêu cầu những gì năm 2018?",
    "Who coordinates the reports on mass mobilisation work in Ba Dinh?",
)
INTERNAL_ERROR = "Đã xảy ra lỗi khi trả lời; vui lòng thử lại sau."
UNAVAILABLE = "Kho tài liệu chưa sẵn sàng (chưa lập chỉ mục); vui lòng báo quản trị viên hoặc thử lại sau."
NO_ANSWER_YET = "Chưa có câu trả lời nào để đánh giá."
VOTE_WRITE_FAILED = "Không ghi được phản hồi (lỗi máy chủ)."
# The newest answers of a session that can still be rated (their feedback records are kept server-side, ~10 KB
# each: bounded like the rest of a session's state, `ASSISTANT_MAX_SESSIONS`).
MAX_KEPT_ANSWERS = 20
TOO_OLD = "Câu trả lời này đã quá cũ để đánh giá; hãy đánh giá một câu trả lời gần đây hơn."
THANKS = "Đã ghi nhận phản hồi. Cảm ơn bạn!"
STREAM_DELAY_S = 0.02
MAX_SHOWN_QUESTION = 3000
CORPUS_LIST_MAX = 40  # documents listed one by one in the corpus box; beyond, a summary and the newest
FILTER_CHOICES_MAX = 300  # documents (and issuing bodies) offered in a filter's list; more are typed

Chat = list[dict[str, Any]]
T = TypeVar("T")


def theme() -> gr.themes.Base:
    """Theme with system fonts only (nothing fetched from a font CDN), every text at least 4.5:1 against its
    background in light and dark (WCAG AA; the default grey and blue are 2.6:1 and 3.7:1 on white)."""
    return gr.themes.Default(
        primary_hue="blue",
        neutral_hue="slate",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "sans-serif"],
        # Liberation and Noto Mono have every Vietnamese letter; DejaVu Sans Mono, Linux's default, lacks "ế".
        font_mono=[
            "ui-monospace",
            "SFMono-Regular",
            "Menlo",
            "Consolas",
            "Liberation Mono",
            "Noto Sans Mono",
            "monospace",
        ],
    ).set(
        body_text_color_subdued="*neutral_600",
        body_text_color_subdued_dark="*neutral_400",
        input_placeholder_color="*neutral_500",
        input_placeholder_color_dark="*neutral_400",
        block_label_text_color="*neutral_600",
        block_label_text_color_dark="*neutral_300",
        block_info_text_color="*neutral_600",
        block_info_text_color_dark="*neutral_400",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_dark="*primary_700",
        button_primary_background_fill_hover_dark="*primary_800",
        color_accent="*primary_700",
    )


def mount_options() -> dict[str, Any]:
    """Look-and-feel arguments of `gr.mount_gradio_app` (gradio 6 takes them at mount time)."""
    return {"theme": theme(), "css": CSS, "js": JS}


def make_filters(
    sources: Sequence[str] | None,
    issuers: Sequence[str] | None,
    year_min: str | float | None,
    year_max: str | float | None,
) -> Filters | None:
    """Filters from the filter widgets; None when nothing is restricted. An empty year box is no bound;
    anything but a year in 1900–2100 is a clear error."""
    years: list[int | None] = []
    for y in (year_min, year_max):
        text = "" if y is None else str(y).strip()
        if text.endswith(".0"):  # a number sent by an API client as a float
            text = text[:-2]
        if not text:
            years.append(None)
        elif text.isascii() and text.isdigit() and len(text) <= 4 and MIN_YEAR <= int(text) <= MAX_YEAR:
            years.append(int(text))
        else:
            raise QuestionError(f"Năm lọc phải là một năm từ {MIN_YEAR} đến {MAX_YEAR} (nhận được: «{text[:20]}»).")
    try:  # the year rule every caller shares (index.types.check_years): 1900-2100, from <= to
        f = Filters(sources=tuple(sources or ()), issuers=tuple(issuers or ()), year_min=years[0], year_max=years[1])
    except FilterError as e:
        raise QuestionError(str(e)) from None
    return None if f.is_empty() else f


Outputs = tuple[str, Chat, Chat, Chat, dict[str, Any] | None, dict[str, dict[str, Any]]]


def error_message(e: Exception) -> str:
    """What the page says when answering failed (the details go to the log, never to the page)."""
    if isinstance(e, IndexPipelineError):  # the fix-it message (paths, commands) is for the operator's log
        log.warning("index unavailable: %s", e)
        return UNAVAILABLE
    if isinstance(e, USER_ERRORS):
        log.info("question refused: %s", e)
        return str(e)
    log.error("answering failed", exc_info=e)
    return INTERNAL_ERROR


async def in_threads(parts: Iterator[T]) -> AsyncIterator[T]:
    """The items of a blocking iterator, each made in a worker thread, so that the event loop stays free."""
    while (part := await to_thread.run_sync(next, parts, None)) is not None:
        yield part


def feedback_record(answer: Answer, earlier: Sequence[str], key: str) -> dict[str, Any]:
    """What a 👍/👎 on this answer writes (`AssistantService.record_feedback`)."""
    return {
        "question": answer.question,
        "answer": answer.answer,
        "citations": [c.to_json() for c in answer.citations],
        "turns": list(earlier),
        "answer_id": key,
    }


class ChatPage:
    """The chat page's event handlers over one answering service; `build_ui` lays the page out and wires them.

    A browser session's state lives in `gr.State`s and reaches the handlers as arguments: the chat box's messages,
    the conversation's history (`Conversation`), the last answer's feedback record and the kept ones by id."""

    def __init__(self, service: AssistantService) -> None:
        self.service = service

    async def respond(
        self,
        question: str,
        chat: Chat,
        history: Chat,
        sources: list[str],
        issuers: list[str],
        year_min: str | None,
        year_max: str | None,
        answers: dict[str, dict[str, Any]] | None = None,
    ) -> AsyncIterator[Outputs]:
        """Answer the question in the context of the conversation, streaming the answer in.

        `chat` is what the chat box shows, kept on the server (a `gr.State`): the chat box is an output only,
        so no client can hand Gradio a message holding a file object (docs/SECURITY.md).
        Async so that a question waiting for an answer slot holds no thread; the engine runs in threads.
        """
        chat, answers = list(chat or []), dict(answers or {})
        conv = Conversation(self.service, history=history or [])
        earlier = conv.questions()
        q = question if isinstance(question, str) else ""
        if q.strip():
            shown = q if len(q) <= MAX_SHOWN_QUESTION else q[:MAX_SHOWN_QUESTION] + "…"
            chat.append({"role": "user", "content": render_user(shown)})
        chat.append({"role": "assistant", "content": render_pending()})
        yield "", chat, chat, conv.history, None, answers
        answer: Answer | None = None
        shown_text = ""
        try:
            conv.filters = make_filters(sources, issuers, year_min, year_max)
            async with self.service.slots.slot():
                async for part in in_threads(conv.stream(q)):
                    if isinstance(part, Answer):
                        answer = part
                        continue
                    shown_text += part  # text as it grows (LLM deltas, or the quoted answer in pieces)
                    chat[-1] = {"role": "assistant", "content": render_partial(shown_text)}
                    yield "", chat, chat, conv.history, None, answers
                    await asyncio.sleep(STREAM_DELAY_S)
            if answer is None:  # a stream always ends with the Answer; guard against a broken backend
                raise RuntimeError("answer stream ended without a final answer")
        except Exception as e:
            chat[-1] = {"role": "assistant", "content": render_error(error_message(e))}
            yield "", chat, chat, conv.history, None, answers
            return
        key = uuid.uuid4().hex[:16]  # the answer's id: its cards' anchors, its feedback line
        # The final answer is authoritative: it replaces the streamed text (e.g. after a fallback).
        chat[-1] = {"role": "assistant", "content": render_answer(answer, key)}
        answers[key] = last = feedback_record(answer, earlier, key)
        yield "", chat, chat, conv.history, last, dict(list(answers.items())[-MAX_KEPT_ANSWERS:])

    def new_conversation(self) -> tuple[Chat, Chat, Chat, None, str, str, dict[str, Any]]:
        """Start a new conversation (the page has saved the old one in the browser's list)."""
        return [], [], [], None, "", "", {}

    def vote_up(self, last: dict[str, Any] | None, comment: str) -> tuple[str, str]:
        """Record 👍 (and the optional comment) on the last answer."""
        return record_vote(self.service, "up", last, comment)

    def vote_down(self, last: dict[str, Any] | None, comment: str) -> tuple[str, str]:
        """Record 👎 (and the optional comment) on the last answer."""
        return record_vote(self.service, "down", last, comment)

    def vote_any(self, command: str, answers: dict[str, dict[str, Any]] | None, comment: str) -> tuple[str, str]:
        """Record 👍/👎 on any answer of the conversation (the answer's own buttons)."""
        return vote_by_command(self.service, command, answers, comment)

    def load_corpus(self) -> tuple[str, Any, Any]:
        """Document list and filter choices, read when the page opens (the index may have changed)."""
        html, sources, issuers = corpus_view(self.service)
        return html, gr.update(choices=sources), gr.update(choices=issuers)


@dataclass
class PageWidgets:
    """The components `build_ui` wires to the handlers."""

    chat_state: gr.State
    history: gr.State
    last: gr.State
    answers: gr.State
    chatbot: gr.Chatbot
    msg: gr.Textbox
    send: gr.Button
    new: gr.Button
    up: gr.Button
    down: gr.Button
    comment: gr.Textbox
    status: gr.Markdown
    export_md: gr.Button
    export_docx: gr.Button
    print_chat: gr.Button
    vote_cmd: gr.Textbox
    vote_go: gr.Button
    examples: list[gr.Button]
    f_sources: gr.Dropdown
    f_issuers: gr.Dropdown
    f_min: gr.Textbox
    f_max: gr.Textbox
    corpus: gr.HTML


def build_ui(service: AssistantService, settings: Settings) -> gr.Blocks:
    """The chat page over `service` (which opens the index when first needed): layout, then wiring."""
    page = ChatPage(service)
    corpus_html, source_choices, issuer_choices = corpus_view(service)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as blocks:
        gr.HTML(HEADER.format(title=esc(TITLE)), elem_id="tl-header")
        gr.HTML('<div id="tl-live" class="tl-sr" role="status" aria-live="polite"></div>', elem_classes=["tl-sr"])
        states: dict[str, Any] = {
            "chat_state": gr.State([]),  # the chat box's messages, kept server-side
            "history": gr.State([]),  # the conversation's turns (`Conversation.history`)
            "last": gr.State(None),
            "answers": gr.State({}),  # answer id -> its feedback record, so any answer can be rated
        }
        with gr.Tabs(elem_id="tl-tabs"):
            with gr.Tab("Hỏi đáp", id="chat", elem_id="tl-tab-chat"):
                with gr.Row(equal_height=False, elem_id="tl-main"):
                    chat_column = _chat_column()
                    side_column = _side_column(corpus_html, source_choices, issuer_choices)
            with gr.Tab("Nhiệm vụ", id="tasks", elem_id="tl-tab-tasks") as tasks_tab:
                tasks_widgets = build_tasks_view()  # issue 18: units, their tasks and deadlines (tasks_page.py)
        widgets = PageWidgets(**states, **chat_column, **side_column)
        _wire(page, widgets, blocks)
        wire_tasks_view(TasksView(settings.index_dir), tasks_widgets, blocks, tasks_tab)
    # Gradio keeps every session's state (10,000 by default, ~150 KB each): bound the memory it can take.
    blocks.state_session_capacity = settings.max_sessions
    # Gradio's own queue only bounds bursts (its "busy" toast is English); questions queue in AnswerSlots.
    blocks.queue(
        max_size=settings.concurrency_limit + settings.queue_size,
        default_concurrency_limit=settings.concurrency_limit,
    )
    return blocks


def _chat_column() -> dict[str, Any]:
    """The conversation, the question box and the buttons under it."""
    with gr.Column(scale=7, min_width=320):
        gr.HTML('<h2 class="tl-sr">Hội thoại</h2>', elem_classes=["tl-sr"])
        chatbot = gr.Chatbot(
            label="Hội thoại",
            show_label=False,
            elem_id="tl-chat",
            height=640,
            layout="panel",
            sanitize_html=True,
            render_markdown=False,
            latex_delimiters=[],
            feedback_options=None,
            placeholder=PLACEHOLDER,
            buttons=[],
            autoscroll=True,
        )
        with gr.Row(elem_id="tl-input"):
            msg = gr.Textbox(
                label="Câu hỏi",
                show_label=False,
                placeholder="Nhập câu hỏi về các kế hoạch, văn bản… (Enter để gửi)",
                lines=1,
                max_lines=6,
                scale=8,
                elem_id="tl-question",
            )
            send = gr.Button("Gửi", variant="primary", scale=1, min_width=90, elem_id="tl-send")
        with gr.Row(elem_id="tl-actions", equal_height=True):
            new = gr.Button(
                "Cuộc trò chuyện mới",
                size="sm",
                variant="secondary",
                scale=0,
                min_width=170,
                elem_id="tl-new",
            )
            gr.HTML(
                '<div class="tl-fb-label">Câu trả lời mới nhất có hữu ích không?</div>',
                elem_id="tl-fb-q",
                scale=1,
                min_width=120,
            )
            up = gr.Button("👍 Hữu ích", size="sm", scale=0, min_width=110, elem_id="tl-up")
            down = gr.Button("👎 Chưa tốt", size="sm", scale=0, min_width=110, elem_id="tl-down")
        comment = gr.Textbox(
            label="Góp ý về câu trả lời",
            show_label=False,
            lines=1,
            max_lines=4,
            elem_id="tl-comment",
            placeholder="Góp ý về câu trả lời (không bắt buộc), rồi bấm 👍 hoặc 👎",
        )
        status = gr.Markdown("", elem_id="tl-fb-status")
        with gr.Row(elem_id="tl-keep"):
            export_md = gr.Button("Tải Markdown", size="sm", scale=0, min_width=130, elem_id="tl-export-md")
            export_docx = gr.Button("Tải Word (.docx)", size="sm", scale=0, min_width=150, elem_id="tl-export-docx")
            print_chat = gr.Button("In hội thoại", size="sm", scale=0, min_width=120, elem_id="tl-print")
        # The answers' own 👍/👎 buttons write "<answer id> <vote>" here and press the hidden button.
        vote_cmd = gr.Textbox(label="Đánh giá", elem_id="tl-vote-cmd", elem_classes=["tl-hidden"])
        vote_go = gr.Button("Gửi đánh giá", elem_id="tl-vote-go", elem_classes=["tl-hidden"])
    return {
        "chatbot": chatbot,
        "msg": msg,
        "send": send,
        "new": new,
        "up": up,
        "down": down,
        "comment": comment,
        "status": status,
        "export_md": export_md,
        "export_docx": export_docx,
        "print_chat": print_chat,
        "vote_cmd": vote_cmd,
        "vote_go": vote_go,
    }


def _side_column(corpus_html: str, source_choices: list[tuple[str, str]], issuer_choices: list[str]) -> dict[str, Any]:
    """Example questions, the saved conversations, the filters and the document list."""
    with gr.Column(scale=3, min_width=280, elem_id="tl-side"):
        with gr.Accordion("Câu hỏi mẫu", open=True, elem_id="tl-examples"):
            examples = [gr.Button(q, size="sm", elem_classes=["tl-example"]) for q in EXAMPLES]
        gr.HTML(
            '<h2 class="tl-side-title">Cuộc trò chuyện đã lưu</h2>'
            '<div id="tl-history-list" class="tl-history-list"></div>',
            elem_id="tl-history",
        )
        with gr.Accordion("Bộ lọc", open=False, elem_id="tl-filters"):
            f_sources = gr.Dropdown(
                label="Văn bản",
                info="Chọn trong danh sách, hoặc gõ tên tệp rồi Enter.",
                multiselect=True,
                choices=source_choices,
                value=[],
                allow_custom_value=True,
                elem_id="tl-f-sources",
            )
            f_issuers = gr.Dropdown(
                label="Cơ quan ban hành",
                multiselect=True,
                choices=issuer_choices,
                value=[],
                elem_id="tl-f-issuers",
            )
            with gr.Row():
                # Text boxes: an empty gr.Number shows and sends 0 ("year 0"), and its bounds fail in English.
                f_min = gr.Textbox(label="Từ năm", placeholder="vd. 2010", max_lines=1, elem_id="tl-f-min")
                f_max = gr.Textbox(label="Đến năm", placeholder="vd. 2025", max_lines=1, elem_id="tl-f-max")
        with gr.Accordion("Tài liệu trong kho", open=True, elem_id="tl-corpus"):
            corpus = gr.HTML(corpus_html)
    return {
        "examples": examples,
        "f_sources": f_sources,
        "f_issuers": f_issuers,
        "f_min": f_min,
        "f_max": f_max,
        "corpus": corpus,
    }


def _wire(page: ChatPage, w: PageWidgets, blocks: gr.Blocks) -> None:
    """Connect the page's events to the handlers of `page`."""
    outputs = [w.msg, w.chatbot, w.chat_state, w.history, w.last, w.answers]
    filters = [w.f_sources, w.f_issuers, w.f_min, w.f_max]
    gr.on(
        [w.msg.submit, w.send.click],
        page.respond,
        inputs=[w.msg, w.chat_state, w.history, *filters, w.answers],
        outputs=outputs,
        api_name="ask",
        show_progress="hidden",
        concurrency_id="chat",
        concurrency_limit=None,  # AnswerSlots limits answers and says "busy" in Vietnamese
    ).then(None, js=SCROLL_TO_ANSWER_JS, api_visibility="private")
    for button in w.examples:
        button.click(
            page.respond,
            inputs=[button, w.chat_state, w.history, *filters, w.answers],
            outputs=outputs,
            api_visibility="private",
            show_progress="hidden",
            concurrency_id="chat",
            concurrency_limit=None,
        ).then(None, js=SCROLL_TO_ANSWER_JS, api_visibility="private")
    cleared = [w.chatbot, w.chat_state, w.history, w.last, w.comment, w.status, w.answers]
    w.new.click(None, js="() => window.tlNewConversation && window.tlNewConversation()", api_visibility="private")
    w.new.click(page.new_conversation, outputs=cleared, api_visibility="private")
    w.chatbot.clear(page.new_conversation, outputs=cleared, api_visibility="private")
    w.export_md.click(None, js="() => window.tlExport && window.tlExport('md')", api_visibility="private")
    w.export_docx.click(None, js="() => window.tlExport && window.tlExport('docx')", api_visibility="private")
    w.print_chat.click(None, js="() => window.tlPrint && window.tlPrint()", api_visibility="private")
    voted = [w.status, w.comment]
    w.vote_go.click(page.vote_any, inputs=[w.vote_cmd, w.answers, w.comment], outputs=voted, api_visibility="private")
    w.up.click(page.vote_up, inputs=[w.last, w.comment], outputs=voted, api_visibility="private")
    w.down.click(page.vote_down, inputs=[w.last, w.comment], outputs=voted, api_visibility="private")
    blocks.load(
        page.load_corpus, outputs=[w.corpus, w.f_sources, w.f_issuers], api_visibility="private", show_progress="hidden"
    )


def vote_by_command(
    service: AssistantService, command: str, answers: dict[str, dict[str, Any]] | None, comment: str
) -> tuple[str, str]:
    """Record the vote `command` ("<answer id> <up|down> …", written by an answer's 👍/👎) on that answer of the
    session; a changed vote replaces the earlier one (same answer id)."""
    key, _, rest = str(command or "").partition(" ")
    kind = rest.split(" ", 1)[0]
    if kind not in ("up", "down"):
        return NO_ANSWER_YET, comment
    record = (answers or {}).get(key)
    if record is None and answers:
        return TOO_OLD, comment
    return record_vote(service, kind, record, comment)


def record_vote(service: AssistantService, kind: str, record: dict[str, Any] | None, comment: str) -> tuple[str, str]:
    """Write one 👍/👎 for an answer's feedback record; the status line and the (emptied) comment box."""
    if not record:
        return NO_ANSWER_YET, comment
    try:
        service.record_feedback(vote=kind, comment=comment or "", **record)
    except OSError:
        log.exception("cannot write feedback")
        return VOTE_WRITE_FAILED, comment
    return THANKS, ""


# The whole library (assistant/library.py): "tl-open" links open in a new tab at the app's own address, also in
# the web component, whose relative links would resolve against the portal page.
LIBRARY_LINK = (
    f'<p class="tl-library"><a class="tl-open" href="{DOC_PAGE}" target="_blank" rel="noopener">'
    "Thư viện tài liệu: tìm, lọc và đọc toàn văn mọi văn bản</a></p>"
)


def corpus_view(service: AssistantService) -> tuple[str, list[tuple[str, str]], list[str]]:
    """HTML list of the indexed documents, and the choices of the document and issuer filters."""
    try:
        docs = service.documents()
    except USER_ERRORS as e:
        log.warning("document list unavailable: %s", e)
        return render_error(UNAVAILABLE), [], []
    return corpus_view_of(docs)


def corpus_view_of(docs: Sequence[dict[str, Any]]) -> tuple[str, list[tuple[str, str]], list[str]]:
    """The corpus box and the filter choices for these documents, bounded for large corpora: the box lists
    `CORPUS_LIST_MAX` documents at most, the document filter offers the `FILTER_CHOICES_MAX` newest (any
    other is typed by file name), the issuer filter the `FILTER_CHOICES_MAX` bodies with most documents."""
    shown = docs if len(docs) <= FILTER_CHOICES_MAX else newest_first(docs)[:FILTER_CHOICES_MAX]
    sources = [(doc_label(d), d["source"]) for d in shown]
    counts = Counter(d["meta"].get("issuer", "") for d in docs if d["meta"].get("issuer"))
    issuers = (
        sorted(counts) if len(counts) <= FILTER_CHOICES_MAX else [i for i, _ in counts.most_common(FILTER_CHOICES_MAX)]
    )
    return LIBRARY_LINK + render_documents(docs, limit=CORPUS_LIST_MAX), sources, issuers
