"""The golden evaluation (assistant/evaluation.py) with the served artifacts and with earlier ones, in one run
on one index, so that a retrained model is compared with the one it replaces on the same evidence.

    assistant index --corpus corpus --index benchmarks/results/shipped-index
    nice -n 10 python benchmarks/golden_models.py --index benchmarks/results/shipped-index \
        --baseline answerability-v1=assistant/resources/answerability-v1.json [--json benchmarks/results/golden-models.json]

Each --baseline NAME=ANSWERABILITY_JSON runs the evaluation again with that answerability artifact served in
place of the shipped one (the request-kind model stays the served one). Rows per question are kept in the
JSON, so the questions that changed can be read off.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.engine import Engine  # noqa: E402
from assistant.evaluation import DEFAULT_GOLDEN, THRESHOLDS, run_eval  # noqa: E402
from assistant.learn import answerability  # noqa: E402
from assistant.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--baseline", action="append", default=[], metavar="NAME=ANSWERABILITY_JSON")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "golden-models.json"))
    args = ap.parse_args()
    engine = Engine(Settings(index_dir=Path(args.index)))
    engine.load()
    runs = {"served": run_eval(engine, DEFAULT_GOLDEN)}
    for spec in args.baseline:
        name, path = spec.split("=", 1)
        model = answerability.AnswerabilityModel.load(Path(path))
        saved = answerability.load_model
        answerability.load_model = lambda *a: model  # decide() looks the model up at call time
        try:
            runs[name] = run_eval(engine, DEFAULT_GOLDEN)
        finally:
            answerability.load_model = saved
    keys = [k for k in runs["served"]["metrics"] if isinstance(runs["served"]["metrics"][k], (int, float))]
    print("metric".ljust(28) + "".join(n.rjust(20) for n in runs) + "   CI threshold")
    for k in keys:
        print(k.ljust(28) + "".join(f"{r['metrics'].get(k, float('nan')):20.3f}" for r in runs.values())
              + (f"   {THRESHOLDS[k]}" if k in THRESHOLDS else ""))
    served = {q.get("id"): q for q in runs["served"]["questions"]}
    for name, r in list(runs.items())[1:]:
        for q in r["questions"]:
            s = served.get(q.get("id"))
            if s is not None and s.get("found") != q.get("found"):
                print(f"  {q.get('id')} {q.get('question', '')[:30]}: found {name}={q.get('found')} "
                      f"served={s.get('found')} (answerable={q.get('answerable')})")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(runs, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
