"""Tune the composer's constants on the TRAINING split of the ncp dev questions (never the held-back one),
with the golden set and the statutes watched in the same run so a setting that loses them is seen.

    ASSISTANT_EMBEDDING_RUNTIME=st python benchmarks/compose_tuning.py \
        --ranker assistant/resources/sentence_ranker.json --set HAND_WEIGHT=1.0 --set HAND_WEIGHT=0.5,EXTEND_BELOW=150

Each --set is one configuration (comma-separated NAME=VALUE of module constants of
assistant/answer/compose.py); the first row is always the shipped constants. Indexes: the ncp hybrid index
(benchmarks/results/ncp-index), the statutes (benchmarks/results/statutes-index) and the shipped corpus
(benchmarks/results/golden-index, built here when missing).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.answers_ncp import ncp_figures, statute_figures  # noqa: E402
from benchmarks.common import WORK, ncp_corpus  # noqa: E402


def answer_rows(engine, questions: list[dict]) -> list[dict]:
    rows = []
    for q in questions:
        a = engine.ask(q["question"])
        rows.append({"answer": a.answer, "found": a.found, "ms": 0.0,
                     "citations": [{"source": c.source, "section": c.section} for c in a.citations]})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ranker", type=Path, action="append", default=[],
                    help="a sentence-ranker artifact to try (several allowed); default: the shipped one")
    ap.add_argument("--set", action="append", default=[], help="NAME=VALUE[,NAME=VALUE…] of compose constants")
    ap.add_argument("--split", choices=("train", "validation"), default="train")
    ap.add_argument("--no-golden", action="store_true")
    ap.add_argument("--ncp-index", type=Path, default=WORK / "ncp-index")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    import yaml

    from assistant.answer import compose
    from assistant.engine import Engine
    from assistant.evaluation import DEFAULT_GOLDEN, run_eval
    from assistant.learn.sentences import SentenceRanker, load_ranker
    from assistant.settings import Settings
    from training.train_sentence_ranker import is_validation

    _, _, questions = ncp_corpus()
    questions = [q for q in questions if is_validation(q["id"]) == (args.split == "validation")]
    statutes = yaml.safe_load((ROOT / "benchmarks" / "statute_questions.yaml").read_text(encoding="utf-8"))
    engines = {"ncp": Engine(Settings(index_dir=args.ncp_index)),
               "statutes": Engine(Settings(index_dir=WORK / "statutes-index"))}
    if not args.no_golden:
        from assistant.indexer import build_index
        from assistant.store import current_build_dir

        golden = Settings(index_dir=WORK / "golden-index", data_dir=WORK / "golden-data")
        if current_build_dir(golden.index_dir) is None:
            build_index(golden.corpus_dirs, golden.index_dir, golden)
        engines["golden"] = Engine(golden)
    for e in engines.values():
        e.load()

    def ranker_from(path: Path) -> SentenceRanker:
        spec = json.loads(path.read_text(encoding="utf-8"))
        fallback = spec.get("fallback")  # a resource name, for rows without dense sentence features
        fallback = (path.parent / fallback if (path.parent / fallback).exists() else
                    ROOT / "assistant" / "resources" / fallback) if fallback else None
        return SentenceRanker(spec, SentenceRanker(json.loads(fallback.read_text(encoding="utf-8"))) if fallback else None)

    rankers = [(str(p), ranker_from(p)) for p in args.ranker] or [("shipped", load_ranker())]
    shipped = {name: getattr(compose, name) for name in ("HAND_WEIGHT", "EXTEND_BELOW", "SUPPORT_FLOOR", "LEAD_MAX",
                                                          "ANSWER_BUDGET", "MAX_SUPPORT", "SET_EXTENT", "SET_TRIGGER",
                                                          "SUPPORT_SURE", "TWIN_DICE")}
    configs = [{}] + [dict((kv.split("=")[0], float(kv.split("=")[1])) for kv in s.split(",")) for s in args.set]
    results = []
    for rname, ranker in rankers:
        compose.load_ranker = lambda ranker=ranker: ranker
        for config in configs:
            for name, value in {**shipped, **config}.items():
                setattr(compose, name, type(shipped[name])(value))
            row = {"ranker": rname, "config": config,
                   "ncp": ncp_figures(answer_rows(engines["ncp"], questions), questions),
                   "statutes": statute_figures(answer_rows(engines["statutes"], statutes), statutes)}
            if "golden" in engines:
                m = run_eval(engines["golden"], DEFAULT_GOLDEN)["metrics"]
                row["golden"] = {k: m[k] for k in ("key_fact_coverage", "section_accuracy", "multi_turn_coverage")}
            results.append(row)
            n, s = row["ncp"], row["statutes"]
            print(f"{Path(rname).name:28s} {json.dumps(config):40s} gold {n['gold_in_answer']:.3f} first "
                  f"{n['gold_in_first_line']:.3f} med {n['median_chars']:.0f} | statutes fact {s['key_fact']:.3f} "
                  f"art {s['right_article']:.3f} | golden " + " ".join(f"{v:.3f}" for v in row.get("golden", {}).values()),
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
