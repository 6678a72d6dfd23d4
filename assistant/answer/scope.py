"""What kind of request a message is — a policy question, a greeting, or a task / chit-chat the assistant
does not do — and the brief reply for the last two.

A small linear classifier over the message's character n-grams (assistant/resources/request-kind-v1.json,
trained by training/train_scope.py on real policy questions and written examples of the other kinds, and
measured on a held-out split). Pure Python at run time: no scikit-learn needed to load or apply it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..tokenize import normalize_query

MODEL_PATH = Path(__file__).resolve().parent.parent / "resources" / "request-kind-v1.json"
POLICY = "policy_question"
OUT_OF_SCOPE = "out_of_scope"
GREETING = "greeting"
KINDS = (POLICY, OUT_OF_SCOPE, GREETING)  # the classifier's classes
# Not a class of the classifier: a message that names nothing the policies could be about (怎么申请？ asked
# first, 你都会些什么, 先这样吧). No evidence can answer it, so it is asked to say what it is about.
UNCLEAR = "unclear"
NGRAMS = (1, 3)

COVERS = ("本助手解答青岛市城阳区企业关心的质量政策问题：区长质量奖、“青岛优品”、标准化试点与标准化奖励、"
          "企业标准自我声明公开、首席质量官、卓越绩效、认证补贴、NQI一站式服务等的申报条件、材料、流程、时限和奖补标准，"
          "回答均注明出处。")
EXAMPLES = ("区长质量奖最多奖多少钱？", "申报“青岛优品”需要什么条件？", "企业标准自我声明公开怎么操作？")


def char_ngrams(text: str, lo: int = NGRAMS[0], hi: int = NGRAMS[1]) -> set[str]:
    t = normalize_query(text).lower()
    return {t[i:i + n] for n in range(lo, hi + 1) for i in range(len(t) - n + 1)}


@dataclass
class RequestKindModel:
    classes: list[str]
    intercept: list[float]
    weights: dict[str, list[float]]  # n-gram -> one weight per class
    meta: dict

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "RequestKindModel":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["classes"], data["intercept"], data["weights"], data.get("meta", {}))

    def probabilities(self, text: str) -> dict[str, float]:
        z = list(self.intercept)
        for gram in char_ngrams(text):
            w = self.weights.get(gram)
            if w is not None:
                z = [a + b for a, b in zip(z, w)]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        s = sum(e)
        return {c: v / s for c, v in zip(self.classes, e)}


@lru_cache(maxsize=2)
def load_model(path: str = str(MODEL_PATH)) -> RequestKindModel:
    return RequestKindModel.load(Path(path))


# At or above this the request is declined without looking at the corpus: read off cross-validated
# probabilities by training/train_scope.py (at most 0.2 % of policy questions declined that way), never below 0.9.
SURE = float(load_model().meta.get("decline_threshold", 0.9))


def request_kind(question: str, model: RequestKindModel | None = None) -> tuple[str, float]:
    """(kind, probability): policy_question, out_of_scope or greeting. A non-policy kind below SURE is
    only used when the corpus cannot answer the request either (the caller checks)."""
    probs = (model or load_model()).probabilities(question)
    kind = max(probs, key=probs.get)
    return (kind, probs[kind]) if probs[kind] >= 0.5 else (POLICY, probs[POLICY])


# What a message that names no programme asks about (怎么申请？ -> 申报流程), to ask back which programme's.
# Not contact: its weakest cue (咨询) is how a greeting opens (你好，我想咨询一下).
_ASKED = {"eligibility": "申报条件", "materials": "申报材料", "steps": "申报流程", "deadline": "时间安排",
          "fee": "收费标准", "amount": "奖补标准", "definition": "含义"}


def scope_reply(kind: str, intent: str = "general") -> str:
    """The brief reply to a greeting, to a request the assistant does not handle, or to a message that names
    nothing (asked back which programme, naming what it asked when it asked something)."""
    unclear = (f"请问您想了解哪个项目或政策的{_ASKED[intent]}？" if intent in _ASKED
               else "请说明您想了解的具体政策、项目或事项（例如项目名称，以及想问条件、材料、流程还是奖补）。")
    lead = {GREETING: "您好！我是质量政策助手。", UNCLEAR: unclear}.get(kind, "抱歉，这个请求不在本助手的服务范围内。")
    examples = "\n".join(f"· {q}" for q in EXAMPLES)
    return f"{lead}{COVERS}\n您可以这样问：\n{examples}"
