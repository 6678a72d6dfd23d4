"""How often an answer to a question that names a programme (青岛优品, 区长质量奖 …) cites a sentence about
another programme, with the composer's programme gate on and off, in one run on one index; and the golden
figures both ways (the gate must not cost a key fact).

    assistant index --corpus corpus --index benchmarks/results/shipped-index
    nice -n 10 python benchmarks/off_programme.py --index benchmarks/results/shipped-index

Questions: the golden set's answerable single questions (tests/eval/golden.yaml). A citation is "off
programme" by the composer's own test (assistant.answer.compose.off_programme): its document belongs to
none of the programmes the question names, or its sentence names only another programme.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.answer import compose  # noqa: E402
from assistant.engine import Engine  # noqa: E402
from assistant.evaluation import DEFAULT_GOLDEN, load_golden, run_eval  # noqa: E402
from assistant.settings import Settings  # noqa: E402


def off_programme_share(engine: Engine, questions: list[str]) -> dict:
    index = engine.index
    answers = cited = off = with_off = 0
    for q in questions:
        asked = compose.named_programmes(index, q)
        answer = engine.ask(q)
        if not asked or not answer.found:
            continue
        answers += 1
        bad = 0
        for c in answer.citations:
            cited += 1
            s = compose.Sentence(c.doc_id, c.start, c.end, index.docs[c.doc_id].text[c.start:c.end], 1, c.section, 1.0)
            bad += compose.off_programme(index, s, asked)
        off += bad
        with_off += bad > 0
    return {"answers": answers, "citations": cited, "off_citations": off,
            "answers_with_off": round(with_off / max(answers, 1), 3), "off_share": round(off / max(cited, 1), 3)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    engine = Engine(Settings(index_dir=Path(args.index)))
    engine.load()
    golden = load_golden(DEFAULT_GOLDEN)
    questions = [item["question"] for item in golden["single"] if item.get("answerable", True)]
    out = {}
    for name, gate in (("gate off", False), ("gate on", True)):
        compose.PROGRAMME_GATE = gate
        m = run_eval(engine, DEFAULT_GOLDEN)["metrics"]
        out[name] = {**off_programme_share(engine, questions),
                     **{k: m[k] for k in ("key_fact_coverage", "section_accuracy", "cites_expected_doc",
                                          "multi_turn_coverage")}}
        print(name, out[name], flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
