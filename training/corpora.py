"""Real corpora and real questions for training and measuring the learned decisions, assembled reproducibly
from ../shared/realdata (ASSISTANT_REALDATA overrides) and the golden set. Nothing here is shipped.

Indexes are in memory (parse → chunk → BM25, exactly as the indexer does). lexical_index() skips the embedding
step (seconds); hybrid_index() adds the dense side the served index has — every chunk's vector for exactly
the text the indexer embeds (store.context_text), from the shared embedding cache (ASSISTANT_EMBEDDING_CACHE)
or computed once — so that training and benchmarks see the evidence the service sees."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.indexer import discover  # noqa: E402
from assistant.ingest.chunking import Chunker  # noqa: E402
from assistant.ingest.loaders import load_file  # noqa: E402
from assistant.search import Searcher  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store import DocRecord, LoadedIndex, context_text  # noqa: E402
from assistant.tokenize import lexical_tokens  # noqa: E402

REALDATA = Path(os.environ.get("ASSISTANT_REALDATA") or ROOT.parent / "shared" / "realdata")
WORK = ROOT / "benchmarks" / "results"
GOLDEN = ROOT / "tests" / "eval" / "golden.yaml"
csv.field_size_limit(sys.maxsize)


def require(path: Path) -> Path:
    if not path.exists():
        sys.exit(f"skipped: {path} not found (the real data lives in ../shared/realdata; set ASSISTANT_REALDATA)")
    return path


def in_validation(key: str, share: float = 0.3) -> bool:
    """A stable split by key (a question, or the document it is about): the same on every run and machine."""
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def lexical_index(folders: list[Path], settings: Settings | None = None) -> LoadedIndex:
    settings = settings or Settings()
    chunker = Chunker(settings.chunk_max_chars, settings.chunk_overlap_chars, settings.chunk_min_chars)
    docs: dict[str, DocRecord] = {}
    chunks = []
    for root, path in discover(folders):
        for doc in load_file(path, root):
            doc_chunks, outline, lines = chunker.split(doc)
            docs[doc.meta.doc_id] = DocRecord(meta=doc.meta, text=doc.text, outline=outline, lines=lines)
            chunks.extend(doc_chunks)
    import bm25s

    bm25 = bm25s.BM25(k1=settings.bm25_k1, b=settings.bm25_b)
    bm25.index([lexical_tokens(context_text(docs[c.doc_id].meta, c)) for c in chunks], show_progress=False)
    index = LoadedIndex(build_dir=Path("."), manifest={"build_id": "memory"}, docs=docs, chunks=chunks, bm25=bm25,
                        collection=None)
    index.chunk_pos = {c.chunk_id: i for i, c in enumerate(chunks)}
    for i, c in enumerate(chunks):
        index.doc_chunks.setdefault(c.doc_id, []).append(i)
    return index


def searcher(index: LoadedIndex, embeddings=None) -> Searcher:
    """Lexical-only search, or hybrid (as served) when given the embeddings of training_embeddings()."""
    return Searcher(index, embeddings, Settings())


# --- dense side (hybrid in-memory indexes) --------------------------------------------------------------

class MemoryCollection:
    """The one Chroma call LoadedIndex.dense makes (query by vector, optional doc_id filter, cosine
    distances), answered exactly by a matrix product over the chunk vectors in memory."""

    def __init__(self, ids: list[str], doc_ids: list[str], vectors):
        import numpy as np

        self.ids = ids
        self.doc_ids = np.array(doc_ids)
        m = np.asarray(vectors, dtype=np.float32)
        self.matrix = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)

    def query(self, query_embeddings, n_results: int, where=None, include=None) -> dict:
        import numpy as np

        q = np.asarray(query_embeddings[0], dtype=np.float32)
        sims = self.matrix @ (q / max(float(np.linalg.norm(q)), 1e-12))
        if where:
            sims = np.where(np.isin(self.doc_ids, where["doc_id"]["$in"]), sims, -np.inf)
        n = min(n_results, int(np.isfinite(sims).sum()))
        top = np.argsort(-sims, kind="stable")[:n]
        return {"ids": [[self.ids[i] for i in top]], "distances": [[float(1.0 - sims[i]) for i in top]]}


def training_embeddings():
    """The configured embedding model (ASSISTANT_EMBEDDING_RUNTIME=st is the fast one) behind the shared
    vector cache (ASSISTANT_EMBEDDING_CACHE, else benchmarks/results/embeddings.sqlite). Query vectors are
    kept in the same cache under "<model>|query" (the served path keeps them in memory only), so a re-run
    embeds nothing."""
    import numpy as np

    from assistant.embeddings import CachedEmbeddings, EmbeddingCache, embeddings_for

    settings = Settings()
    cache = EmbeddingCache(settings.embedding_cache or WORK / "embeddings.sqlite")

    class TrainingEmbeddings(CachedEmbeddings):
        def prefetch_queries(self, texts: list[str]) -> None:
            """Embed the queries not yet cached, in batches (one at a time is several times slower)."""
            key = self.model_key + "|query"
            texts = list(dict.fromkeys(texts))
            found = self.cache.get_many(key, [EmbeddingCache.key(t) for t in texts])
            missing = [t for t in texts if EmbeddingCache.key(t) not in found]
            batched = getattr(self.inner, "_encode", None)  # the st runtime encodes a batch of queries at once
            for i in range(0, len(missing), 64):
                part = missing[i:i + 64]
                vectors = batched(part, "query") if batched else [self.inner.embed_query(t) for t in part]
                self.cache.put_many(key, [(EmbeddingCache.key(t), np.asarray(v, dtype=np.float32))
                                          for t, v in zip(part, vectors)])

        def embed_query(self, text: str) -> list[float]:
            key = self.model_key + "|query"
            h = EmbeddingCache.key(text)
            found = self.cache.get_many(key, [h])
            if h in found:
                return found[h].tolist()
            vector = self.inner.embed_query(text)
            self.cache.put_many(key, [(h, np.asarray(vector, dtype=np.float32))])
            return vector

    return TrainingEmbeddings(embeddings_for(settings), cache, settings.embedding_batch_size)


def hybrid_index(folders: list[Path], embeddings, settings: Settings | None = None) -> LoadedIndex:
    """lexical_index() plus every chunk's vector (of the indexer's own passage text) in a MemoryCollection."""
    t = __import__("time").perf_counter()
    index = lexical_index(folders, settings)
    contexts = [context_text(index.docs[c.doc_id].meta, c) for c in index.chunks]
    before = dict(embeddings.stats)
    vectors = embeddings.embed_documents(contexts)
    index.collection = MemoryCollection([c.chunk_id for c in index.chunks], [c.doc_id for c in index.chunks], vectors)
    print(f"  hybrid index of {', '.join(f.name for f in folders)}: {len(contexts)} chunks, "
          f"{embeddings.stats['computed'] - before['computed']} embedded, "
          f"{embeddings.stats['cached'] - before['cached']} from the cache "
          f"({__import__('time').perf_counter() - t:.0f}s)", flush=True)
    return index


def query_text(question: str, settings: Settings | None = None) -> str:
    """The text search embeds for a question (Searcher.search: normalized, cut to dense_query_max_chars)."""
    from assistant.tokenize import normalize_query

    settings = settings or Settings()
    return normalize_query(question)[: settings.dense_query_max_chars]


# --- corpora -------------------------------------------------------------------------------------

@dataclass
class RealCorpora:
    """The four corpora the learned decisions are trained and measured on, indexed, with what came with them."""

    shipped: LoadedIndex
    ncp: LoadedIndex
    ncp_questions: list[dict]
    statutes: LoadedIndex
    gd: LoadedIndex
    gd_records: list[dict]
    embeddings: object = None  # the model behind the dense side; None for lexical-only indexes


def real_corpora(dense: bool = False) -> RealCorpora:
    """Shipped, ncp, statutes and Guangdong, indexed as served (hybrid, `dense`) or lexically in memory."""
    emb = training_embeddings() if dense else None
    build = (lambda folders: hybrid_index(folders, emb)) if dense else lexical_index  # noqa: E731
    ncp_dir, ncp_qs = ncp_folder()
    gd_dir, gd_records = gd_folder()
    return RealCorpora(shipped=build([shipped_folder()]), ncp=build([ncp_dir]), ncp_questions=ncp_qs,
                       statutes=build([statutes_folder()]), gd=build([gd_dir]), gd_records=gd_records, embeddings=emb)


def shipped_folder() -> Path:
    return ROOT / "corpus"


def statutes_folder() -> Path:
    return require(REALDATA / "quality-laws")


def ncp_folder() -> tuple[Path, list[dict]]:
    """The ncp-policies documents as one text file each (git-ignored) and the dev questions."""
    src = require(REALDATA / "ncp-policies")
    folder = WORK / "ncp-corpus"
    folder.mkdir(parents=True, exist_ok=True)
    ids = set()
    with open(src / "corpus.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            ids.add(row["docid"])
            path = folder / f"{row['docid']}.txt"
            if not path.exists():
                path.write_text(row["text"], encoding="utf-8")
    with open(src / "questions-dev.tsv", encoding="utf-8") as fh:
        questions = [r for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE) if r["docid"] in ids]
    return folder, questions


def gd_folder(limit: int = 400, seed: int = 8) -> tuple[Path, list[dict]]:
    """A seeded sample of the Guangdong service-guide records as one JSON-lines file (git-ignored)."""
    src = require(REALDATA / "gd-gov-services" / "policy.jsonl")
    records = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    seen, unique = set(), []
    for r in records:
        name = (r.get("matter_name") or r.get("TASK_NAME") or "").strip()
        if name and name not in seen:
            seen.add(name)
            unique.append(r)
    random.Random(seed).shuffle(unique)
    sample = unique[:limit]
    folder = WORK / f"gd-corpus-{limit}"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "guides.jsonl", "w", encoding="utf-8") as fh:
        for r in sample:
            r = {k: v for k, v in r.items() if k != "_id"}
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return folder, sample


# --- questions ------------------------------------------------------------------------------------

GD_TEMPLATES = (
    ("materials", "{name}需要提交哪些材料？", "material_intro"),
    ("deadline", "{name}的办理时限是多久？", "handle_time_limit"),
    ("contact", "{name}在哪里办理？", "handle_location"),
    ("eligibility", "{name}的受理条件是什么？", "accept_standard"),
    ("contact", "{name}的咨询电话是多少？", "consult_phone"),
)


def gd_questions(records: list[dict], per_record: int = 2, seed: int = 8) -> list[dict]:
    """Guide questions made from each record's matter name and a field it actually fills."""
    rng = random.Random(seed)
    out = []
    for r in records:
        name = (r.get("matter_name") or r.get("TASK_NAME")).strip()
        usable = [t for t in GD_TEMPLATES if r.get(t[2]) not in (None, "", "无", [])]
        for intent, template, _ in rng.sample(usable, min(per_record, len(usable))):
            out.append({"question": template.format(name=name), "key": name, "gold_title": name})
    return out


