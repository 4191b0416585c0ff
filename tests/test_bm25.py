from pathlib import Path

import pytest

from index.bm25 import BM25Index, bm25_tokens
from index.errors import IndexDamagedError

TEXTS = {
    "c1": "Phòng Nội vụ là cơ quan đầu mối, tham mưu báo cáo quý và năm.",
    "c2": "Ủy ban MTTQ và các tổ chức chính trị - xã hội tham gia giám sát.",
    "c3": "Người dân ở khu phố được ý kiến về thủ tục hành chính.",
}


def build() -> BM25Index:
    return BM25Index.build(list(TEXTS), list(TEXTS.values()))


def test_tokens_keep_one_letter_syllables_and_add_folded_copies():
    toks = bm25_tokens("Ở ý Nội vụ")
    assert {"ở", "ý", "nội", "vụ", "o", "y", "noi", "vu"} <= set(toks)
    assert toks.count("vu") == 1


def test_accented_and_unaccented_queries_find_the_same_chunk():
    idx = build()
    assert idx.search("báo cáo quý", 3)[0][0] == "c1"
    assert idx.search("bao cao quy", 3)[0][0] == "c1"
    assert idx.search("ở", 3)[0][0] == "c3"  # one-letter syllable is searchable


def test_no_match_and_filter():
    idx = build()
    assert idx.search("zzzz", 3) == []
    assert [c for c, _ in idx.search("giám sát báo cáo", 3, allowed={"c2"})] == ["c2"]


def test_save_load_round_trip_keeps_tokenizer_and_scores(tmp_path: Path):
    idx = build()
    idx.save(tmp_path / "b")
    again = BM25Index.load(tmp_path / "b")
    assert again.search("bao cao quy", 3) == idx.search("bao cao quy", 3)
    assert again.idf("noi") == idx.idf("noi")


def test_load_refuses_another_tokenizer(tmp_path: Path):
    idx = build()
    idx.save(tmp_path / "b")
    meta = tmp_path / "b" / "bm25.json"
    meta.write_text(meta.read_text(encoding="utf-8").replace("syllables+folded", "english-stemmer"), encoding="utf-8")
    with pytest.raises(IndexDamagedError):
        BM25Index.load(tmp_path / "b")


def test_idf_rare_terms_weigh_more():
    idx = build()
    assert idx.idf("noi") > idx.idf("va")  # "và" appears in two chunks


def test_scores_are_bm25s_own_bit_for_bit() -> None:
    """The numpy scoring from term counts gives every term column bm25s's `index()` gives, float for float."""
    import bm25s
    import numpy as np

    from index.pipeline import index_text
    from index.types import Chunk

    corpus_dir = Path(__file__).resolve().parents[1] / "corpus"
    docs = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.txt"))]
    paragraphs = [x for doc in docs for x in doc.split("\n\n")]
    texts = [index_text(Chunk(str(i), "d", "d", i, x, 0, len(x))) for i, x in enumerate(paragraphs)]
    texts += ["", "!!!"]  # chunks without terms count the empty term, as bm25s does
    ref = bm25s.BM25(k1=1.2, b=0.75)
    ref.index([bm25_tokens(t) or [""] for t in texts], show_progress=False)
    ours = BM25Index.build([str(i) for i in range(len(texts))], texts)
    model = ours._model
    assert set(model.vocab_dict) | {""} == set(ref.vocab_dict) | {""} and len(model.vocab_dict) > 500
    for term in model.vocab_dict:
        assert np.array_equal(model.get_scores([term]), ref.get_scores([term])), term
    q = bm25_tokens("báo cáo quý Phòng Nội vụ bao cao")
    assert np.array_equal(model.get_scores(q), ref.get_scores(q))


def test_term_counts_select_extend_and_round_trip(tmp_path: Path) -> None:
    from index.bm25 import TermCounts

    a = TermCounts.from_tokens([["a", "b", "a"], ["c"], []])
    b = TermCounts.from_tokens([["d", "a"], ["b", "b"]])
    both = a.extended(b)
    assert [both.row(i) for i in range(both.rows)] == [{"a": 2, "b": 1}, {"c": 1}, {"": 1}, {"d": 1, "a": 1}, {"b": 2}]
    picked = both.select([4, 0, 3])
    assert [picked.row(i) for i in range(3)] == [{"b": 2}, {"a": 2, "b": 1}, {"d": 1, "a": 1}]
    assert sorted(picked.vocab) == ["a", "b", "d"]  # terms no kept row uses are dropped
    picked.save(tmp_path / "c.npz")
    again = TermCounts.load(tmp_path / "c.npz")
    assert again.vocab == picked.vocab and [again.row(i) for i in range(3)] == [picked.row(i) for i in range(3)]
    ids = ["x", "y", "z"]
    assert BM25Index.from_counts(ids, picked).search("a d", 3) == BM25Index.build(ids, ["b b", "a a b", "d a"]).search(
        "a d", 3
    )
