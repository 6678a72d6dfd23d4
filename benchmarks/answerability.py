"""Know what it does not know: refusal precision / recall, false answers on real off-domain questions, and
the share of answerable questions still answered, per kind of request — before (hand-tuned coverage
threshold, no request kinds, no jurisdiction) and after (request-kind classifier, jurisdiction, trained
answerability model), in the same run, on validation questions only (never trained on).

Every corpus is indexed in memory (as training/ does): lexically only, or with --dense hybrid as served (the
chunk and question vectors from ASSISTANT_EMBEDDING_CACHE; ASSISTANT_EMBEDDING_RUNTIME=st computes missing
ones fast). Without --dense the served answerability model gives way to the lexical one
(answerability-v1), as it does for any search with no dense side.

    nice -n 10 python benchmarks/answerability.py [--limit 120] [--json benchmarks/results/answerability.json]
        [--dense] [--baseline-models OLD_ANSWERABILITY.json OLD_REQUEST_KIND.json]

With --baseline-models, a third column ("baseline") runs the served pipeline with earlier artifacts (e.g.
answerability-v1.json and request-kind-v1.json from an earlier commit: `git show REV:assistant/resources/…`),
so that a retrained model is compared with the one it replaces in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from assistant.answer import answer_question  # noqa: E402
from assistant.answer.compose import OfflineComposer  # noqa: E402
from assistant.answer.intent import detect_intent  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.tokenize import normalize_query  # noqa: E402
from training.corpora import (ROOT, gd_questions, golden_items, in_validation, query_text, real_corpora, searcher,  # noqa: E402
                              statute_questions)

OTHER_CITIES = ("深圳市", "北京市", "广州市", "成都市", "杭州市")


def before(s, q: str, settings: Settings) -> bool:
    """The old decision: the best document's passages cover ≥ answer_min_coverage of the question's terms."""
    hits = s.search(q, 8)
    composer = OfflineComposer(s.index, settings.helpdesk_contact, settings.answer_min_coverage)
    return composer.compose(q, detect_intent(normalize_query(q)), hits).found


def after(s, q: str, settings: Settings) -> tuple[bool, str]:
    a = answer_question(s, q, settings, [])
    return a.found, a.kind


def with_models(answerability_path: str, kind_path: str):
    """Serve answer_question with other artifacts (the modules look their model up at call time)."""
    import contextlib

    from assistant.answer import scope
    from assistant.learn import answerability

    a_model = answerability.AnswerabilityModel.load(Path(answerability_path))
    k_model = scope.RequestKindModel.load(Path(kind_path))

    @contextlib.contextmanager
    def swap():
        saved = answerability.load_model, scope.load_model
        answerability.load_model, scope.load_model = (lambda *a: a_model), (lambda *a: k_model)
        try:
            yield
        finally:
            answerability.load_model, scope.load_model = saved
    return swap


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=120, help="questions per set (validation split only)")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "answerability.json"))
    ap.add_argument("--dense", action="store_true", help="hybrid in-memory indexes (as served), not lexical-only")
    ap.add_argument("--baseline-models", nargs=2, metavar=("ANSWERABILITY_JSON", "REQUEST_KIND_JSON"))
    args = ap.parse_args()
    baseline = with_models(*args.baseline_models) if args.baseline_models else None
    settings = Settings()
    t0 = time.perf_counter()
    c = real_corpora(args.dense)
    emb = c.embeddings
    shipped, ncp, statutes, gd = (searcher(i, emb) for i in (c.shipped, c.ncp, c.statutes, c.gd))
    ncp_qs, gd_records = c.ncp_questions, c.gd_records
    requests = yaml.safe_load((ROOT / "training" / "data" / "requests.yaml").read_text(encoding="utf-8"))
    golden = golden_items()
    val = lambda items, key: [x for x in items if in_validation(key(x))][: args.limit]  # noqa: E731
    ncp_val = [q["question"] for q in val(ncp_qs, lambda q: q["docid"])]
    gd_val = [q["question"] for q in val(gd_questions(gd_records), lambda q: q["key"])]
    st_val = [q["question"] for q in val(statute_questions(statutes.index), lambda q: q["key"])]
    gold_ok = [g["question"] for g in val([g for g in golden if g.get("answerable", True)], lambda g: g["id"])]
    gold_no = [g["question"] for g in golden if g.get("answerable") is False]
    # Hand-written statute questions (never trained on: the training's statute questions are phrased from
    # the articles' own leading words).
    statute_qs = [q["question"] for q in yaml.safe_load(
        (ROOT / "benchmarks" / "statute_questions.yaml").read_text(encoding="utf-8"))]
    other_region = [f"{OTHER_CITIES[i % len(OTHER_CITIES)]}{q}" for i, q in enumerate(gold_ok)]
    sets = [  # (name, kind of request, questions, searcher, answerable?)
        ("golden answerable → shipped", "in-scope", gold_ok, shipped, True),
        ("ncp dev → ncp", "in-scope (other corpus)", ncp_val, ncp, True),
        ("Guangdong guides → Guangdong", "in-scope (other corpus)", gd_val, gd, True),
        ("statute questions → statutes", "in-scope (other corpus)", st_val, statutes, True),
        ("hand-written statute questions → statutes", "in-scope (other corpus)", statute_qs, statutes, True),
        ("ncp dev → shipped", "off-domain policy", ncp_val, shipped, False),
        ("Guangdong guides → shipped", "off-domain policy", gd_val, shipped, False),
        ("golden answerable → ncp", "off-domain policy", gold_ok, ncp, False),
        ("golden unanswerable → shipped", "unanswerable (golden, all)", gold_no, shipped, False),
        ("other-region golden → shipped", "other region", other_region, shipped, False),
        ("task / chit-chat → shipped", "out of scope", [q for q in requests["out_of_scope"] if in_validation(q)], shipped, False),
        ("greeting → shipped", "greeting", [q for q in requests["greeting"] if in_validation(q)], shipped, False),
    ]
    if emb is not None:
        emb.prefetch_queries([query_text(q) for _, _, questions, _, _ in sets for q in questions])
    rows = []
    for name, kind, questions, s, answerable in sets:
        t = time.perf_counter()
        b = [before(s, q, settings) for q in questions]
        a = [after(s, q, settings) for q in questions]
        if baseline is not None:
            with baseline():
                m = [after(s, q, settings)[0] for q in questions]
        row = {"set": name, "kind": kind, "answerable": answerable, "n": len(questions),
               "answered_before": round(sum(b) / max(len(b), 1), 4),
               "answered_after": round(sum(f for f, _ in a) / max(len(a), 1), 4),
               "kind_counts_after": {k: sum(1 for _, kk in a if kk == k) for k in {kk for _, kk in a}},
               "seconds": round(time.perf_counter() - t, 1)}
        row["_found"] = {"before": b, "after": [f for f, _ in a]}
        if baseline is not None:
            row["answered_baseline"] = round(sum(m) / max(len(m), 1), 4)
            row["_found"]["baseline"] = m
        if answerable:  # the in-scope questions refused, by column (few; they are what to look at)
            row["refused"] = {when: [q for q, f in zip(questions, found) if not f]
                              for when, found in row["_found"].items() if when != "before"}
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "_found"}, ensure_ascii=False), flush=True)
    summary = {}
    for when in ("before", "after") + (("baseline",) if baseline is not None else ()):
        tp = fp = fn = 0  # refusal as the positive class
        for r in rows:
            for found in r["_found"][when]:
                refused = not found
                if refused and not r["answerable"]:
                    tp += 1
                elif refused and r["answerable"]:
                    fp += 1
                elif not refused and not r["answerable"]:
                    fn += 1
        summary[when] = {"refusal_precision": round(tp / max(tp + fp, 1), 4),
                         "refusal_recall": round(tp / max(tp + fn, 1), 4)}
    for r in rows:
        r.pop("_found")
    out = {"summary": summary, "sets": rows, "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(summary, ensure_ascii=False))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
