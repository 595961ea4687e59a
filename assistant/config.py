"""One typed settings object for the whole application.

Values come, in rising priority, from defaults, an optional ``assistant.toml`` in the working
directory, and environment variables prefixed ``ASSISTANT_``. Nothing is read at import time:
call :func:`load_settings` (or construct :class:`Settings`) when needed.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    """Application settings (env prefix ``ASSISTANT_``, optional ``assistant.toml``)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", toml_file="assistant.toml", extra="ignore")

    data_dir: Path = Field(Path(".assistant"), description="Indexes, caches, models.")
    cache_dir: Path | None = Field(None, description="Vector cache (default: data_dir/cache).")
    knowledge_dir: Path = Field(Path("knowledge"), description="Default reading collection.")
    collection: str = Field("knowledge", description="Default collection name.")
    evals_dir: Path = Field(Path("evals"), description="Question sets (*.jsonl) offered by the web app's Evaluate tab.")

    embedder: str = Field("e5-small-q4", description="'e5-small-q4' or 'st:<model or path>'.")
    embed_batch_size: int = 16
    chunk_size: int = Field(900, description="Target chunk length in characters.")
    chunk_overlap: int = Field(150, description="Characters of sentences carried over.")
    max_file_mb: float = Field(25.0, description="Files larger than this are skipped.")
    max_pdf_pages: int = Field(1000, ge=1, description="PDFs with more pages are skipped (no text is extracted).")
    max_docx_mb: float = Field(100.0, gt=0, description="DOCX files that unpack to more than this are skipped.")
    max_chunks_per_file: int = Field(
        5000, ge=1, description="Files whose text would make more passages than this are skipped."
    )
    lock_timeout: float = Field(600.0, description="Seconds a sync waits for another one.")

    chroma_host: str | None = Field(None, description="Use a Chroma server instead of disk.")
    chroma_port: int = 8000

    top_k: int = 5
    candidates: int = Field(50, description="Dense and BM25 candidates before fusion.")
    dense_weight: float = Field(0.8, description="Weight of the dense z-score in fusion.")
    rerank_model: str | None = Field(None, description="CrossEncoder model for reranking.")
    source_boost: float = Field(
        2.0, description="Fused-score bonus (z units) for kind=source chunks when a question names the essay or text."
    )
    source_cap: int = Field(3, ge=0, description="At most this many passages of one reading in the top k (0: no cap).")
    crosslingual: bool = Field(
        True,
        description="Expand a question with glossary terms in the other language when the collection has chunks in it.",
    )

    llm: str = Field("extractive", description="Answerer: extractive, hf:, ollama:, openai:")
    llms: list[str] = Field(default_factory=list, description="LLMs offered in the web app.")
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    ollama_base_url: str | None = None
    llm_timeout: float = 120.0
    llm_max_new_tokens: int = 256
    models_dir: Path | None = Field(None, description="Converted local LLMs (default: data_dir/models).")
    answer_sentences: int = Field(3, description="Most sentences quoted by the extractive answerer.")
    abstain_threshold: float = Field(0.5, description="Answer when P(answerable) is at least this.")
    reader: bool = Field(
        True,
        description="Read the top passages with the reading-comprehension model "
        "(short answers, span offsets, the no-answer signal).",
    )
    reader_weights: Path | None = Field(None, description="Folder of reader weights (default: the shipped ones).")
    reader_int8: bool = Field(
        False,
        description="Run the reader with dynamic int8 quantisation (warm answers about a third faster, about 0.02 "
        "lower span F1; its margins are put on the fp32 scale by reader.json's int8_threshold).",
    )

    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = Field(None, description="'user:password' or a path to a users file.")
    api_key: SecretStr | None = Field(
        None, description="Bearer key of the OpenAI-compatible API (required when login is on)."
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins (or wrong API keys) from one address before it is locked out."
    )
    login_lockout_seconds: float = Field(
        30.0, ge=0, description="First lockout after too many failed logins (doubles with each further failure)."
    )
    max_question_chars: int = 1000
    concurrency_limit: int = 2
    queue_size: int = Field(
        64, ge=0, description="Requests that may wait for an answering slot (web app and API); more get 'busy'."
    )
    max_upload_mb: float = 25.0

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_smaller(cls, v: int, info) -> int:
        size = info.data.get("chunk_size", 900)
        if v < 0 or v >= size:
            raise ValueError(f"chunk_overlap must be between 0 and chunk_size ({size})")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def collections_dir(self) -> Path:
        return self.data_dir / "collections"

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def vector_cache_dir(self) -> Path:
        return self.cache_dir or self.data_dir / "cache"

    @property
    def eval_runs_dir(self) -> Path:
        """Where the Evaluate tab writes each run's ``results.json`` and ``report.md``."""
        return self.data_dir / "eval-runs"


def load_settings(**overrides) -> Settings:
    """Build settings, applying explicit overrides (e.g. from CLI flags) last."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)


# The environment that keeps libraries from calling home (and OpenMP calm): the one list, used by
# the CLI and app entry points, the tests and the benchmarks.
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    # OpenMP threads of the embedding engine sleep instead of spinning while they wait:
    # on a busy 2-core laptop spinning made a one-question embedding take ~1.7 s instead of
    # ~30 ms (docs/benchmarks.md). Must be set before the engine loads.
    "OMP_WAIT_POLICY": "PASSIVE",
}


def offline_environment() -> None:
    """Set :data:`OFFLINE_ENVIRONMENT` (existing values win).

    Called by the CLI and app entry points (never at import time).
    """
    for key, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
