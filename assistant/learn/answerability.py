"""Can the retrieved evidence answer the question? A trained model over evidence features.

The model is plain JSON (boosted trees or linear coefficients) (assistant/resources/answerability-v1.json) written by
training/train_answerability.py from real questions and corpora; loading it runs no code."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..models import Hit
from ..store import LoadedIndex
from .features import FEATURES, FOCUS, evidence_features

MODEL_PATH = Path(__file__).resolve().parent.parent / "resources" / "answerability-v1.json"


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

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "AnswerabilityModel":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        # Features are read by name, so a model on a subset of them, or with the optional FOCUS ones, applies.
        unknown = [f for f in data["features"] if f not in FEATURES + FOCUS]
        if unknown:
            raise ValueError(f"answerability model {path} was trained on features this code lacks ({unknown}); retrain it")
        keys = ("kind", "mean", "scale", "coef", "intercept", "init", "rate", "trees", "meta")
        return cls(features=data["features"], threshold=data["threshold"], **{k: data[k] for k in keys if k in data})

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


def decide(index: LoadedIndex, question: str, intent: str, hits: list[Hit], threshold: float | None = None,
           model: AnswerabilityModel | None = None) -> Decision:
    """Found or not found, with the probability it rests on. `threshold` overrides the one shipped with
    the model (chosen on held-out data for a stated precision; see the artifact's meta)."""
    model = model or load_model()
    if not hits:
        return Decision(False, 0.0, model.threshold, {})
    feats = evidence_features(index, question, intent, hits)
    p = model.probability(feats)
    t = model.threshold if threshold is None else threshold
    return Decision(p >= t, p, t, feats)
