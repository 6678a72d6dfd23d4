"""Train the sentence ranker (assistant/resources/sentence_ranker.json) on the real ncp-policies dev
questions: retrieve with the assistant's own search over the ncp index, take every candidate sentence
(and clause of a long sentence) of the first passages, label it positive when it overlaps the question's
gold answer span, and fit a standardized logistic regression. Questions are split into train and
validation by a hash of their id (never the same question on both sides); the validation figures are
written into the artifact and printed.

    ASSISTANT_EMBEDDING_CACHE=/work/cache/embeddings.sqlite python training/train_sentence_ranker.py \
        [--index benchmarks/results/ncp-index] [--out assistant/resources/sentence_ranker.json]

Build the index first with benchmarks/retrieval_ncp.py. The data set it assembles is cached in
benchmarks/results/sentence-data.npz (git-ignored); --rebuild assembles it again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from assistant.answer.compose import OfflineComposer, coverage, expansions, question_terms  # noqa: E402
from assistant.answer.intent import detect_intent  # noqa: E402
from assistant.embeddings import load_embeddings  # noqa: E402
from assistant.learn.sentences import DENSE_SENTENCE, FEATURES, candidates, features  # noqa: E402
from assistant.search import Searcher  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store import LoadedIndex  # noqa: E402
from assistant.text import normalize_document_text  # noqa: E402
from assistant.tokenize import normalize_query  # noqa: E402
from benchmarks.common import WORK, lexical_only_index, ncp_corpus, use_lexical_only  # noqa: E402

RETRIEVE_K = 8  # as the assistant retrieves for an answer
VALIDATION_SHARE = 0.25
# sentences-3: hybrid retrieval (BM25 + dense) as served, passage ranks per side, and the dense similarity of
# each candidate sentence to the question (the index's sentence vectors; --no-dense-sentences leaves it out).
VERSION = "sentences-3"


def is_validation(qid: str) -> bool:
    return int(hashlib.sha1(qid.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < VALIDATION_SHARE


def gold_span(doc_text: str, answer: str) -> tuple[int, int] | None:
    """Where the gold answer lies in the indexed (normalized) document text, ignoring whitespace."""
    gold = re.sub(r"\s+", "", normalize_document_text(answer))
    if not gold:
        return None
    keep = [i for i, ch in enumerate(doc_text) if not ch.isspace()]
    squashed = "".join(doc_text[i] for i in keep)
    at = squashed.find(gold)
    if at < 0:
        return None
    return keep[at], keep[at + len(gold) - 1] + 1


def overlaps(a: tuple[int, int], gold: tuple[int, int]) -> bool:
    """A sentence is a positive when at least half of the shorter of it and the gold span is shared."""
    inter = min(a[1], gold[1]) - max(a[0], gold[0])
    return inter > 0 and inter >= 0.5 * min(a[1] - a[0], gold[1] - gold[0])


def assemble(index: LoadedIndex, searcher: Searcher, questions: list[dict]) -> dict:
    """Feature rows, labels and, per question, its row range plus the legacy composer's pick."""
    source_doc = {Path(rec.meta.source).stem: d for d, rec in index.docs.items()}
    legacy = OfflineComposer(index, "", learned=False)
    xs, ys, groups, meta = [], [], [], []
    started = time.perf_counter()
    for n, q in enumerate(questions):
        doc_id = source_doc.get(q["docid"])
        if doc_id is None:
            continue
        gold = gold_span(index.docs[doc_id].text, q["answer"])
        if gold is None:
            continue
        question = q["question"]
        hits = searcher.search(question, RETRIEVE_K)
        cands = candidates(index, hits)
        if not cands:
            continue
        terms = question_terms(index, question)
        alias = expansions(question)
        x = features(index, normalize_query(question), cands, hits, lambda t: coverage(terms, t, alias),
                     searcher.query_vector(question))
        y = np.array([c.doc_id == doc_id and overlaps((c.start, c.end), gold) for c in cands], dtype=int)
        picked = legacy._rank_sentences(question, detect_intent(normalize_query(question)), hits, terms, alias)
        legacy_ok = bool(picked) and picked[0].doc_id == doc_id and overlaps((picked[0].start, picked[0].end), gold)
        meta.append({"id": q["id"], "rows": [sum(len(v) for v in ys), sum(len(v) for v in ys) + len(y)],
                     "legacy_top1": legacy_ok, "lengths": [c.end - c.start for c in cands]})
        xs.append(x)
        ys.append(y)
        groups.extend([len(meta) - 1] * len(y))
        if (n + 1) % 100 == 0:
            print(f"  {n + 1}/{len(questions)} questions, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return {"x": np.vstack(xs), "y": np.concatenate(ys), "group": np.array(groups), "meta": meta}


def top1(scores: np.ndarray, data: dict, picks: list[int]) -> tuple[float, float]:
    """Share of questions whose best-scored candidate is a positive: over all of them, and over those
    where some candidate is (the ceiling the retrieval leaves)."""
    hit = reachable = 0
    for i in picks:
        a, b = data["meta"][i]["rows"]
        y = data["y"][a:b]
        reachable += bool(y.any())
        hit += bool(y[int(np.argmax(scores[a:b]))])
    return hit / len(picks), hit / max(1, reachable)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=WORK / "ncp-index")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "assistant" / "resources" / "sentence_ranker.json")
    ap.add_argument("--data", type=Path, default=WORK / "sentence-data.npz")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--no-dense-sentences", action="store_true",
                    help="train without the dense sentence-question similarity (the fallback model for indexes "
                         "without sentence vectors)")
    ap.add_argument("--drop", nargs="*", default=[], help="features to leave out (ablations)")
    ap.add_argument("--fallback", default="sentence_ranker_lexical.json",
                    help="resource name of the model that scores rows without dense sentence features")
    ap.add_argument("--lexical-only", action="store_true",
                    help="retrieve with BM25 alone over benchmarks/results/ncp-lexical-index (built if missing)")
    args = ap.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    corpus, _, questions = ncp_corpus()
    if args.rebuild or not args.data.exists():
        overrides = {}
        if args.lexical_only:
            args.index = lexical_only_index(corpus, WORK / "ncp-lexical-index")
            overrides = use_lexical_only()
        settings = Settings(index_dir=args.index, **overrides)
        index = LoadedIndex.open(args.index)
        searcher = Searcher(index, load_embeddings(settings.embedding_model), settings)
        data = assemble(index, searcher, questions)
        np.savez_compressed(args.data, x=data["x"], y=data["y"], group=data["group"],
                            meta=np.array(json.dumps(data["meta"])), features=np.array(json.dumps(FEATURES)))
    raw = np.load(args.data)
    if json.loads(str(raw["features"])) != list(FEATURES):
        sys.exit("cached data set has other features: run with --rebuild")
    used = [f for f in FEATURES if not (args.no_dense_sentences and f in DENSE_SENTENCE) and f not in args.drop]
    data = {"x": raw["x"][:, [FEATURES.index(f) for f in used]], "y": raw["y"], "group": raw["group"],
            "meta": json.loads(str(raw["meta"]))}
    missing = np.isnan(data["x"]).any(axis=1)
    if missing.any():
        sys.exit(f"{int(missing.sum())} rows lack a feature (no sentence vectors in the index?): rebuild the index")
    val_q = [i for i, m in enumerate(data["meta"]) if is_validation(m["id"])]
    train_q = [i for i, m in enumerate(data["meta"]) if not is_validation(m["id"])]
    val_set = set(val_q)
    is_val = np.array([g in val_set for g in data["group"]])
    x, y, groups = data["x"], data["y"], data["group"]
    xt, yt = x[~is_val], y[~is_val]
    mean, scale = xt.mean(axis=0), xt.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale

    # C by question-grouped cross-validation on the training questions (top-1 is what the answer uses).
    best_c, best_cv = 1.0, -1.0
    for c in (0.01, 0.1, 1.0, 10.0):
        oof = np.zeros(len(yt))
        for tr, te in GroupKFold(n_splits=5).split(z[~is_val], yt, groups[~is_val]):
            m = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(z[~is_val][tr], yt[tr])
            oof[te] = m.decision_function(z[~is_val][te])
        full = np.zeros(len(y))
        full[~is_val] = oof
        cv = top1(full, data, train_q)[0]
        print(f"C={c}: cross-validated top-1 {cv:.3f}")
        if cv > best_cv:
            best_c, best_cv = c, cv
    model = LogisticRegression(C=best_c, max_iter=2000, class_weight="balanced").fit(z[~is_val], yt)
    scores = model.decision_function(z)
    prob = 1 / (1 + np.exp(-scores))

    grid = np.linspace(0.05, 0.95, 91)

    report = {
        "train_questions": len(train_q), "validation_questions": len(val_q),
        "candidates_per_question": round(len(y) / len(data["meta"]), 1), "positive_share": round(float(y.mean()), 4),
        "C": best_c,
        "validation_top1": round(top1(scores, data, val_q)[0], 4),
        "validation_top1_when_reachable": round(top1(scores, data, val_q)[1], 4),
        "validation_auc": round(float(roc_auc_score(y[is_val], scores[is_val])), 4),
        "validation_legacy_top1": round(float(np.mean([data["meta"][i]["legacy_top1"] for i in val_q])), 4),
        "validation_reachable": round(float(np.mean([data["y"][slice(*data["meta"][i]["rows"])].any() for i in val_q])), 4),
    }
    # A LightGBM ranker (lambdarank, grouped by question) on the same split: shipped instead of the logistic
    # model when its cross-validated top-1 on the training questions is higher.
    import lightgbm as lgb

    def fit_ranker(rows: np.ndarray):
        order = np.argsort(groups[rows], kind="stable")
        rows = rows[order]
        sizes = np.unique(groups[rows], return_counts=True)[1]
        return lgb.LGBMRanker(objective="lambdarank", n_estimators=150, learning_rate=0.05, num_leaves=7,
                              min_child_samples=20, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
                              n_jobs=1, verbose=-1).fit(x[rows], y[rows], group=sizes)

    train_rows = np.flatnonzero(~is_val)
    oof = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=5).split(train_rows, y[train_rows], groups[train_rows]):
        oof[train_rows[te]] = fit_ranker(train_rows[tr]).predict(x[train_rows[te]])
    gbm_cv = top1(oof, data, train_q)[0]
    print(f"LightGBM ranker: cross-validated top-1 {gbm_cv:.3f}")
    ranker = fit_ranker(train_rows)
    g = ranker.predict(x)
    calib = LogisticRegression(max_iter=1000).fit(oof[train_rows].reshape(-1, 1), y[train_rows])
    calibration = (float(calib.coef_[0][0]), float(calib.intercept_[0]))
    report["lightgbm_cv_top1"] = round(gbm_cv, 4)
    report["logistic_cv_top1"] = round(best_cv, 4)
    report["validation_lightgbm_top1"] = round(top1(g, data, val_q)[0], 4)
    report["validation_lightgbm_auc"] = round(float(roc_auc_score(y[is_val], g[is_val])), 4)
    use_gbm = gbm_cv > best_cv
    if use_gbm:
        prob = 1 / (1 + np.exp(-(calibration[0] * g + calibration[1])))
        report["shipped"] = "lightgbm"
    else:
        report["shipped"] = "logistic"
    report["validation_shipped_top1"] = report["validation_lightgbm_top1" if use_gbm else "validation_top1"]
    # Threshold for a supporting point: the probability with the best F1 on the training questions.
    f1s = []
    for t in grid:
        pred = prob[~is_val] >= t
        tp = (pred & (yt == 1)).sum()
        f1s.append(2 * tp / max(1, pred.sum() + yt.sum()))
    threshold = float(grid[int(np.argmax(f1s))])
    for k, v in report.items():
        print(f"{k:36s} {v}")
    spec = {"version": VERSION, "features": used, "threshold": round(threshold, 3),
            "trained_on": "ncp-policies questions-dev.tsv (real questions, gold spans), "
                          + ("BM25-only retrieval" if args.lexical_only else "hybrid retrieval (BM25 + e5) as served"),
            "validation": report}
    if any(f in DENSE_SENTENCE for f in used):
        spec["fallback"] = args.fallback  # for rows without sentence vectors (older indexes)
    if use_gbm:
        spec.update(kind="lightgbm", calibration=[round(v, 6) for v in calibration],
                    model=ranker.booster_.model_to_string())
    else:
        spec.update(kind="logistic", mean=[round(float(v), 6) for v in mean], scale=[round(float(v), 6) for v in scale],
                    coef=[round(float(v), 6) for v in model.coef_[0]], intercept=round(float(model.intercept_[0]), 6))
    args.out.write_text(json.dumps(spec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    weights = sorted(zip(used, model.coef_[0]), key=lambda t: -abs(t[1]))
    print("largest weights: " + ", ".join(f"{n} {w:+.2f}" for n, w in weights[:12]))


if __name__ == "__main__":
    main()
