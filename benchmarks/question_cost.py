"""CPU one question costs, by length: questions of distinct CJK characters (nothing cached, every character
unknown to the dictionary: the worst case for segmentation and embedding) and of real policy text.

Runs in-process over an index of the shipped corpus. Compare code trees by putting the other tree first on
PYTHONPATH (this script only needs the corpus of the tree it lives in):

    PYTHONPATH=. python benchmarks/question_cost.py --index DIR 100 500 1000 2000
    PYTHONPATH=/tmp/base python benchmarks/question_cost.py --index DIR 100 500 1000 2000
"""

from __future__ import annotations

import argparse
import random
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("lengths", type=int, nargs="*", default=[100, 500, 1000, 2000])
    parser.add_argument("--index", type=Path, default=ROOT / "benchmarks" / "results" / "attack-load-index")
    args = parser.parse_args()

    import assistant
    from assistant.engine import Engine
    from assistant.settings import Settings

    settings = Settings(index_dir=args.index, data_dir=args.index.parent / "question-cost-data")
    engine = Engine(settings)
    engine.load()
    rng = random.Random(1)
    cjk = [chr(c) for c in range(0x4E00, 0x9FA5)]
    rng.shuffle(cjk)
    policy = re.sub(r"[^\u4e00-\u9fff，。]", "", "".join(p.read_text(encoding="utf-8")
                                                     for p in sorted((ROOT / "corpus" / "policies").glob("*.md"))))
    engine.ask("区长质量奖最多奖多少钱？")  # load models
    print(f"code: {Path(assistant.__file__).parent.parent}")
    print("| question | characters | CPU | wall |")
    print("| --- | ---: | ---: | ---: |")
    for n in args.lengths:
        for name, question in (("distinct characters", "".join(cjk[:n])), ("policy text", policy[:n])):
            cpu, wall = time.process_time(), time.perf_counter()
            engine.ask(question)
            print(f"| {name} | {n} | {time.process_time() - cpu:.2f} s | {time.perf_counter() - wall:.2f} s |",
                  flush=True)


if __name__ == "__main__":
    main()