def statute_questions(index: LoadedIndex, per_doc: int = 6, seed: int = 8) -> list[dict]:
    """Questions a reader asks of a statute: what it says about the subject of one of its chapters or
    articles, phrased from the article's own leading words (the statute's title left out, as users do)."""
    import re

    rng = random.Random(seed)
    out = []
    for doc_id, rec in index.docs.items():
        articles = [o for o in rec.outline if re.search(r"第[一二三四五六七八九十百]+条$", o.path)]
        for entry in rng.sample(articles, min(per_doc, len(articles))):
            body = rec.text[entry.start:entry.end]
            body = re.sub(r"^第[一二三四五六七八九十百]+条\s*", "", body).strip()
            clause = re.split(r"[，。；：]", body, maxsplit=1)[0][:24]
            if len(clause) < 6:
                continue
            form = rng.choice(("关于{c}有什么规定？", "{c}，这方面是怎么规定的？", "法规对“{c}”是怎么要求的？"))
            out.append({"question": form.format(c=clause), "key": f"{doc_id}:{entry.start}", "gold_doc": doc_id})
    return out


def golden_items() -> list[dict]:
    import yaml

    golden = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    return [dict(item, key=item["id"]) for item in golden.get("single", [])]


# The thing asked, not just the topic: objects a policy text on a topic does not hold (a list of winners,
# a person's name, a password reset, a date in the future). Asked about real topics of each corpus; kept as
# a negative only when the object's word occurs nowhere in the corpus's documents on that topic.
ABSENT_OBJECTS = (
    ("名单", "{t}历年的获奖名单有哪些？"),
    ("名单", "{t}最新一批入选企业名单公布了吗？"),
    ("密码", "{t}系统登录密码忘了怎么重置？"),
    ("姓名", "{t}的负责人姓名是什么？"),
    ("股价", "{t}对公司股价有什么影响？"),
    ("排名", "{t}在全国排第几名？"),
)


def absent_object_questions(topics: list[str], index: LoadedIndex, seed: int = 8) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for topic in topics:
        docs = [rec.text for rec in index.docs.values() if topic in rec.meta.title or topic in rec.text[:2000]]
        if not docs:
            continue
        word, template = rng.choice(ABSENT_OBJECTS)
        if any(word in text for text in docs):
            continue
        out.append({"question": template.format(t=topic), "key": topic})
    return out
