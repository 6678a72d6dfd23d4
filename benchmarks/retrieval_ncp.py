"""Retrieval quality on the real ncp-policies data (599 documents, dev questions with gold doc + answer).

Reports doc recall@1/@5/@10, MRR@10 and answer-in-top-5 for the assistant's hybrid search and, in the
same run, for the plain baseline (jieba + BM25 over fixed 400-character chunks).

    python benchmarks/retrieval_ncp.py [--limit N] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from assistant.embeddings import load_embeddings  # noqa: E402
from assistant.indexer import build_index  # noqa: E402
from assistant.search import Searcher  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store import LoadedIndex  # noqa: E402
from assistant.text import normalize_document_text  # noqa: E402
from benchmarks.common import WORK, ncp_corpus  # noqa: E402


def squash(text: str) -> str:
    return re.sub(r"\s+", "", normalize_document_text(text))


def metrics(ranked_docs: list[list[str]], top5_texts: list[list[str]], questions: list[dict]) -> dict:
    r1 = r5 = r10 = mrr = ans = 0.0
    for docs, texts, q in zip(ranked_docs, top5_texts, questions):
        gold = q["docid"]
        if gold in docs[:1]:
            r1 += 1
        if gold in docs[:5]:
            r5 += 1
        if gold in docs[:10]:
            r10 += 1
            mrr += 1 / (docs.index(gold) + 1)
        answer = squash(q["answer"])
        if answer and any(answer in squash(t) for t in texts):
            ans += 1
    n = len(questions)
    return {"recall@1": r1 / n, "recall@5": r5 / n, "recall@10": r10 / n, "mrr@10": mrr / n,
            "answer_in_top5": ans / n, "questions": n}


def distinct(seq: list[str]) -> list[str]:
    return list(dict.fromkeys(seq))


def baseline(docs: dict[str, str], questions: list[dict]) -> tuple[list[list[str]], list[list[str]]]:
    """jieba (default dictionary) + BM25 over fixed 400-character chunks: the plain RAG starting point."""
    import bm25s
    import jieba

    chunk_doc, chunk_text = [], []
    for doc_id, text in docs.items():
        for i in range(0, len(text), 400):
            chunk_doc.append(doc_id)
            chunk_text.append(text[i:i + 400])
    tok = lambda s: [w for w in jieba.lcut(s) if w.strip()]  # noqa: E731
    bm25 = bm25s.BM25()
    bm25.index([tok(t) for t in chunk_text], show_progress=False)
    ranked, top5 = [], []
    for q in questions:
        qt = [t for t in tok(q["question"]) if t in bm25.vocab_dict]
        scores = bm25.get_scores(qt) if qt else np.zeros(len(chunk_text))
        order = np.argsort(-scores)[:50]
        ranked.append(distinct([chunk_doc[i] for i in order])[:10])
        top5.append([chunk_text[i] for i in order[:5]])
    return ranked, top5


def run_searcher(searcher: Searcher, questions: list[dict], id_of: dict[str, str]) -> tuple[list, list, list]:
    ranked, top5, latencies = [], [], []
    for q in questions:
        t = time.perf_counter()
        hits = searcher.search(q["question"], k=30)
        latencies.append(time.perf_counter() - t)
        ranked.append(distinct([id_of[h.doc_id] for h in hits])[:10])
        top5.append([h.text for h in hits[:5]])
    return ranked, top5, latencies


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--index", type=Path, default=WORK / "ncp-index",
                    help="index folder (built or updated from the ncp corpus with the working tree's code)")
    args = ap.parse_args()
    corpus, docs, questions = ncp_corpus()
    if args.limit:
        questions = questions[: args.limit]
    settings = Settings(index_dir=args.index)
    report = build_index([corpus], settings.index_dir, settings)
    print(report.summary(), file=sys.stderr)
    index = LoadedIndex.open(settings.index_dir)
    id_of = {d: Path(rec.meta.source).stem for d, rec in index.docs.items()}
    results = {}
    if not args.no_baseline:
        results["baseline: jieba + BM25, 400-char chunks"] = metrics(*baseline(docs, questions), questions)
    embeddings = load_embeddings(settings.embedding_model)
    searcher = Searcher(index, embeddings, settings)
    ranked, top5, lat = run_searcher(searcher, questions, id_of)
    results["assistant: hybrid search"] = metrics(ranked, top5, questions)
    lat_ms = np.array(lat) * 1000
    results["assistant: hybrid search"].update(p50_ms=float(np.percentile(lat_ms, 50)), p95_ms=float(np.percentile(lat_ms, 95)))
    for name, m in results.items():
        print(f"{name:45s} " + "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in m.items()))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
