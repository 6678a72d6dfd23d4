"""Eligibility self-check figures (docs/benchmarks.md): rules per shipped programme, the share of the real
Guangdong service guides' 受理条件 clauses that become rules, and check latency for all programmes.

    PYTHONPATH=. python benchmarks/eligibility.py [--index DIR] [--json benchmarks/results/eligibility.json]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT  # noqa: E402

from assistant.eligibility.check import DocsOnly, _cache, rulebook_for, run_check  # noqa: E402
from assistant.eligibility.rules import extract_programmes, rules_from_text  # noqa: E402

REALDATA = Path(os.environ.get("ASSISTANT_REALDATA") or ROOT.parent / "shared" / "realdata")
PROFILE = {"region": "青岛市城阳区", "registered_on": "2018-05-10", "independent_legal_person": True,
           "business_type": "product", "annual_sales_wan": 2600, "registered_trademark": True,
           "standard_self_declared": True, "certifications": ["ISO9001"], "excellence_model_years": 3,
           "accidents": [], "serious_dishonesty_listed": False, "spot_check_failures": [],
           "awards": [{"name": "青岛市市长质量奖", "year": 2020}], "standards_led": [{"level": "行业", "role": "主导"}]}


def programme_table(index) -> list[dict]:
    rows = []
    for p in sorted(extract_programmes(index.docs), key=lambda p: p.name):
        kinds = collections.Counter(r.kind for r in p.rules)
        rows.append({"program": p.name, "rules": sum(1 for r in p.rules if r.field), "review": kinds["review"],
                     "required": kinds["required"], "exclusion": kinds["exclusion"], "preference": kinds["preference"],
                     "checked": any(r.field for r in p.rules)})
    return rows


def guangdong() -> dict:
    path = REALDATA / "gd-gov-services" / "policy.jsonl"
    if not path.exists():
        return {"skipped": f"{path} not found"}
    texts = sorted({json.loads(line).get("accept_standard", "") for line in path.open(encoding="utf-8")} - {"", "无"})
    clauses = []
    for t in texts:
        # numbered items inline (（一）… 1、…) start their own line, as the chunker would see them
        clauses += rules_from_text(re.sub(r"\s*(?=（[一二三四五六七八九十]+）|\d+[、.．])", "\n", t))
    ruled = [c for c, r in clauses if r]
    fields = collections.Counter(r["field"] for _, rs in clauses for r in rs)
    from assistant.eligibility.profile import FIELD_LABELS

    in_profile = [c for c, rs in clauses if any(r["field"] in FIELD_LABELS for r in rs)]
    return {"guides_with_conditions": len(texts), "clauses": len(clauses), "rules": len(ruled),
            "review": len(clauses) - len(ruled), "share_rules": round(len(ruled) / len(clauses), 4),
            "share_profile_fields": round(len(in_profile) / len(clauses), 4), "by_field": dict(fields.most_common())}


def latency(index, runs: int) -> dict:
    _cache.clear()
    t0 = time.perf_counter()
    cold_result = run_check(index, PROFILE, "2026-11-24")
    cold = (time.perf_counter() - t0) * 1000
    warm = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run_check(index, PROFILE, "2026-11-24")
        warm.append((time.perf_counter() - t0) * 1000)
    warm.sort()
    return {"programmes": len(cold_result["programs"]), "conditions": sum(len(p["conditions"]) for p in cold_result["programs"]),
            "cold_ms": round(cold, 1), "warm_p50_ms": round(statistics.median(warm), 2),
            "warm_p95_ms": round(warm[int(len(warm) * 0.95) - 1], 2), "runs": runs,
            "verdicts": dict(collections.Counter(p["verdict"] for p in cold_result["programs"]))}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", default=str(ROOT / "benchmarks" / "results" / "index"))
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--json")
    args = parser.parse_args()
    index = DocsOnly.open(Path(args.index).resolve())
    rulebook_for(index)
    result = {"programmes": programme_table(index), "guangdong": guangdong(), "latency": latency(index, args.runs)}
    print(f"{'programme':<34} rules review (required/exclusion/preference)")
    for row in result["programmes"]:
        print(f"{row['program']:<34} {row['rules']:>5} {row['review']:>6} ({row['required']}/{row['exclusion']}/{row['preference']})")
    print(json.dumps({k: v for k, v in result["guangdong"].items() if k != "by_field"}, ensure_ascii=False))
    print(json.dumps(result["latency"], ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
