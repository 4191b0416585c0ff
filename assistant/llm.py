"""LLM backends chosen by the settings: an OpenAI-compatible server, Ollama, or llama.cpp in process.

Every backend is built explicitly (never from llama-index globals) and talks only to the URL in the
settings: there is no default to api.openai.com, no tiktoken look-up and no model download. The API key
goes into the HTTP client alone, never into a pydantic field, a log line or an error message.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.llms import LLM, CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from assistant.errors import ConfigError
from assistant.redact import add_secrets, redact
from assistant.settings import Settings

log = logging.getLogger(__name__)

CONTEXT_WINDOW = 8192  # tokens; our prompt (8 passages of ≤ 220 tokens) needs about 3,000
MAX_ANSWER_TOKENS = 768
TEMPERATURE = 0.1
OLLAMA_DEFAULT_URL = "http://127.0.0.1:11434"
_NO_KEY = "no-key"  # sent when no key is set, so that an OPENAI_API_KEY from the environment never leaks
LLAMA_CPP_HINT = (
    "The llamacpp backend needs llama-cpp-python: pip install '.[local-llm]' with "
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON" '
    "(a native build crashes on this CPU kind)."
)


def make_llm(settings: Settings) -> LLM | None:
    """The LLM the settings select, or None for the extractive answerer; ConfigError when it cannot work."""
    if settings.llm == "extractive":
        return None
    add_secrets(settings.llm_api_key.get_secret_value())  # a failing server may echo it back in its error
    if settings.llm == "openai":
        return _openai_like(settings)
    if settings.llm == "ollama":
        return _ollama(settings)
    if settings.llm == "llamacpp":
        return _llamacpp(settings)
    raise ConfigError(f"Unknown LLM backend {settings.llm!r}")


def describe_llm(settings: Settings) -> str:
    """A one-line description for logs and the UI footer (backend, model, server; never the key)."""
    if settings.llm == "extractive":
        return "extractive"
    where = settings.llm_base_url or (OLLAMA_DEFAULT_URL if settings.llm == "ollama" else "")
    if settings.llm == "llamacpp":
        return f"llamacpp {Path(settings.llm_model).name}"
    return f"{settings.llm} {settings.llm_model} at {where}"


def _check_url(url: str, variable: str = "ASSISTANT_LLM_BASE_URL") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{variable} must be an http(s) URL such as http://127.0.0.1:8080/v1, got {redact(url)!r}")
    return url.rstrip("/")


def _openai_like(settings: Settings) -> LLM:
    """A chat model behind an OpenAI-compatible server (vLLM, llama.cpp server, LM Studio, TGI...)."""
    import openai
    from llama_index.llms.openai_like import OpenAILike

    if not settings.llm_base_url:
        # Without it the OpenAI client would fall back to api.openai.com.
        raise ConfigError("ASSISTANT_LLM_BASE_URL is required for the openai backend (e.g. http://127.0.0.1:8080/v1)")
    if not settings.llm_model:
        raise ConfigError("ASSISTANT_LLM_MODEL is required for the openai backend (the served model name)")
    url = _check_url(settings.llm_base_url)
    key = settings.llm_api_key.get_secret_value() or _NO_KEY
    # Retries live in the OpenAI client (short back-off). llama-index's own retry decorator is switched
    # off (max_retries=0 below): stacked on the client's, it would make (n+1)² attempts 1-20 s apart.
    client_args: dict[str, Any] = {
        "api_key": key,
        "base_url": url,
        "timeout": settings.llm_timeout_s,
        "max_retries": settings.llm_max_retries,
    }
    return OpenAILike(  # type: ignore[call-arg]
        model=settings.llm_model,
        api_base=url,
        api_key=_NO_KEY,  # the real key lives only inside the clients below
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=CONTEXT_WINDOW,
        max_tokens=MAX_ANSWER_TOKENS,  # set, so llama-index never counts prompt tokens (tiktoken)
        temperature=TEMPERATURE,
        timeout=settings.llm_timeout_s,
        max_retries=0,
        tokenizer=None,
        # Accepted by OpenAI.__init__, which the pydantic-generated signature mypy sees does not show.
        openai_client=openai.OpenAI(**client_args),
        async_openai_client=openai.AsyncOpenAI(**client_args),
    )


def _ollama(settings: Settings) -> LLM:
    """A model served by Ollama's /api/chat."""
    import ollama
    from llama_index.llms.ollama import Ollama

    if not settings.llm_model:
        raise ConfigError("ASSISTANT_LLM_MODEL is required for the ollama backend (e.g. qwen2.5:7b-instruct)")
    url = _check_url(settings.llm_base_url or OLLAMA_DEFAULT_URL)
    key = settings.llm_api_key.get_secret_value()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Ollama(
        model=settings.llm_model,
        base_url=url,
        request_timeout=settings.llm_timeout_s,
        context_window=CONTEXT_WINDOW,  # set, so no /api/show round trip per call
        temperature=TEMPERATURE,
        is_function_calling_model=False,
        additional_kwargs={"num_predict": MAX_ANSWER_TOKENS},
        client=ollama.Client(host=url, timeout=settings.llm_timeout_s, headers=headers),
        async_client=ollama.AsyncClient(host=url, timeout=settings.llm_timeout_s, headers=headers),
    )


