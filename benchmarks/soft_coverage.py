"""What the soft-coverage features (assistant/learn/soft_coverage.py) cost per question, and what they read on
the golden questions: the evidence features with and without them, timed on the same hits of every golden
question (searched once), and the SOFT features of the golden answerable questions the served model refuses.

    nice -n 10 python benchmarks/soft_coverage.py --index benchmarks/results/golden-index [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.answer.intent import detect_intent  # noqa: E402
from assistant.engine import Engine  # noqa: E402
from assistant.learn.answerability import decide  # noqa: E402
from assistant.learn.features import SOFT, evidence_features  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.tokenize import normalize_query  # noqa: E402
from training.corpora import golden_items  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    engine = Engine(Settings(index_dir=Path(args.index)))
    engine.load()
    items = golden_items()
    asked = [(g, engine.search(g["question"], 8)) for g in items]
    evidence_features(engine.index, "预热", "general", asked[0][1], soft=True)  # the per-index character IDF
    added = []
    for g, hits in asked:
        intent = detect_intent(normalize_query(g["question"]))
        costs = {}
        for soft in (False, True):
            t = time.perf_counter()
            for _ in range(args.repeat):
                evidence_features(engine.index, g["question"], intent, hits, soft=soft)
            costs[soft] = (time.perf_counter() - t) / args.repeat * 1000
        added.append(costs[True] - costs[False])
        if g.get("answerable", True) and not decide(engine.index, g["question"], intent, hits).answerable:
            f = evidence_features(engine.index, g["question"], intent, hits, soft=True)
            print(f"  refused in scope: {g['id']} {g['question']}: cover_top3_union {f['cover_top3_union']:.2f} "
                  + " ".join(f"{n} {f[n]:.2f}" for n in SOFT))
    added.sort()
    print(f"{len(added)} golden questions: soft features add median {statistics.median(added):.2f} ms, "
          f"p95 {added[int(0.95 * (len(added) - 1))]:.2f} ms, max {added[-1]:.2f} ms per question")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
