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
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("syllables+folded", "english-stemmer"), encoding="utf-8"
    )
    with pytest.raises(IndexDamagedError):
        BM25Index.load(tmp_path / "b")


def test_idf_rare_terms_weigh_more():
    idx = build()
    assert idx.idf("noi") > idx.idf("va")  # "và" appears in two chunks
