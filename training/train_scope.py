"""Train the request-kind classifier (second pass, request-kind-v2: written to benchmarks/results/, measured but
not shipped — the served model is assistant/resources/request-kind-v1.json, see docs/benchmarks.md).

policy_question: real questions (ncp dev questions, Guangdong guide questions, statute questions, the golden
set); out_of_scope and greeting: training/data/requests.yaml. Validation = a stable 30 % split by text,
never trained on. Multinomial logistic regression over binary character 1–3-grams, the strongest
--max-features n-grams by chi² kept so the artifact stays small.

    nice -n 10 python training/train_scope.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from training.corpora import (ROOT, gd_folder, gd_questions, golden_items, in_validation, lexical_index,  # noqa: E402
                              ncp_folder, statute_questions, statutes_folder)
from assistant.answer.scope import GREETING, KINDS, NGRAMS, OUT_OF_SCOPE, POLICY, char_ngrams  # noqa: E402


def examples() -> list[tuple[str, str]]:
    data = yaml.safe_load((ROOT / "training" / "data" / "requests.yaml").read_text(encoding="utf-8"))
    out = [(q, OUT_OF_SCOPE) for q in data["out_of_scope"]] + [(q, GREETING) for q in data["greeting"]]
    out += [(q, POLICY) for q in data.get("policy_question", [])]
    _, ncp_qs = ncp_folder()
    _, gd_records = gd_folder()
    out += [(q["question"], POLICY) for q in ncp_qs]
    out += [(q["question"], POLICY) for q in gd_questions(gd_records, per_record=1)]
    out += [(q["question"], POLICY) for q in statute_questions(lexical_index([statutes_folder()]), per_doc=3)]
    out += [(g["question"], g.get("kind", POLICY)) for g in golden_items()]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "request-kind-v2.json"))  # not shipped: docs/benchmarks.md
    ap.add_argument("--max-features", type=int, default=4000)
    ap.add_argument("--max-declined", type=float, default=0.002,
                    help="share of policy questions the decline threshold may decline without a search")
    ap.add_argument("--C", type=float, nargs="+", default=[1.0, 3.0, 10.0, 30.0], help="candidates, chosen by CV")
    args = ap.parse_args()
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.feature_selection import SelectKBest, chi2
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import classification_report

    data = examples()
    texts = [t for t, _ in data]
    labels = np.array([KINDS.index(k) for _, k in data])
    val = np.array([in_validation(t) for t in texts])
    vec = CountVectorizer(analyzer=lambda t: sorted(char_ngrams(t, *NGRAMS)), binary=True)
    X = vec.fit_transform(texts)
    select = SelectKBest(chi2, k=min(args.max_features, X.shape[1])).fit(X[~val], labels[~val])
    Xs = select.transform(X)
    weights = np.bincount(labels[~val], minlength=len(KINDS))
    sample_weight = (len(labels[~val]) / (len(KINDS) * weights))[labels[~val]]  # classes weigh the same
    # Regularization read off 5-fold cross-validated log-loss on the training split (a too-weak one makes the
    # model "sure" of single characters such as 你, and a sure non-policy verdict declines without a search).
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    cv_loss, cv_probs = {}, {}
    for c in args.C:
        lr = LogisticRegression(C=c, max_iter=3000)
        p = cross_val_predict(lr, Xs[~val], labels[~val], cv=StratifiedKFold(5, shuffle=True, random_state=8),
                              method="predict_proba", params={"sample_weight": sample_weight})
        cv_probs[c] = p
        cv_loss[c] = round(float(log_loss(labels[~val], p, sample_weight=sample_weight)), 4)
    best_c = min(cv_loss, key=cv_loss.get)
    # The decline threshold (a request declined without a search when a non-policy kind is at least this
    # sure): the lowest, from 0.9 up, at which at most --max-declined of the training split's policy questions
    # would be declined, on the cross-validated probabilities.
    p = cv_probs[best_c]
    policy_rows = labels[~val] == KINDS.index(POLICY)
    non_policy_sure = np.delete(p, KINDS.index(POLICY), axis=1).max(1)[policy_rows]
    decline = next((round(float(t), 3) for t in np.arange(0.9, 0.999, 0.005)
                    if (non_policy_sure >= t).mean() <= args.max_declined), 0.995)
    print("decline threshold:", decline, "policy questions declined at it (CV):",
          round(float((non_policy_sure >= decline).mean()), 4))
    print("cross-validated log-loss by C:", cv_loss, "chosen:", best_c)
    model = LogisticRegression(C=best_c, max_iter=3000).fit(Xs[~val], labels[~val], sample_weight=sample_weight)
    probs = model.predict_proba(Xs[val])
    top = probs.argmax(1)
    pred = np.where(probs.max(1) >= 0.5, top, KINDS.index(POLICY))
    report = classification_report(labels[val], pred, labels=list(range(len(KINDS))), target_names=list(KINDS),
                                   output_dict=True, zero_division=0)
    names = np.array(vec.get_feature_names_out())[select.get_support()]
    coef = model.coef_.T  # (features, classes)
    artifact = {
        "version": 2, "classes": list(KINDS), "ngrams": list(NGRAMS), "intercept": model.intercept_.tolist(),
        "weights": {g: [round(float(v), 4) for v in row] for g, row in zip(names, coef) if np.abs(row).max() > 1e-3},
        "meta": {"trained": int((~val).sum()), "validation": int(val.sum()), "C": best_c, "cv_log_loss": cv_loss,
                 "decline_threshold": decline,
                 "validation_report": {k: {m: round(v, 4) for m, v in r.items()} if isinstance(r, dict) else round(r, 4)
                                       for k, r in report.items()},
                 "command": "nice -n 10 python training/train_scope.py"},
    }
    Path(args.out).write_text(json.dumps(artifact, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(artifact["meta"], ensure_ascii=False, indent=1))
    for t, y, p in zip(np.array(texts)[val], labels[val], pred):
        if y != p:
            print("  wrong:", KINDS[y], "->", KINDS[p], t)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