def _llamacpp(settings: Settings) -> LLM:
    """A GGUF model run in process by llama-cpp-python (optional extra `local-llm`)."""
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before the import: OpenMP spin-waits starve the other core
    try:
        import llama_cpp
    except ImportError:
        raise ConfigError(LLAMA_CPP_HINT) from None
    path = Path(settings.llm_model).expanduser()
    if not path.is_file():
        raise ConfigError(f"ASSISTANT_LLM_MODEL must be the path of a GGUF file for llamacpp; not found: {path}")
    llama = llama_cpp.Llama(model_path=str(path), n_threads=2, n_ctx=CONTEXT_WINDOW, verbose=False)
    return LlamaCppLLM(llama, model_name=path.name)


def _message_dicts(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role.value, "content": m.content or ""} for m in messages]


class LlamaCppLLM(CustomLLM):
    """llama-index adapter for a `llama_cpp.Llama`; chats through the model's own chat template."""

    model_name: str = "llama.cpp"
    max_tokens: int = MAX_ANSWER_TOKENS
    temperature: float = TEMPERATURE
    _llama: Any = PrivateAttr()

    def __init__(self, llama: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._llama = llama

    @classmethod
    def class_name(cls) -> str:
        """Name used by llama-index serialisation."""
        return "assistant_llama_cpp"

    @property
    def metadata(self) -> LLMMetadata:
        """Context window and output budget of the loaded model."""
        return LLMMetadata(
            context_window=CONTEXT_WINDOW,
            num_output=self.max_tokens,
            is_chat_model=True,
            model_name=self.model_name,
        )

    def _create(self, messages: Sequence[ChatMessage], stream: bool) -> Any:
        return self._llama.create_chat_completion(
            messages=_message_dicts(messages),
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            stream=stream,
        )

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """One chat completion."""
        out = self._create(messages, stream=False)
        text = out["choices"][0]["message"].get("content") or ""
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), raw=out)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """A chat completion, token by token."""

        def gen() -> ChatResponseGen:
            text = ""
            for chunk in self._create(messages, stream=True):
                delta = chunk["choices"][0].get("delta", {}).get("content") or ""
                text += delta
                yield ChatResponse(
                    message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta, raw=chunk
                )

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """A completion of one user prompt (through the chat template)."""
        r = self.chat([ChatMessage(role=MessageRole.USER, content=prompt)])
        return CompletionResponse(text=r.message.content or "", raw=r.raw)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """A streamed completion of one user prompt."""

        def gen() -> CompletionResponseGen:
            for r in self.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)]):
                yield CompletionResponse(text=r.message.content or "", delta=r.delta, raw=r.raw)

        return gen()
