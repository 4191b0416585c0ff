"""Property-based tests (hypothesis): arbitrary Unicode never crashes the normaliser, loaders, chunker or
retriever; normalisation is idempotent; every chunk's offsets slice the original text back to the chunk."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assistant.engine import Assistant, clean_question
from assistant.errors import QuestionError
from assistant.settings import Settings
from index.bm25 import BM25Index
from index.chunking import chunk_document
from index.clean import clean
from index.embed import HashEmbedder
from index.errors import LoaderError
from index.loaders import read_text
from index.normalize import fold, normalize, tokenize
from index.types import Document

from .conftest import CORPUS

FAST = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

# Any code point (surrogates included), plus text built from the pieces that matter for Vietnamese:
# precomposed and combining tone marks, oa/oe/uy pairs, heading numerals, sentence ends, odd spaces.
ANY = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=400)
PIECES = st.sampled_from(
    [
        *"aăâeêioôơuưyđĐ",
        *"\u0300\u0301\u0309\u0303\u0323",
        "hoà",
        "hòa",
        "uỷ",
        "ủy",
        "khoẻ",
        "quý",
        "gìn",
        "\n",
        "\n\n",
        " ",
        "\t",
        "\u00a0",
        "\u200b",
        "\ufeff",
        "\r\n",
        ". ",
        ": ",
        "; ",
        "? ",
        "…",
        "I. ",
        "II. ",
        "III. ",
        "1. ",
        "2. ",
        "a) ",
        "Điều 3. ",
        "Nơi nhận:",
        "“",
        "”",
        "(",
        ")",
        "Phòng Nội vụ",
        "Kế hoạch",
        "báo cáo quý",
        "😀",
        "计划",
        "<b>",
        "&amp;",
        "#",
    ]
)
VIET = st.lists(PIECES, max_size=120).map("".join)
TEXT = st.one_of(ANY, VIET)
EMBEDDER = HashEmbedder()


@FAST
@given(TEXT)
def test_normalisation_is_idempotent_and_total(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert unicodedata.is_normalized("NFC", once) or any(0xD800 <= ord(c) <= 0xDFFF for c in once)
    # fold strips marks after normalising, so a mark on a space can leave a trailing space ("0 \u0300" →
    # "0 "): folding is idempotent up to whitespace, which tokenize ignores.
    assert fold(fold(text)).split() == fold(text).split()
    assert tokenize(once) == tokenize(text)
    assert all(t == t.lower() and t for t in tokenize(text))


@FAST
@given(TEXT, st.integers(min_value=8, max_value=80), st.integers(min_value=0, max_value=20))
def test_chunk_offsets_slice_the_original_text(text: str, max_tokens: int, overlap: int) -> None:
    doc = Document("d.txt", "d.txt", "/d.txt", text, "h")
    chunks = chunk_document(doc, EMBEDDER.count_tokens, max_tokens, overlap)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for c in chunks:
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end] == c.text and c.text.strip()
        assert EMBEDDER.count_tokens(c.text) <= max_tokens
    covered = "".join(c.text for c in chunks)
    assert all(w in covered for w in text.split() if len(w) < 20)  # nothing of substance dropped


@FAST
@given(TEXT)
def test_cleaned_text_is_chunkable(text: str) -> None:
    cleaned = clean(text)
    doc = Document("d.txt", "d.txt", "/d.txt", cleaned, "h")
    for c in chunk_document(doc, EMBEDDER.count_tokens, 64, 8):
        assert cleaned[c.start : c.end] == c.text


@FAST
@given(st.binary(max_size=2000), st.sampled_from([".txt", ".md", ".html"]))
def test_loaders_return_text_or_a_one_line_error(tmp_path_factory: pytest.TempPathFactory, data: bytes, ext: str):
    path = tmp_path_factory.mktemp("bytes") / f"f{ext}"
    path.write_bytes(data)
    try:
        text = read_text(path)
    except LoaderError as e:
        assert "\n" not in str(e) and path.name in str(e)
    else:
        assert text.strip() and "\x00" not in text


@FAST
@given(st.lists(TEXT, min_size=1, max_size=6), TEXT)
def test_bm25_builds_and_searches_anything(texts: list[str], query: str) -> None:
    ids = [f"c{i}" for i in range(len(texts))]
    hits = BM25Index.build(ids, texts).search(query, 3)
    assert len(hits) <= 3 and all(cid in ids and score > 0 for cid, score in hits)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    data: Path = tmp_path_factory.mktemp("property") / "data"
    settings_ = Settings(embed_backend="hash", data_dir=data)
    Assistant(settings_).sync([CORPUS])
    return Assistant.open(settings_)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=TEXT)
def test_retriever_and_answerer_take_any_query(toy: Assistant, query: str) -> None:
    hits = toy.retriever.retrieve(query, k=5)
    assert len(hits) <= 5 and len({h.chunk.chunk_id for h in hits}) == len(hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    try:
        q = clean_question(query, toy.settings.max_question_chars)
    except QuestionError as e:
        assert "\n" not in str(e)
        return
    assume(q)
    answer = toy.ask(query)
    assert answer.abstained or answer.citations
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        for s, e in c.quotes:
            assert 0 <= s < e <= len(c.text)
