"""Bad input gets one clear line and leaves the index untouched: questions (engine, CLI) and files (ingest)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.errors import QuestionError
from assistant.settings import Settings
from index.errors import LoaderError
from index.loaders import read_text

from .conftest import CORPUS, GO_VAP_2010, REPO
from .fixtures.make_fixtures import write_pdf

VIET = "Kế hoạch số 08/KH-UBND của Ủy ban nhân dân quận Thử Nghiệm về công tác tiếp dân năm 2011.\n"


def index_state(data: Path) -> dict[str, str]:
    """Hash of every file of the index folder (what must not change)."""
    root = data / "index"
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "chroma" not in p.parts  # chroma's sqlite changes on reads (WAL, stats)
    }


def invariant(a: Assistant) -> set[str]:
    """Manifest, BM25, chunks file and Chroma hold exactly the same chunk ids, each once."""
    idx = a.index
    listed = [c for d in idx.manifest()["documents"].values() for c in d["chunk_ids"]]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(idx.bm25().chunk_ids) == set(idx.chunks()) == idx.dense().ids()
    return set(listed)


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    """A hash-embedder index of the bundled corpus, built once (read-only use)."""
    root = tmp_path_factory.mktemp("bad-input")
    settings = Settings(embed_backend="hash", data_dir=root / "data", max_question_chars=10_000)
    Assistant(settings).sync([CORPUS])
    return settings, root / "data"


# ------------------------------------------------------------------------------------------- questions
REFUSED = {
    "empty": "",
    "whitespace": "  \n\t \u3000 ",
    "too-long": "báo cáo quý " * 1000,  # 12,000 characters, over the 10,000 set
    "control-only": "\x00\x01\x1b[2J\x7f",
    "punctuation-only": "?!... ;:— «»",
    "emoji-only": "😀🙏🏽👍",
    "invisible-only": "\u200b\ufeff\u2060",
}
ANSWERED = {
    "controls-inside": "Ai chịu\x00 trách nhiệm\x1b[31m báo cáo quý?",
    "mixed-scripts": "Ai ký kế hoạch 计划 план خطة Gò Vấp?",
    "emoji-and-words": "🙂 Ai ký kế hoạch của quận Gò Vấp? 🙏",
    "sql": "'; DROP TABLE chunks; -- Ai ký?",
    "markdown": "**Ai** ký [kế hoạch](http://evil) `Gò Vấp`? # tiêu đề",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)> Ai ký kế hoạch?",
    "combining-marks": "\u0301\u0323 Ai ky\u0301 kê\u0301 hoa\u0323ch?",
    "fullwidth": "ＡＩ ＫÝ Ｋế ｈoạch?",
    "exactly-the-limit": ("báo cáo quý " * 834)[:10_000],
}


@pytest.mark.parametrize("question", REFUSED.values(), ids=REFUSED.keys())
def test_refused_questions_get_one_line(toy: tuple[Settings, Path], question: str) -> None:
    settings, data = toy
    before = index_state(data)
    with pytest.raises(QuestionError) as err:
        Assistant.open(settings).ask(question)
    message = str(err.value)
    assert message and "\n" not in message and len(message) < 200
    assert index_state(data) == before


@pytest.mark.parametrize("question", ANSWERED.values(), ids=ANSWERED.keys())
def test_odd_questions_are_answered_or_abstained(toy: tuple[Settings, Path], question: str) -> None:
    settings, data = toy
    before = index_state(data)
    answer = Assistant.open(settings).ask(question)
    assert answer.answer and (answer.abstained or answer.citations)
    assert all(1 <= c.n <= len(answer.citations) for c in answer.citations)
    assert index_state(data) == before


def test_question_limit_is_a_setting(toy: tuple[Settings, Path]) -> None:
    settings, _ = toy
    short = Assistant.open(settings.model_copy(update={"max_question_chars": 20}))
    with pytest.raises(QuestionError, match="20"):
        short.ask("Ai chịu trách nhiệm báo cáo quý?")


def cli(args: list[str], data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    full.update({"ASSISTANT_DATA_DIR": str(data), "ASSISTANT_EMBED_BACKEND": "hash", **env})
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=full, cwd=REPO, timeout=300
    )


@pytest.mark.integration
def test_cli_refuses_bad_questions_in_one_line(toy: tuple[Settings, Path]) -> None:
    _, data = toy
    for question in ("\x01\x02", "x" * 10_001):
        r = cli(["ask", question], data, ASSISTANT_MAX_QUESTION_CHARS="10000")
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


# ------------------------------------------------------------------------------------------------ files
def write_bad_files(folder: Path, outside: Path) -> dict[str, str]:
    """Every kind of bad file, named after what it is; returns name → expected words of its message."""
    from PIL import Image
    from pypdf import PdfReader, PdfWriter

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rong.txt").write_bytes(b"")
    (folder / "rac.pdf").write_bytes(os.urandom(4096))
    (folder / "rac.docx").write_bytes(os.urandom(4096))
    (folder / "rac.txt").write_bytes(os.urandom(4096))
    writer = PdfWriter()
    for page in PdfReader(write_pdf(outside / "plain.pdf", [[VIET.strip()]])).pages:
        writer.add_page(page)
    writer.encrypt(user_password="bi-mat", algorithm="RC4-128")
    with (folder / "ma-hoa.pdf").open("wb") as f:
        writer.write(f)
    Image.new("RGB", (300, 400), "white").save(folder / "ban-scan.pdf")  # an image, no text layer
    with open(folder / "qua-lon.txt", "wb") as f:  # 200 MB, sparse: no disk used, never read
        f.truncate(200 * 1024 * 1024)
    os.symlink("vong-b.txt", folder / "vong-a.txt")
    os.symlink("vong-a.txt", folder / "vong-b.txt")
    secret = outside / "bi-mat.txt"
    secret.write_text("Mật khẩu quản trị: không được đưa vào chỉ mục.\n", encoding="utf-8")
    os.symlink(secret, folder / "lien-ket-ra-ngoai.txt")
    return {
        "rong.txt": "empty",
        "rac.pdf": "PDF",
        "rac.docx": "Word",
        "rac.txt": "binary",
        "ma-hoa.pdf": "encrypted",
        "ban-scan.pdf": "OCR",
        "qua-lon.txt": "ASSISTANT_MAX_FILE_MB",
        "lien-ket-ra-ngoai.txt": "ASSISTANT_INGEST_DIRS",
    }


def write_good_odd_files(folder: Path) -> None:
    """Legal text in legacy or wide encodings, and a duplicate of a corpus file under another name."""
    from .test_loaders import _cp1258

    (folder / "cp1258.txt").write_bytes(_cp1258(VIET.replace("Thử Nghiệm", "Một")))
    (folder / "utf16-bom.txt").write_bytes(VIET.replace("Thử Nghiệm", "Hai").encode("utf-16"))
    (folder / "utf16-khong-bom.txt").write_bytes(VIET.replace("Thử Nghiệm", "Ba").encode("utf-16-le"))
    shutil.copy(CORPUS / GO_VAP_2010, folder / "ban-sao-go-vap.txt")


@pytest.fixture
def mixed_corpus(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    corpus = tmp_path / "data" / "inbox"  # under the data folder: allowed by default
    shutil.copytree(CORPUS, corpus)
    outside = tmp_path / "outside"
    outside.mkdir()
    expected = write_bad_files(corpus, outside)
    write_good_odd_files(corpus)
    return corpus, expected


def test_bad_files_are_reported_in_one_line_each(mixed_corpus: tuple[Path, dict[str, str]]) -> None:
    corpus, expected = mixed_corpus
    a = Assistant(Settings(embed_backend="hash"))
    report = a.sync([corpus])
    failed = {Path(p).name: msg for p, msg in report.failed}
    assert set(failed) == set(expected), failed
    for name, words in expected.items():
        assert name in failed[name] and words in failed[name] and "\n" not in failed[name], failed[name]
    assert report.duplicates == ["ban-sao-go-vap.txt"]
    assert set(report.added) == {p.name for p in CORPUS.iterdir()} | {
        "cp1258.txt",
        "utf16-bom.txt",
        "utf16-khong-bom.txt",
    }
    texts = {c.doc_id: c.text for c in a.index.chunks().values()}
    for name, place in (("cp1258.txt", "Một"), ("utf16-bom.txt", "Hai"), ("utf16-khong-bom.txt", "Ba")):
        assert f"Ủy ban nhân dân quận {place}" in " ".join(t for d, t in texts.items() if d.startswith(name))
    invariant(a)
    again = Assistant(Settings(embed_backend="hash")).sync([corpus])  # idempotent, still one copy
    assert not again.changed and again.duplicates == ["ban-sao-go-vap.txt"]
    assert not any("bi-mat" in c or "Mật khẩu" in t for c, t in texts.items())


def test_size_limit_is_a_setting(tmp_path: Path) -> None:
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "vua.txt").write_text(VIET * 30_000, encoding="utf-8")  # about 3 MB
    small = Assistant(Settings(embed_backend="hash", max_file_mb=1)).sync([inbox])
    assert small.failed and "1 MB" in small.failed[0][1] and not small.added
    # readable text, over 1 MB only (its 2.8 million characters are also over the default character limit)
    assert read_text(inbox / "vua.txt", max_chars=3_000_000).startswith("Kế hoạch")


@pytest.mark.integration
def test_cli_build_with_bad_files_reports_them_and_leaves_the_index_untouched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    inbox = data / "inbox"
    shutil.copytree(CORPUS, inbox)
    assert cli(["index", "build", str(inbox)], data).returncode == 0
    before = index_state(data)
    outside = tmp_path / "outside"
    outside.mkdir()
    expected = write_bad_files(inbox, outside)
    r = cli(["index", "build", str(inbox)], data)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    skipped = [line for line in r.stderr.splitlines() if line.startswith("Bỏ qua")]
    assert len(skipped) == len(expected) and f"lỗi {len(expected)}" in r.stdout, r.stderr
    assert index_state(data) == before


@pytest.mark.integration
def test_paths_outside_the_allowed_folders_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(["index", "build"], data).returncode == 0  # the bundled corpus is allowed by default
    before = index_state(data)
    outside = tmp_path / "elsewhere"
    shutil.copytree(CORPUS, outside)
    for args in (
        ["index", "build", str(outside)],
        ["index", "add", "/etc"],
    ):
        r = cli(args, data)
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "ASSISTANT_INGEST_DIRS" in r.stderr, r.stderr
    link = data / "inbox"
    link.symlink_to(outside)  # a link inside the data folder that points out is refused too
    r = cli(["index", "add", str(link)], data)
    assert r.returncode == 2 and "ASSISTANT_INGEST_DIRS" in r.stderr
    assert index_state(data) == before
    ok = cli(["index", "add", str(outside / GO_VAP_2010)], data, ASSISTANT_INGEST_DIRS=str(outside))
    assert ok.returncode == 0 and "giữ nguyên" in ok.stdout  # same content as the bundled copy: once


# --------------------------------------------------------------------------------- the data folder
def test_links_into_the_data_folder_are_refused(tmp_path: Path) -> None:
    """The data folder is allowed (e.g. data/inbox), but never its own state, nor a link into it from outside."""
    data, corpus = tmp_path / "data", tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = Settings(embed_backend="hash", data_dir=data, corpus_dir=corpus)  # no extra ingest folder
    assert len(Assistant(settings).sync().added) == 5
    (data / "feedback.jsonl").write_text('{"question": "Mật khẩu quản trị là gì?"}\n', encoding="utf-8")
    (data / "logs").mkdir()
    (data / "logs" / "assistant.log").write_text("WARNING nhật ký\n", encoding="utf-8")
    (data / "inbox").mkdir()
    (data / "inbox" / "dat-vao-data.txt").write_text(VIET, encoding="utf-8")
    links = {
        "manifest.txt": data / "index" / "manifest.json",
        "chunks.txt": data / "index" / "chunks.jsonl",
        "phan-hoi.txt": data / "feedback.jsonl",
        "nhat-ky.txt": data / "logs" / "assistant.log",
        "vao-inbox.txt": data / "inbox" / "dat-vao-data.txt",  # not state, but a link from outside into it
    }
    for name, target in links.items():
        (corpus / name).symlink_to(target)
    before = index_state(data)
    report = Assistant(settings).sync()
    failed = {Path(p).name: msg for p, msg in report.failed}
    assert set(failed) == set(links), failed
    for name, msg in failed.items():
        assert name in msg and "ASSISTANT_DATA_DIR" in msg and "\n" not in msg, msg
    assert not report.changed and len(report.unchanged) == 5
    assert index_state(data) == before

    (tmp_path / "chi-muc").symlink_to(data / "index", target_is_directory=True)
    (tmp_path / "hop-thu").symlink_to(data / "inbox", target_is_directory=True)
    for root in (data / "index", data / "cache", tmp_path / "chi-muc", tmp_path / "hop-thu"):
        with pytest.raises(LoaderError, match="ASSISTANT_DATA_DIR"):
            Assistant(settings).sync([root], remove_missing=False)
    assert index_state(data) == before
    # A file deliberately put in the data folder, named directly, is still read.
    assert Assistant(settings).sync([data / "inbox"], remove_missing=False).added == ["dat-vao-data.txt"]


def test_an_index_outside_the_data_folder_is_never_read(tmp_path: Path) -> None:
    corpus, shared = tmp_path / "corpus", tmp_path / "shared-index"
    shutil.copytree(CORPUS, corpus)
    settings = Settings(
        embed_backend="hash", data_dir=tmp_path / "data", corpus_dir=corpus, index_path=shared, ingest_dirs=[tmp_path]
    )
    Assistant(settings).sync()
    (corpus / "manifest.txt").symlink_to(shared / "manifest.json")
    (corpus / "nested").mkdir()
    (corpus / "nested" / "chunks.txt").symlink_to(shared / "chunks.jsonl")
    report = Assistant(settings).sync()
    assert sorted(Path(p).name for p, _ in report.failed) == ["chunks.txt", "manifest.txt"], report.failed
    assert all("ASSISTANT_INDEX_PATH" in msg for _, msg in report.failed)
    assert not report.changed
    with pytest.raises(LoaderError, match="ASSISTANT_INDEX_PATH"):
        Assistant(settings).sync([shared], remove_missing=False)  # inside an allowed folder, still refused
