"""Composed answers on real data, before and after in one run.

ncp-policies dev questions (real questions, gold answer spans): is the gold span inside the answer,
inside its first line; character F1 of the first line against the gold span (SQuAD-style, over
characters); median and p90 answer length; share answered. The real statutes (quality-laws) with the
project's statute questions (benchmarks/statute_questions.yaml): key fact in the answer, the right
article cited, both.

    python benchmarks/answers_ncp.py [--limit N] [--baseline-rev REV] [--validation-only] [--json out.json]

"before" is the composer of the git revision REV (default: the commit this branch started from),
extracted to benchmarks/results/ and run in a subprocess over the same indexes and questions; "after" is
the working tree. Indexes: benchmarks/results/ncp-index (benchmarks/retrieval_ncp.py builds it) and
benchmarks/results/statutes-index (`assistant index --corpus benchmarks/results/statutes-corpus --index
benchmarks/results/statutes-index`; --statutes-index to point elsewhere).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import io
import subprocess
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE_REV = "425987c"  # main when issue 9 began
MARK = re.compile(r"\[\d+\]")


def squash(text: str) -> str:
    from assistant.text import normalize_document_text

    return re.sub(r"\s+", "", normalize_document_text(text))


def char_f1(pred: str, gold: str) -> float:
    p, g = Counter(pred), Counter(gold)
    common = sum((p & g).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def answer_body(text: str) -> str:
    """The answer without citation marks and the 根据《…》 lead-in line that only names the source (根据《办法》
    四、实施步骤，办理流程如下：). A quoted sentence that itself opens with 根据《…》 is the answer, not a lead-in:
    the lead-in is a whole line ending in its colon."""
    text = MARK.sub("", text)
    return re.sub(r"^根据《[^》\n]*》[^：:\n]*[：:](?=\n|$)", "", text)


# --- the worker: answers every question with whichever `assistant` package is on the path ----------

def work(index_dir: Path, questions: list[dict]) -> list[dict]:
    from assistant.engine import Engine
    from assistant.settings import Settings
    from benchmarks.common import LEXICAL_ONLY, use_lexical_only

    from assistant.store import current_build_dir

    manifest = json.loads((current_build_dir(index_dir) / "manifest.json").read_text(encoding="utf-8"))
    overrides = use_lexical_only() if manifest.get("embedding_model", "").endswith(LEXICAL_ONLY) else {}
    engine = Engine(Settings(index_dir=index_dir, **overrides))
    engine.load()
    rows = []
    for q in questions:
        t = time.perf_counter()
        a = engine.ask(q["question"])
        rows.append({"answer": a.answer, "found": a.found, "ms": (time.perf_counter() - t) * 1000,
                     "citations": [{"source": c.source, "section": c.section} for c in a.citations]})
    return rows


def run_worker(code_dir: Path | None, index_dir: Path, questions: list, script: str = __file__):
    """`script --worker index_dir` (this file's worker by default) in a subprocess whose `assistant` package
    comes from code_dir (None: the working tree), the questions on stdin, its JSON result back."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env["PYTHONPATH"] = os.pathsep.join(([str(code_dir)] if code_dir else []) + [str(ROOT)])
    proc = subprocess.run([sys.executable, script, "--worker", str(index_dir)], input=json.dumps(questions),
                          capture_output=True, text=True, env=env, cwd=code_dir or ROOT)
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    return json.loads(proc.stdout)


def extract(rev: str) -> Path:
    """The `assistant` package as it was at `rev`, under benchmarks/results/ (git-ignored). Named by the
    commit, not by `rev` itself: HEAD or a branch moves, and a tree cached under its name would go stale."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True, text=True,
                            check=True).stdout.strip()
    out = ROOT / "benchmarks" / "results" / f"code-{commit}"
    if not (out / "assistant").exists():
        data = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "assistant"], capture_output=True,
                              check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(out)
    return out


# --- figures -------------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    import numpy as np

    return float(np.percentile(values, p)) if values else 0.0


def ncp_figures(rows: list[dict], questions: list[dict]) -> dict:
    inside = first_inside = 0
    f1, lengths = [], []
    for r, q in zip(rows, questions):
        gold = squash(q["answer"])
        body = squash(answer_body(r["answer"]))
        first = squash(answer_body(r["answer"].split("\n")[0])) if r["found"] else ""
        inside += bool(gold) and gold in body
        first_inside += bool(gold) and gold in first
        f1.append(char_f1(first, gold))
        lengths.append(len(r["answer"]))
    n = len(rows)
    return {"questions": n, "answered": sum(r["found"] for r in rows) / n, "gold_in_answer": inside / n,
            "gold_in_first_line": first_inside / n, "first_line_char_f1": sum(f1) / n,
            "median_chars": percentile(lengths, 50), "p90_chars": percentile(lengths, 90),
            "ask_p50_ms": percentile([r["ms"] for r in rows], 50)}


def statute_figures(rows: list[dict], questions: list[dict]) -> dict:
    fact = article = both = 0
    lengths = []
    for r, q in zip(rows, questions):
        has_fact = squash(q["key_fact"]) in squash(MARK.sub("", r["answer"]))
        right = any(Path(c["source"]).stem == q["law"] and q["article"] in c["section"] for c in r["citations"])
        fact += has_fact
        article += right
        both += has_fact and right
        lengths.append(len(r["answer"]))
    n = len(rows)
    return {"questions": n, "key_fact": fact / n, "right_article": article / n, "fact_and_article": both / n,
            "median_chars": percentile(lengths, 50), "p90_chars": percentile(lengths, 90)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    ap.add_argument("--validation-only", action="store_true",
                    help="only the ncp questions the sentence ranker held back from training")
    ap.add_argument("--ncp-index", type=Path, default=ROOT / "benchmarks" / "results" / "ncp-index")
    ap.add_argument("--baseline-ncp-index", type=Path,
                    help="ncp index for the 'before' run (one built by the baseline's code); default: --ncp-index")
    ap.add_argument("--lexical-only", action="store_true",
                    help="ncp over benchmarks/results/ncp-lexical-index (BM25 alone, built if missing)")
    ap.add_argument("--statutes-index", type=Path, default=ROOT / "benchmarks" / "results" / "statutes-index")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--per-question", type=Path, help="write every question's answer and figures here (JSON)")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(work(args.worker, json.loads(sys.stdin.read())), ensure_ascii=False))
        return

    import yaml

    sys.path.insert(0, str(ROOT))
    from benchmarks.common import ncp_corpus  # noqa: E402
    from training.train_sentence_ranker import is_validation

    corpus, _, questions = ncp_corpus()
    if args.lexical_only:
        from benchmarks.common import WORK, lexical_only_index

        args.ncp_index = lexical_only_index(corpus, WORK / "ncp-lexical-index")
    if args.validation_only:
        questions = [q for q in questions if is_validation(q["id"])]
    if args.limit:
        questions = questions[: args.limit]
    statutes = yaml.safe_load((ROOT / "benchmarks" / "statute_questions.yaml").read_text(encoding="utf-8"))
    baseline = extract(args.baseline_rev)
    results: dict = {}
    per_question: dict = {}
    for name, code in ((f"before ({args.baseline_rev})", baseline), ("after (working tree)", None)):
        index = (args.baseline_ncp_index or args.ncp_index) if code is not None else args.ncp_index
        rows = run_worker(code, index.resolve(), questions)  # the worker runs in the baseline's folder
        per_question[name] = [{"id": q["id"], "question": q["question"], "gold": q["answer"], **r,
                               "gold_in_answer": squash(q["answer"]) in squash(answer_body(r["answer"]))}
                              for q, r in zip(questions, rows)]
        results[name] = {"ncp": ncp_figures(rows, questions)}
        held = [i for i, q in enumerate(questions) if is_validation(q["id"])]
        if held and len(held) < len(questions):  # the questions no ranker or constant was tuned on
            results[name]["ncp-held"] = ncp_figures([rows[i] for i in held], [questions[i] for i in held])
        if args.statutes_index.exists():
            results[name]["statutes"] = statute_figures(run_worker(code, args.statutes_index.resolve(), statutes), statutes)
    for name, figures in results.items():
        for part, m in figures.items():
            print(f"{name:24s} {part:9s} " + "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                                     for k, v in m.items()))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.per_question:
        args.per_question.write_text(json.dumps(per_question, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
