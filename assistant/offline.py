"""Switch off everything in our dependencies that would reach the internet at run time.

Imported first by every entry point, before gradio, chromadb, transformers or llama-index load.
"""

from __future__ import annotations

import os

# Values are defaults: a deployment may still set them explicitly, except the ones that only download.
_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",  # a hub id instead of a folder would otherwise retry for ~70 s
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",  # gradio_client's own argument for this has no effect
    "ANONYMIZED_TELEMETRY": "False",  # chromadb
    "TOKENIZERS_PARALLELISM": "false",
    "OMP_WAIT_POLICY": "PASSIVE",  # llama.cpp / OpenMP spin-waits starve the other core otherwise
    "NO_PROXY": "127.0.0.1,localhost,::1",
    "no_proxy": "127.0.0.1,localhost,::1",
}


def apply_offline_env() -> None:
    """Set the environment so that no library phones home; idempotent."""
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    # llama-index only downloads NLTK/tiktoken data when these point elsewhere than its bundled copy.
    for key in ("NLTK_DATA", "TIKTOKEN_CACHE_DIR"):
        os.environ.pop(key, None)


class DefaultModelUsedError(RuntimeError):
    """A llama-index global default model was resolved instead of an explicit one."""


def forbid_llama_index_defaults() -> None:
    """Make llama-index's silent OpenAI fallbacks fail loudly: every model must be passed explicitly."""
    from llama_index.core import Settings as LISettings
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.llms.mock import MockLLM

    class _ForbiddenEmbedding(BaseEmbedding):
        """Raises on use: code fell back to llama-index's global embed model."""

        def _fail(self, *args: object, **kwargs: object) -> list[float]:
            raise DefaultModelUsedError("llama-index default embed model used; pass embed_model explicitly")

        _get_query_embedding = _fail
        _get_text_embedding = _fail

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._fail()

    class _ForbiddenLLM(MockLLM):
        """Raises on use: code fell back to llama-index's global LLM."""

        def complete(self, *args: object, **kwargs: object):  # type: ignore[override]
            raise DefaultModelUsedError("llama-index default LLM used; pass llm explicitly")

        def chat(self, *args: object, **kwargs: object):  # type: ignore[override]
            raise DefaultModelUsedError("llama-index default LLM used; pass llm explicitly")

    LISettings.embed_model = _ForbiddenEmbedding(model_name="forbidden-default")
    LISettings.llm = _ForbiddenLLM(max_tokens=None)


apply_offline_env()
