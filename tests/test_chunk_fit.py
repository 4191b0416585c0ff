"""Chunks fit the real embedder: nothing it indexes is silently truncated."""

from __future__ import annotations

import pytest

from index.pipeline import index_text


@pytest.mark.slow
def test_every_indexed_text_fits_the_model(real_assistant):
    idx = real_assistant.index
    emb = idx.embedder
    chunks = list(idx.chunks().values())
    assert len(chunks) > 40
    worst = max(emb.count_tokens(index_text(c)) for c in chunks)
    assert worst <= emb.max_tokens, worst
    # the chunk text itself respects the configured budget
    assert max(emb.count_tokens(c.text) for c in chunks) <= real_assistant.settings.chunk_max_tokens
