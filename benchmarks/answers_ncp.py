"""Composed answers on the real ncp-policies dev questions: does the offline answer contain the gold
answer span, and its character-level F1 against the gold answer (SQuAD-style, over characters).

    python benchmarks/answers_ncp.py [--limit N]

Uses the index built by benchmarks/retrieval_ncp.py (run that first).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from assistant.engine import Engine  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from benchmarks.common import WORK, ncp_corpus  # noqa: E402
from benchmarks.retrieval_ncp import squash  # noqa: E402

MARK = re.compile(r"\[\d+\]")


def char_f1(pred: str, gold: str) -> float:
    p, g = Counter(pred), Counter(gold)
    common = sum((p & g).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def answer_body(text: str) -> str:
    """The answer without citation marks and the 根据《…》 lead-in that only names the source."""
    text = MARK.sub("", text)
    return re.sub(r"^根据《[^》]*》[^：:]*[：:]", "", text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    _, _, questions = ncp_corpus()
    if args.limit:
        questions = questions[: args.limit]
    engine = Engine(Settings(index_dir=WORK / "ncp-index"))
    engine.load()
    contained = found = 0
    f1_all, f1_first, lat = [], [], []
    for q in questions:
        t = time.perf_counter()
        a = engine.ask(q["question"])
        lat.append(time.perf_counter() - t)
        gold = squash(q["answer"])
        body = squash(answer_body(a.answer))
        found += a.found
        contained += bool(gold) and gold in body
        f1_all.append(char_f1(body, gold))
        first = squash(answer_body(a.answer.split("\n")[0])) if a.found else ""
        f1_first.append(char_f1(first, gold))
    n = len(questions)
    ms = np.array(lat) * 1000
    print(f"questions {n}: answered {found / n:.3f}, gold answer inside the answer {contained / n:.3f}, "
          f"char F1 whole answer {np.mean(f1_all):.3f}, char F1 first point {np.mean(f1_first):.3f}, "
          f"ask p50 {np.percentile(ms, 50):.1f} ms p95 {np.percentile(ms, 95):.1f} ms")


if __name__ == "__main__":
    main()
