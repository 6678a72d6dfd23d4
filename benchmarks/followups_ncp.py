"""Follow-up questions on real data: does a follow-up that no longer names its subject keep the conversation's?

There are no real dialogues in ../shared/realdata, so they are derived from real questions. The ncp dev set
has documents asked about twice or more, mostly subject-first (成都推出的减税抗疫贷最多贷多少？ /
成都推出的减税抗疫贷需要什么担保？). A pair becomes a two-turn dialogue: turn 1 is the first question as asked;
turn 2 is the second with the subject both share taken off its front (需要什么担保？), kept only when what
remains still asks something. The second question's gold span is then looked for in three answers:

- alone: the follow-up asked with no history (what the assistant can do without the conversation),
- in dialogue: the follow-up asked after turn 1 (the served path: assistant/answer/followup.py),
- whole: the second question as really asked (the ceiling).

"before" is the code of --baseline-rev (extracted under benchmarks/results/, run in a subprocess over the same
index and dialogues), "after" the working tree.

    ASSISTANT_EMBEDDING_RUNTIME=st python benchmarks/followups_ncp.py [--baseline-rev REV]
        [--ncp-index benchmarks/results/ncp-index] [--json benchmarks/results/followups_ncp.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after PYTHONPATH: a worker runs the `assistant` of its code tree

from benchmarks.answers_ncp import answer_body, extract, run_worker, squash  # noqa: E402
from benchmarks.common import WORK, ncp_corpus  # noqa: E402

ASKS = re.compile(r"吗|呢|如何|怎么|怎样|哪|什么|多少|几|是否|能否|有没有|何")
MIN_SUBJECT = 3  # characters the two questions share at the front, at least
MIN_REST = 5  # characters the follow-up keeps, at least
BASELINE_REV = "941f57e"  # before follow-ups kept the conversation's region


def shared_front(first: str, second: str) -> str:
    """The longest front of `second` that `first` also contains (the subject both questions name)."""
    n = 0
    while n < len(second) and second[: n + 1] in first:
        n += 1
    return second[:n]


def dialogues(questions: list[dict]) -> list[dict]:
    """Two-turn dialogues from pairs of real questions about one document (each pair once, in file order)."""
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for q in questions:
        by_doc[q["docid"]].append(q)
    out = []
    for docid, qs in by_doc.items():
        for first, second in itertools.permutations(qs, 2):
            subject = shared_front(first["question"], second["question"])
            rest = second["question"][len(subject):].lstrip("的对在，,、")
            if len(subject) < MIN_SUBJECT or len(rest) < MIN_REST or not ASKS.search(rest):
                continue
            out.append({"docid": docid, "first": first["question"], "followup": rest, "whole": second["question"],
                        "gold": second["answer"]})
            break  # one dialogue a document, so that a few documents do not dominate
    return out


def measure(ncp_index: Path, items: list[dict]) -> dict:
    from assistant.engine import Engine
    from assistant.settings import Settings

    engine = Engine(Settings(index_dir=ncp_index))
    engine.load()
    gold_doc = {d.meta.source.rsplit("/", 1)[-1].removesuffix(".txt"): d.meta.doc_id for d in engine.index.docs.values()}
    figures = {k: {"gold_in_answer": 0, "cites_gold_doc": 0, "answered": 0} for k in ("alone", "in dialogue", "whole")}
    rows = []
    for item in items:
        first = engine.ask(item["first"])
        answers = {"alone": engine.ask(item["followup"]),
                   "in dialogue": engine.ask(item["followup"], [(item["first"], first)]),
                   "whole": engine.ask(item["whole"])}
        row = dict(item)
        for name, a in answers.items():
            inside = bool(squash(item["gold"])) and squash(item["gold"]) in squash(answer_body(a.answer))
            cites = any(c.doc_id == gold_doc.get(item["docid"]) for c in a.citations)
            figures[name]["gold_in_answer"] += inside
            figures[name]["cites_gold_doc"] += cites
            figures[name]["answered"] += a.found
            row[name] = {"gold_in_answer": inside, "cites_gold_doc": cites, "found": a.found}
        rows.append(row)
    n = max(len(items), 1)
    return {"dialogues": len(items),
            "figures": {k: {m: round(v / n, 3) for m, v in f.items()} for k, f in figures.items()}, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ncp-index", type=Path, default=WORK / "ncp-index")
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    ap.add_argument("--json", type=Path, default=WORK / "followups_ncp.json")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, json.loads(sys.stdin.read())), ensure_ascii=False))
        return
    _, _, questions = ncp_corpus()
    items = dialogues(questions)
    results = {f"before ({args.baseline_rev})": run_worker(extract(args.baseline_rev), args.ncp_index, items, __file__),
               "after (working tree)": run_worker(None, args.ncp_index, items, __file__)}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(items)} dialogues from real ncp questions")
    print("| code | follow-up asked | gold span in answer | cites the gold document | answered |")
    print("| --- | --- | ---: | ---: | ---: |")
    for code, result in results.items():
        for name, f in result["figures"].items():
            print(f"| {code} | {name} | {f['gold_in_answer']:.3f} | {f['cites_gold_doc']:.3f} | {f['answered']:.3f} |")


if __name__ == "__main__":
    main()
