"""Can the retrieved evidence answer the question? A calibrated logistic model over evidence features.

The model is a plain JSON of coefficients (assistant/resources/answerability-v1.json) written by
training/train_answerability.py from real questions and corpora; loading it runs no code."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..models import Hit
from ..store import LoadedIndex
from .features import FEATURES, evidence_features

MODEL_PATH = Path(__file__).resolve().parent.parent / "resources" / "answerability-v1.json"


@dataclass
class AnswerabilityModel:
    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float
    meta: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "AnswerabilityModel":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"answerability model {path} was trained on other features; retrain it")
        return cls(features=data["features"], mean=data["mean"], scale=data["scale"], coef=data["coef"],
                   intercept=data["intercept"], threshold=data["threshold"], meta=data.get("meta", {}))

    def probability(self, features: dict[str, float]) -> float:
        z = self.intercept
        for name, m, s, c in zip(self.features, self.mean, self.scale, self.coef):
            z += c * (float(features[name]) - m) / (s or 1.0)
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
