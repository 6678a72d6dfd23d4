"""Can the retrieved evidence answer the question? A trained model over evidence features.

The model is plain JSON (boosted trees or linear coefficients) written by training/train_answerability.py from
real questions and corpora; loading it runs no code. answerability-v2.json adds dense-similarity features
(the raw e5 cosines search attaches to hits); it applies only when search ran its dense side. A lexical-only
search (no embedding model, an index without vectors, lexical weight 1) is judged by answerability-v1.json,
trained on the lexical features alone."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..models import Hit
from ..store import LoadedIndex
from .features import DENSE, FEATURES, FOCUS, SOFT, evidence_features, uses_dense

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
MODEL_PATH = RESOURCES / "answerability-v2.json"
LEXICAL_MODEL_PATH = RESOURCES / "answerability-v1.json"  # when search has no dense side


@dataclass
class AnswerabilityModel:
    """Either a linear model (mean, scale, coef, intercept) or boosted regression trees (init + rate × the sum
    of the trees' leaves), both giving log-odds; the threshold applies to the probability."""

    features: list[str]
    threshold: float
    kind: str = "linear"
    mean: list[float] = field(default_factory=list)
    scale: list[float] = field(default_factory=list)
    coef: list[float] = field(default_factory=list)
    intercept: float = 0.0
    init: float = 0.0
    rate: float = 0.1
    trees: list[dict] = field(default_factory=list)  # {"left", "right", "feature", "threshold", "value"} arrays
    meta: dict = field(default_factory=dict)
    version: int = 1

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "AnswerabilityModel":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        # Features are read by name, so a model on a subset of them, or with the optional FOCUS ones, applies.
        unknown = [f for f in data["features"] if f not in FEATURES + FOCUS + DENSE + SOFT]
        if unknown:
            raise ValueError(f"answerability model {path} was trained on features this code lacks ({unknown}); retrain it")
        keys = ("kind", "mean", "scale", "coef", "intercept", "init", "rate", "trees", "meta", "version")
        return cls(features=data["features"], threshold=data["threshold"], **{k: data[k] for k in keys if k in data})

    @property
    def needs_dense(self) -> bool:
        return uses_dense(self.features)

    @property
    def uses_soft(self) -> bool:
        return any(f in SOFT for f in self.features)

    def log_odds(self, features: dict[str, float]) -> float:
        x = [float(features[name]) for name in self.features]
        if self.kind == "trees":
            z = self.init
            for t in self.trees:
                node = 0
                while t["left"][node] != -1:
                    node = t["left"][node] if x[t["feature"][node]] <= t["threshold"][node] else t["right"][node]
                z += self.rate * t["value"][node]
            return z
        return self.intercept + sum(c * (v - m) / (s or 1.0) for v, m, s, c in zip(x, self.mean, self.scale, self.coef))

    def probability(self, features: dict[str, float]) -> float:
        z = self.log_odds(features)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


@lru_cache(maxsize=4)
def load_model(path: str = str(MODEL_PATH)) -> AnswerabilityModel:
    return AnswerabilityModel.load(Path(path))


@dataclass
class Decision:
    answerable: bool
    probability: float
    threshold: float
    features: dict[str, float]
    model_version: int = 1  # the artifact that decided (2: with dense features; 1: lexical only)


def decide(index: LoadedIndex, question: str, intent: str, hits: list[Hit], threshold: float | None = None,
           model: AnswerabilityModel | None = None, dense: bool | None = None) -> Decision:
    """Found or not found, with the probability it rests on. `threshold` overrides the one shipped with
    the model (chosen on held-out data for a stated precision; see the artifact's meta). `dense`: whether
    search ran its dense side (None: whether any hit carries a cosine); without it a model that needs
    dense features gives way to the lexical one (its own threshold; an override applies to the served model)."""
    model = model or load_model()
    if dense is None:
        dense = any(h.dense_score is not None for h in hits)
    if model.needs_dense and not dense:
        model = load_model(str(LEXICAL_MODEL_PATH))
        threshold = None
    if not hits:
        return Decision(False, 0.0, model.threshold, {}, model.version)
    feats = evidence_features(index, question, intent, hits, soft=model.uses_soft)
    p = model.probability(feats)
    t = model.threshold if threshold is None else threshold
    return Decision(p >= t, p, t, feats, model.version)
