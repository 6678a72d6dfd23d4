"""Which sentence of the retrieved passages answers the question: candidate sentences, their features,
and the logistic model (trained by training/train_sentence_ranker.py on the real ncp-policies dev
questions, whose gold answer spans mark the positive sentences) that scores them.

The model is plain JSON (standardization + coefficients), so applying it needs numpy only and costs
microseconds per sentence. Everything here is linear in the number of candidate sentences."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Callable

import numpy as np

from ..answer.intent import INTENT_WORDS, SECTION_CUES, SENTENCE_CUES, detect_intent
from ..ingest.chunking import ANSWER_LINE, QUESTION_LINE, innermost_section  # FAQ lines the chunker pairs
from ..models import Hit
from ..store import LoadedIndex
from ..tokenize import char_bigrams
from .sentence_spans import LONG_SENTENCE, passage_spans  # noqa: F401  (LONG_SENTENCE re-exported)

MODEL_RESOURCE = "sentence_ranker.json"
CANDIDATE_HITS = 6

# What a sentence carries. Kept general (not a list of phrasings from the dev questions).
_MONEY = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|亿元|元|%|％|倍)|[一二三四五六七八九十百千两]+(?:万元|亿元|元|倍)|百分之")
_DATE = re.compile(r"\d{4}年|\d{1,2}月\d{1,2}日|\d+个?(?:工作日|日|天|月|年)内|截止|之前|以前|期间|起至|有效期")
_PHONE = re.compile(r"\d{3,4}[-－—]\d{7,8}|1[3-9]\d{9}|\d{7,8}|热线|电话")
_PLACE = re.compile(r"[路街道巷]\d+号|\d+室|地址|大厅|窗口|网站|网址|平台|APP|app|小程序|公众号|www\.|http")
_CONDITION = re.compile(r"符合|具备|具有|满足|应当|须|不得|条件|对象|适用于|范围")
_ACTION = re.compile(r"给予|予以|免征|减免|减半|补贴|补助|奖励|延长|延期|缓缴|免收|降低|支持|提供|实行|暂停|开通|办理")
LIST_ITEM = re.compile(r"^[（(]?[一二三四五六七八九十\d]{1,3}[)）.．、]")
# How a purpose clause opens; the bare 为 counts only with its closing 制定本… (it is too common alone).
_PURPOSE_OPENERS = "为了|为进一步|为切实|为做好|为全面|为深入|为有效|为加快|为规范|为加强|为贯彻|为落实"
_PURPOSE = re.compile(rf"^(?:{_PURPOSE_OPENERS}|为)"
                      r".{0,160}(?:制定本|特制定|制定如下|现就|结合.{0,12}实际|通知如下|措施如下|意见如下)|^根据.{0,80}制定本")

# What a question asks for, by the kind of fact that answers it.
Q_FACETS: dict[str, re.Pattern] = {
    "money": re.compile(r"多少|最高|最多|金额|标准|比例|额度|几成|补贴|补助|奖励|费用|收费|贷"),
    "date": re.compile(r"什么时候|何时|截止|多久|多长|期限|时限|几天|日期|时间|哪天|延长|延期"),
    "phone": re.compile(r"电话|热线|号码|联系方式|咨询"),
    "place": re.compile(r"哪里|在哪|地址|地点|网址|网站|平台|渠道|途径|路径|入口|怎么找"),
    "list": re.compile(r"哪些|什么材料|条件|措施|有什么|包括|几项|流程|步骤"),
    "action": re.compile(r"如何|怎么|怎样|什么政策|政策|措施|支持|优惠|举措|征税|办法"),
}
S_FACETS: dict[str, re.Pattern] = {"money": _MONEY, "date": _DATE, "phone": _PHONE, "place": _PLACE,
                                   "list": LIST_ITEM, "action": _ACTION}

# Dense similarity of the sentence itself to the question (issue 9): cosine of the sentence's e5 passage
# vector (computed at index time, store.SentenceVectors) to the question's query vector (the one search
# embedded), its gap to the best candidate's, its rank among the candidates, its z-score among them.
DENSE_SENTENCE = ("sent_cos", "sent_cos_gap", "sent_cos_inv_rank", "sent_cos_z")

FEATURES = (
    "cov", "cov_ctx", "cov_rel", "bigram_recall", "bigram_prec", "bigram_rel", "section_cov",
    *(f"q_{k}" for k in Q_FACETS), *(f"s_{k}" for k in S_FACETS), *(f"match_{k}" for k in Q_FACETS),
    "condition", "purpose", "question_line", "answer_line", "heading_only", "item", "ends_colon",
    "pos_passage", "first_in_passage", "pos_doc", "doc_opening", "hit_inv_rank", "hit_score_rel",
    "top_doc", "doc_share", "log_len", "short", "long", "digits", "clause",
    "ask_word", "intent_cue", "section_cue",
    # The passage's rank on each side of the hybrid search (0 when that side did not return it): the dense
    # side's view of the passage costs nothing at answer time, unlike embedding every sentence.
    "hit_dense_inv_rank", "hit_lexical_inv_rank",
    # How well the unit the sentence belongs to (its article / innermost section, else its paragraph) covers
    # the question: a statute chunk holds two or three articles, and the lead should come from the one
    # that is about the question, not from its neighbour that shares a word.
    "unit_cov", "unit_cov_rel",
    *DENSE_SENTENCE,
)


@dataclass
class Candidate:
    doc_id: str
    start: int
    end: int
    text: str
    hit_rank: int  # 1-based rank of the passage it came from
    section: str
    index_in_passage: int
    passage_sentences: int
    clause: bool = False


SHORT = 4  # a shorter sentence is a candidate only as a guide field's whole value (不收费)


def field_value(rec, start: int, end: int) -> bool:
    """The whole body of a one-line field of a guide (【收费标准】 / 八、收费标准 followed by 不收费 alone): a
    short line, but the answer to what the field names, not a heading."""
    section = innermost_section(rec.outline, start, end)
    if section is None:
        return False
    body = [(s, e) for s, e in rec.lines if s >= section.start and e <= section.end and rec.text[s:e].strip()]
    return len(body) == 2 and body[0][0] == section.start and body[1][0] <= start < body[1][1]


def candidates(index: LoadedIndex, hits: list[Hit], max_hits: int = CANDIDATE_HITS) -> list[Candidate]:
    """The sentences of the first passages, each once (overlapping chunks repeat sentences); a very long
    sentence also yields its clauses, so the part that answers can lead on its own."""
    seen: set[tuple[str, int, int]] = set()
    out: list[Candidate] = []
    for rank, hit in enumerate(hits[:max_hits], 1):
        rec = index.docs[hit.doc_id]
        for a, b, is_clause, i, n in passage_spans(rec.text, hit.start, hit.end):
            if (hit.doc_id, a, b) in seen or (len(rec.text[a:b].strip()) < SHORT and not field_value(rec, a, b)):
                continue
            seen.add((hit.doc_id, a, b))
            out.append(Candidate(hit.doc_id, a, b, rec.text[a:b], rank, rec.section_for(a, b), i, n, is_clause))
    return out


def dense_sentence_features(index: LoadedIndex, cands: list[Candidate], query_vector) -> np.ndarray:
    """Columns DENSE_SENTENCE per candidate; NaN when the index has no sentence vectors (a build made
    before them) or no query vector was given (search ran without its dense side)."""
    out = np.full((len(cands), len(DENSE_SENTENCE)), np.nan)
    vectors = index.sentence_vectors
    if query_vector is None or vectors is None or not cands:
        return out
    cos = vectors.cosines(np.asarray(query_vector), [(c.doc_id, c.start, c.end) for c in cands])
    ok = ~np.isnan(cos)
    if not ok.any():
        return out
    best, mean, std = cos[ok].max(), cos[ok].mean(), cos[ok].std()
    order = np.argsort(-np.where(ok, cos, -np.inf), kind="stable")
    rank = np.empty(len(cos))
    rank[order] = np.arange(1, len(cos) + 1)
    out[ok, 0] = cos[ok]
    out[ok, 1] = cos[ok] - best
    out[ok, 2] = 1.0 / rank[ok]
    out[ok, 3] = (cos[ok] - mean) / std if std > 0 else 0.0
    # A span an older build did not embed (its spans were fewer): the least similar, so that one such row
    # does not send the whole question to the model without dense features.
    worst = cos[ok].min()
    out[~ok] = [worst, worst - best, 1.0 / (ok.sum() + 1), (worst - mean) / std if std > 0 else 0.0]
    return out


def _unit(rec, c: Candidate) -> tuple[str, int, int] | None:
    """(doc, start, end) of the innermost outline section holding the candidate (an article in a statute),
    else of its paragraph."""
    best = innermost_section(rec.outline, c.start, c.end)
    if best is not None:
        return c.doc_id, best.start, best.end
    for s, e in rec.lines:
        if s <= c.start < e:
            return c.doc_id, s, max(e, c.end)
    return None


def is_heading_only(text: str) -> bool:
    """A title or heading line: short, no sentence punctuation inside, no figure in it. A line that ends
    like a sentence (。；) is a list item, not a heading (担任或者拟担任企业高层管理职务。)."""
    text = text.strip()
    if text.endswith(("。", "；", ";", "！", "？", "?", "!")):
        return False
    return len(text) <= 40 and not re.search(r"[。；，：:！？]", text[:-1]) and not re.search(r"\d", text)


_PURPOSE_OPEN = re.compile(f"(?:{_PURPOSE_OPENERS})")


def opens_purpose(text: str) -> bool:
    """为深入贯彻…: the opening of a purpose clause, its 制定本… perhaps in a later clause."""
    return bool(_PURPOSE_OPEN.match(text))


def is_purpose_clause(text: str) -> bool:
    """为了…，制定本办法 / 为做好…，现就…通知如下: why a document exists, not what it rules."""
    text = re.sub(r"^第[一二三四五六七八九十百零〇\d]+条\s*", "", text.strip())
    return bool(_PURPOSE.search(text[:160]))


# The sign-off of a notice: issuer names (one or several, blanks between) and the date, nothing else;
# 特此通告。 / 特此通知。 closes a notice without saying anything.
_DATE = r"(?:\d{4}|[〇零一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日"
_SIGNATURE = re.compile(rf"[\u4e00-\u9fff（）()\s]{{0,80}}{_DATE}")
_CLOSER = re.compile(r"特此(?:通告|通知|公告|函告|说明)[。！!]?")
_PRINTED = re.compile(rf"[\u4e00-\u9fff（）()\s]{{2,60}}{_DATE}\s*印发[。]?")  # the print line


def is_sign_off(text: str) -> bool:
    """教育部…领导小组办公室（代章） 2020年2月10日 / 特此通告。: the end of a notice, not its content."""
    text = text.strip()
    return bool(_SIGNATURE.fullmatch(text) or _CLOSER.fullmatch(text) or _PRINTED.fullmatch(text))


# A sign-off that a sentence runs on from (no full stop after a date): issuer names, a blank, the date, then a
# blank or the end, and the publication note after it. The blank before the date tells it from a ruling that
# opens with a date (自2020年2月1日起…, 四川省应急委员会宣布自2020年2月26日0时起…).
_SIGN_OFF_HEAD = re.compile(r"(?:特此(?:通告|通知|公告)[。！!]?\s*)?[\u4e00-\u9fff（）()]{4,}(?:\s+[\u4e00-\u9fff（）()]{2,})*"
                            rf"\s+{_DATE}"
                            r"(?=\s|$|[（(\[])(?:\s*[（(](?:此件|信息公开形式)[^）)]{0,12}[）)])?\s*")


def sign_off_head(text: str) -> int:
    """Length of the sign-off that `text` opens with (国家税务总局 2020年2月10日 …: a notice's end run into the
    next page's start), 0 when it opens with none."""
    m = _SIGN_OFF_HEAD.match(text)
    return m.end() if m else 0


def is_question_line(text: str) -> bool:
    return bool(QUESTION_LINE.match(text.strip()))


def features(index: LoadedIndex, question: str, cands: list[Candidate], hits: list[Hit],
             cover: Callable[[str], float], query_vector=None) -> np.ndarray:
    """One row per candidate, columns in FEATURES order. `cover(text)` is the IDF-weighted share of the
    question's terms found in text (the composer's coverage with its abbreviations); `query_vector` the
    question's e5 query vector as search embedded it (None: the dense sentence columns are NaN)."""
    if not cands:
        return np.zeros((0, len(FEATURES)))
    q_grams = set(char_bigrams(question))
    intent = detect_intent(question)
    cue, section_cue = SENTENCE_CUES.get(intent), SECTION_CUES.get(intent)
    # The asking word's stem (多少钱 -> 少钱 is no use, 补贴多少 -> 补贴): the thing asked about.
    ask_words = {w[-2:] for w in INTENT_WORDS.findall(question) if len(w) >= 2}
    q_facets = [1.0 if p.search(question) else 0.0 for p in Q_FACETS.values()]
    top_score = hits[0].score if hits and hits[0].score > 0 else 1.0
    top_doc = hits[0].doc_id if hits else ""
    doc_share: dict[str, float] = {}
    for h in hits[:CANDIDATE_HITS]:
        doc_share[h.doc_id] = doc_share.get(h.doc_id, 0.0) + 1.0 / CANDIDATE_HITS
    section_cover: dict[str, float] = {}
    unit_cover: dict[tuple[str, int, int], float] = {}
    rows = []
    for c in cands:
        rec = index.docs[c.doc_id]
        text = c.text.strip()
        low = text.lower()
        hit = hits[c.hit_rank - 1]
        grams = set(char_bigrams(text))
        common = len(q_grams & grams)
        if c.section not in section_cover:
            section_cover[c.section] = cover(c.section.lower()) if c.section else 0.0
        s_facets = [1.0 if p.search(text) else 0.0 for p in S_FACETS.values()]
        rows.append([
            cover(low), cover(f"{rec.meta.title} {c.section} {text}".lower()), 0.0,
            common / len(q_grams) if q_grams else 0.0, common / len(grams) if grams else 0.0, 0.0,
            section_cover[c.section],
            *q_facets, *s_facets, *(q * s for q, s in zip(q_facets, s_facets)),
            1.0 if _CONDITION.search(text) else 0.0,
            1.0 if is_purpose_clause(text) else 0.0,
            1.0 if is_question_line(text) else 0.0,
            1.0 if ANSWER_LINE.match(text) else 0.0,
            1.0 if is_heading_only(text) else 0.0,
            1.0 if LIST_ITEM.match(text) else 0.0,
            1.0 if text.endswith(("：", ":")) else 0.0,
            c.index_in_passage / max(1, c.passage_sentences - 1),
            1.0 if c.index_in_passage == 0 else 0.0,
            c.start / max(1, len(rec.text)),
            1.0 if c.start < 200 else 0.0,
            1.0 / c.hit_rank,
            max(0.0, hit.score) / top_score,
            1.0 if c.doc_id == top_doc else 0.0,
            doc_share.get(c.doc_id, 0.0),
            math.log(1 + len(text)),
            1.0 if len(text) < 12 else 0.0,
            1.0 if len(text) > 150 else 0.0,
            1.0 if re.search(r"\d", text) else 0.0,
            1.0 if c.clause else 0.0,
            1.0 if ask_words and any(w in text for w in ask_words) else 0.0,
            1.0 if cue is not None and cue.search(text) else 0.0,
            1.0 if section_cue is not None and section_cue.search(c.section) else 0.0,
            1.0 / hit.dense_rank if hit.dense_rank else 0.0,
            1.0 / hit.lexical_rank if hit.lexical_rank else 0.0,
            unit_cover.setdefault(unit, cover(rec.text[unit[1]:unit[2]].lower())) if (unit := _unit(rec, c)) else 0.0,
            0.0,
            *([0.0] * len(DENSE_SENTENCE)),
        ])
    x = np.asarray(rows, dtype=float)
    first = FEATURES.index(DENSE_SENTENCE[0])
    x[:, first:first + len(DENSE_SENTENCE)] = dense_sentence_features(index, cands, query_vector)
    names = FEATURES
    for col, src in (("cov_rel", "cov"), ("bigram_rel", "bigram_recall"), ("unit_cov_rel", "unit_cov")):
        j, k = names.index(col), names.index(src)
        top = x[:, k].max()
        x[:, j] = x[:, k] / top if top > 0 else 0.0
    return x


class SentenceRanker:
    """The trained model over FEATURES; `score` returns a calibrated probability per row that the sentence
    holds the answer. Either a standardized logistic regression (plain numbers) or a LightGBM ranker (its
    text model) whose raw score is mapped to a probability by a fitted logistic curve."""

    def __init__(self, spec: dict, fallback: "SentenceRanker | None" = None) -> None:
        unknown = [f for f in spec["features"] if f not in FEATURES]
        if unknown:
            raise ValueError(f"sentence ranker was trained on features this code does not compute ({unknown}); retrain it")
        # An artifact may use a subset of FEATURES (an older version): its columns, in its order.
        self.columns = np.array([FEATURES.index(f) for f in spec["features"]], dtype=int)
        self.spec = spec
        self.version = spec.get("version", "")
        self.kind = spec.get("kind", "logistic")
        self.threshold = float(spec.get("threshold", 0.5))
        # A model that reads the dense sentence columns cannot score rows without them (an index built
        # before sentence vectors, a search without its dense side): its fallback, trained without, does.
        self.dense_columns = np.array([FEATURES.index(f) for f in DENSE_SENTENCE if f in spec["features"]], dtype=int)
        self.fallback = fallback
        if len(self.dense_columns) and fallback is not None and len(fallback.dense_columns):
            raise ValueError("the fallback sentence ranker must not need dense sentence features")
        if self.kind == "lightgbm":
            import lightgbm

            self.booster = lightgbm.Booster(model_str=spec["model"])
            self.calibration = tuple(float(v) for v in spec["calibration"])
        else:
            self.mean = np.asarray(spec["mean"], dtype=float)
            self.scale = np.asarray(spec["scale"], dtype=float)
            self.coef = np.asarray(spec["coef"], dtype=float)
            self.intercept = float(spec["intercept"])

    def for_rows(self, x: np.ndarray) -> "SentenceRanker":
        """The model that can score these rows: this one, or its fallback when they lack dense columns."""
        if len(self.dense_columns) and len(x) and np.isnan(x[:, self.dense_columns]).any():
            if self.fallback is None:
                raise ValueError("sentence ranker needs dense sentence features and has no fallback")
            return self.fallback
        return self

    def raw(self, x: np.ndarray) -> np.ndarray:
        model = self.for_rows(x)
        if model is not self:
            return model.raw(x)
        x = x[:, self.columns]
        if self.kind == "lightgbm":
            return np.asarray(self.booster.predict(x, num_threads=1), dtype=float)
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def score(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        model = self.for_rows(x)
        z = model.raw(x)
        if model.kind == "lightgbm":
            a, b = model.calibration
            z = a * z + b
        return 1.0 / (1.0 + np.exp(-z))


def _read_spec(name: str) -> dict | None:
    try:
        return json.loads(resources.files("assistant.resources").joinpath(name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


@lru_cache(maxsize=1)
def load_ranker() -> SentenceRanker | None:
    """The shipped model (with its fallback for rows without dense sentence features, when it names one),
    or None when it is missing (the composer then uses its hand-weighted score)."""
    spec = _read_spec(MODEL_RESOURCE)
    if spec is None:
        return None
    fallback = _read_spec(spec["fallback"]) if spec.get("fallback") else None
    return SentenceRanker(spec, SentenceRanker(fallback) if fallback is not None else None)
