"""Why the gold span is not inside the answer: every ncp dev question whose composed answer misses its gold
answer span, put in one class, on the training split (tuning happens there) or the held-back one.

    ASSISTANT_EMBEDDING_RUNTIME=st python benchmarks/answer_misses.py [--split train|validation|all] \
        [--index benchmarks/results/ncp-index] [--json benchmarks/results/misses.json]

Classes, in the order they are tested:
  refused          the assistant said it found nothing
  wrong document   the gold document is not among the passages the composer reads (first 6)
  span not passed  the gold document is there, but no passage read holds the gold span
  partial          the answer holds at least half of the gold span (a part of it: truncated, clause cut,
                   a sentence of a multi-sentence span) — but not all of it
  not chosen       a passage holds the gold span, the answer quotes less than half of it
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.answers_ncp import answer_body, squash  # noqa: E402
from benchmarks.common import WORK, ncp_corpus  # noqa: E402

CANDIDATE_HITS = 6


def longest_common(a: str, b: str) -> int:
    """Length of the longest common substring (gold spans are short: a plain DP is enough)."""
    best = 0
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0] * (len(b) + 1)
        for j, bj in enumerate(b, 1):
            if ch == bj:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def classify(engine, q: dict, doc_of: dict[str, str]) -> dict:
    from assistant.answer import RETRIEVE_K

    answer = engine.ask(q["question"])
    gold = squash(q["answer"])
    body = squash(answer_body(answer.answer))
    first = squash(answer_body(answer.answer.split("\n")[0]))
    hits = engine.search(q["question"], RETRIEVE_K)[:CANDIDATE_HITS]
    gold_doc = doc_of.get(q["docid"])
    row = {"id": q["id"], "question": q["question"], "gold": q["answer"], "answer": answer.answer,
           "chars": len(answer.answer), "in_answer": bool(gold) and gold in body,
           "in_first_line": bool(gold) and gold in first, "gold_doc_rank": None, "passage_rank": None}
    for h in hits:
        if h.doc_id == gold_doc and row["gold_doc_rank"] is None:
            row["gold_doc_rank"] = h.rank
        if h.doc_id == gold_doc and gold in squash(h.text) and row["passage_rank"] is None:
            row["passage_rank"] = h.rank
    if row["in_answer"]:
        row["class"] = "ok"
    elif not answer.found:
        row["class"] = "refused"
    elif row["gold_doc_rank"] is None:
        row["class"] = "wrong document"
    elif row["passage_rank"] is None:
        row["class"] = "span not passed"
    elif longest_common(gold, body) >= 0.5 * len(gold):
        row["class"] = "partial"
    else:
        row["class"] = "not chosen"
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=("train", "validation", "all"), default="train")
    ap.add_argument("--index", type=Path, default=WORK / "ncp-index")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from assistant.engine import Engine
    from assistant.settings import Settings
    from training.train_sentence_ranker import is_validation

    _, _, questions = ncp_corpus()
    if args.split != "all":
        questions = [q for q in questions if is_validation(q["id"]) == (args.split == "validation")]
    if args.limit:
        questions = questions[: args.limit]
    engine = Engine(Settings(index_dir=args.index))
    engine.load()
    index = engine.searcher.index
    doc_of = {Path(rec.meta.source).stem: d for d, rec in index.docs.items()}
    rows = [classify(engine, q, doc_of) for q in questions]
    counts = Counter(r["class"] for r in rows)
    n = len(rows)
    print(f"{n} questions ({args.split}); gold in answer {counts['ok'] / n:.3f}")
    for name, c in counts.most_common():
        print(f"  {name:16s} {c:4d}  {c / n:.3f}")
    misses = [r for r in rows if r["class"] != "ok"]
    long_gold = sum(len(squash(r["gold"])) > 150 for r in misses)
    print(f"misses with a gold span over 150 characters: {long_gold}")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
