"""Soft coverage: how close the best passages come to the question's terms they do not contain.

Term coverage counts a question term only on an exact match, so a colloquial question whose words are
paraphrases of the corpus's (业务 / 服务, 科室 / 质量发展科, 营收 / 营业收入) looks as uncovered as an off-domain
one (个人所得税). The measure here is at character level and costs no model call: the IDF-weighted share of an
uncovered term's characters that one sentence of the best passages holds — characters rare in the corpus weigh
most, so 科 of 科室 in 质量发展科 counts, the 子 of 盘子 hardly. A paraphrase sharing no character (盘子 / 规模,
上班 / 服务时间) stays uncovered. Measured, not kept: the uncovered terms' e5 query vectors against the best
passages' chunk vectors (docs/benchmarks.md, "Soft coverage of uncovered terms": no gain on validation).
"""

from __future__ import annotations

import math
import re
from collections import Counter

from ..models import Hit
from ..store import LoadedIndex

SENTENCE = re.compile(r"[^。；！？!?;\n]+")


def char_idf(index: LoadedIndex) -> dict[str, float]:
    """Inverse document frequency of every character over the index's chunks (computed once per index)."""
    cached = index.__dict__.get("_char_idf")
    if cached is not None:
        return cached
    df: Counter[str] = Counter()
    for c in index.chunks:
        df.update(set(c.text.lower()))
    n = max(len(index.chunks), 1)
    idf = {ch: math.log(1 + (n - d + 0.5) / (d + 0.5)) for ch, d in df.items()}
    idf[""] = math.log(1 + (n + 0.5) / 0.5)  # the weight of a character the corpus never uses
    index.__dict__["_char_idf"] = idf
    return idf


def char_share(term: str, text: str, idf: dict[str, float]) -> float:
    """IDF-weighted share of the term's distinct characters that `text` holds."""
    chars = set(term.lower())
    weight = {ch: idf.get(ch, idf[""]) for ch in chars if not ch.isspace()}
    total = sum(weight.values())
    return sum(w for ch, w in weight.items() if ch in text) / total if total > 0 else 0.0


def sentences(hits: list[Hit]) -> list[str]:
    """The best passages cut into sentences, each title and heading one of them."""
    out = []
    for h in hits:
        out.extend(s for s in (h.title.lower(), h.section.lower()) if s)
        out.extend(m.group(0) for m in SENTENCE.finditer(h.text.lower()))
    return out


def char_shares(index: LoadedIndex, uncovered: list[str], hits: list[Hit]) -> dict[str, float]:
    """Each uncovered term's best character share over the sentences of `hits`."""
    idf = char_idf(index)
    parts = sentences(hits)
    return {t: max((char_share(t, s, idf) for s in parts), default=0.0) for t in uncovered}
