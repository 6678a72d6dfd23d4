"""Features of a question and the evidence retrieval found for it, for the answerability model.

Every feature is scale-free (a share, a ratio to what the corpus allows, a flag) so that a model trained on
one corpus (the real ncp policies, statutes, Guangdong guides) transfers to another (the shipped corpus).
DENSE features read the raw e5 cosine that search already computed for each hit (Hit.dense_score): no second
embedding call. One embedding model serves every corpus, so a raw cosine means the same on the training
corpora as on the shipped one; they are meaningful only when search ran its dense side (see answerability.py).

Three "focus" features were tried (FOCUS): whether the matched terms meet in one sentence (a topic word in the title
and the thing asked somewhere else in the text is not an answer), and how much of the match one term carries
(a single rare shared word such as 注销 matching by accident)."""

from __future__ import annotations

import math
import re

from ..answer.compose import coverage, expansions, question_terms, uncovered
from ..answer.intent import SENTENCE_CUES
from ..ingest.region import chain, mentioned_regions
from ..models import Hit
from ..store import LoadedIndex
from ..tokenize import char_bigrams, normalize_query, query_tokens, tagged_words
from .soft_coverage import char_shares

FEATURES = (
    "cover_top1",  # weighted share of the question's terms in the best passage (with its title and heading)
    "cover_top3_max",
    "cover_top3_union",  # … in the three best passages together
    "cover_best_doc",  # … in the best document's passages among the top five (the old hand-tuned rule's signal)
    "noun_cover_union",  # the same for the subject words only (nouns)
    "title_cover",  # share of the subject words the best passages' titles and headings name (the topic asked)
    "head_noun_covered",  # the last subject word — usually the thing asked (名单, 密码, 电话) — is in the evidence
    "rarest_uncovered_idf",  # IDF of the rarest question term the evidence lacks, relative to the corpus maximum
    "unknown_term_share",  # weight share of terms the corpus never uses
    "n_terms",  # log(1 + number of weighted terms)
    "bm25_top1",  # best BM25 score relative to what the query's terms could reach
    "bm25_gap",  # (best − best of another document) / best
    "known_token_share",  # share of query tokens in the corpus vocabulary
    "bigram_overlap",  # share of the question's character bigrams in the best passage
    "region_mismatch",  # the question names a region none of the evidence belongs to or contains
    "year_mismatch",  # the question names a year the evidence never mentions
    "intent_cue_missing",  # it asks for an amount / a date / a phone … and no passage carries one
    "entity_uncovered",  # share of the question's proper names (people, organisations, places) not in the evidence
)
# Measured and not kept (docs/benchmarks.md, second pass): the share of the terms meeting in one sentence,
# the coverage without the heaviest covered term and that term's share of the match. They are still
# computed (FOCUS) so that training can try them again: `train_answerability.py --with-focus`.
FOCUS = ("cover_best_sentence", "cover_without_top", "top_term_share")
# From the hits' raw e5 cosines (Hit.dense_score; a hit outside the dense candidates has none).
DENSE = (
    "dense_top1",  # cosine of the best fused passage (0 when it was not among the dense candidates)
    "dense_best",  # best cosine among the retrieved passages
    "dense_gap",  # best cosine minus the best cosine of another document among them
    "dense_top3_mean",  # mean cosine of the three best fused passages (missing ones count 0)
    "dense_top1_rank",  # log(1 + dense rank) of the best fused passage (log 101 when not a dense candidate)
)
# Soft coverage of the terms the three best passages lack (soft_coverage.py): how close they come anyway.
SOFT_CHAR = (
    "soft_cover_char",  # cover_top3_union with each uncovered term counted by its best sentence's character share
    "uncovered_char_share",  # weighted mean of the uncovered terms' character shares (1 when none is uncovered)
    "soft_char_gain",  # soft_cover_char − cover_top3_union: the coverage the character matches add
)
SOFT = SOFT_CHAR
_SENTENCE = re.compile(r"[^。；！？!?;\n]+")
_YEAR = re.compile(r"(?:19|20)\d{2}(?=年)")
_PROPER = ("nr", "nt", "ns", "nz")


def _passage(index: LoadedIndex, hit: Hit) -> str:
    return f"{hit.title} {hit.section} {hit.text}".lower()


def evidence_features(index: LoadedIndex, question: str, intent: str, hits: list[Hit],
                      focus: bool = False, soft: bool = False) -> dict[str, float]:
    """The feature vector (by name) of `question` against its retrieved `hits` in `index`; the FOCUS and
    SOFT ones (not used by the shipped model) only when asked for."""
    q = normalize_query(question)
    out = dict.fromkeys(FEATURES + FOCUS, 0.0)
    out.update(dense_features(hits))
    terms = question_terms(index, question)
    nouns = question_terms(index, question, topical_only=True)
    alias = expansions(question)
    vocab = index.bm25.vocab_dict if index.bm25 is not None else {}
    out["n_terms"] = math.log1p(len(terms))
    top = hits[:3]
    passages = [_passage(index, h) for h in top]
    union = " ".join(passages)
    if passages and terms:
        covers = [coverage(terms, p, alias, vocab) for p in passages]
        out["cover_top1"] = covers[0]
        out["cover_top3_max"] = max(covers)
        out["cover_top3_union"] = coverage(terms, union, alias, vocab)
    elif passages:
        out["cover_top1"] = out["cover_top3_max"] = out["cover_top3_union"] = 1.0
    if hits and terms:
        evidence: dict[str, str] = {}
        for h in hits[:5]:
            evidence[h.doc_id] = evidence.get(h.doc_id, h.title) + f" {h.section} {h.text}"
        out["cover_best_doc"] = max(coverage(terms, t.lower(), alias, vocab) for t in evidence.values())
    elif hits:
        out["cover_best_doc"] = 1.0
    out["noun_cover_union"] = coverage(nouns, union, alias, vocab) if nouns and union else float(bool(union))
    heads = " ".join(f"{h.title} {h.section}" for h in top).lower()
    out["title_cover"] = coverage(nouns or terms, heads, alias, vocab) if (nouns or terms) and heads else 0.0
    if nouns:
        positions = {t: q.find(t) for t in nouns}
        head = max(positions, key=lambda t: (positions[t], len(t)))
        out["head_noun_covered"] = coverage({head: 1.0}, union, alias, vocab) if union else 0.0
    else:
        out["head_noun_covered"] = 1.0 if union else 0.0
    n = max(len(index.chunks), 1)
    max_idf = math.log(1 + (n + 0.5) / 0.5)
    missing = uncovered(terms, union, alias, vocab) if union else list(terms)
    if missing:
        out["rarest_uncovered_idf"] = max(index.idf(t) for t in missing) / max_idf
    if soft:
        out.update(soft_features(index, terms, missing, top, out["cover_top3_union"]))
    total = sum(terms.values())
    if total > 0:
        out["unknown_term_share"] = sum(w for t, w in terms.items() if t not in vocab) / total
    tokens = query_tokens(q)
    if tokens:
        known = [t for t in tokens if t in vocab]
        out["known_token_share"] = len(known) / len(tokens)
        lexical = index.lexical(tokens, 50)
        if lexical and known:
            k1 = 1.2
            ceiling = (k1 + 1) * sum(index.idf(t) for t in known)
            best_pos, best = lexical[0]
            out["bm25_top1"] = min(best / ceiling, 1.0) if ceiling > 0 else 0.0
            best_doc = index.chunks[best_pos].doc_id
            other = next((s for p, s in lexical[1:] if index.chunks[p].doc_id != best_doc), 0.0)
            out["bm25_gap"] = (best - other) / best if best > 0 else 0.0
    grams = set(char_bigrams(q))
    if grams and passages:
        out["bigram_overlap"] = len(grams & set(char_bigrams(top[0].text + top[0].title))) / len(grams)
    asked_regions = mentioned_regions(q)
    if asked_regions and top:
        doc_regions = [index.docs[h.doc_id].meta.region if h.doc_id in index.docs else "" for h in top]
        out["region_mismatch"] = float(not any(_related(r, d) for r in asked_regions for d in doc_regions))
    years = set(_YEAR.findall(q))
    if years and top:
        out["year_mismatch"] = float(not any(y in union for y in years))
    cue = SENTENCE_CUES.get(intent)
    if cue is not None and top:
        out["intent_cue_missing"] = float(not any(cue.search(h.text) for h in top))
    proper = [w for w, pos in tagged_words(q) if pos in _PROPER and len(w) >= 2 and not mentioned_regions(w)]
    if proper:
        out["entity_uncovered"] = sum(1 for w in proper if w.lower() not in union) / len(proper)
    if focus and union and terms:
        sentences = [m.group(0) for h in top for m in _SENTENCE.finditer(h.text.lower())]
        out["cover_best_sentence"] = max((coverage(terms, t, alias, vocab) for t in sentences), default=0.0)
        covered = {t: w for t, w in terms.items() if coverage({t: w}, union, alias, vocab) > 0}
        if covered:
            heaviest = max(covered, key=covered.get)
            out["top_term_share"] = covered[heaviest] / sum(covered.values())
            rest = {t: w for t, w in terms.items() if t != heaviest}
            out["cover_without_top"] = coverage(rest, union, alias, vocab) if rest else 0.0
    return out


def soft_features(index: LoadedIndex, terms: dict[str, float], uncovered: list[str], top: list[Hit],
                  cover: float) -> dict[str, float]:
    """The SOFT features: the uncovered terms' closeness to the best passages `top` (`cover`: their hard
    coverage, cover_top3_union)."""
    out = {"soft_cover_char": cover, "uncovered_char_share": 1.0, "soft_char_gain": 0.0}
    weights = {t: terms[t] for t in uncovered if t in terms}
    total, missing = sum(terms.values()), sum(weights.values())
    if not top or total <= 0 or missing <= 0:
        return out
    shares = char_shares(index, list(weights), top)
    gained = sum(weights[t] * shares[t] for t in weights)
    out["uncovered_char_share"] = gained / missing
    out["soft_cover_char"] = min(cover + gained / total, 1.0)
    out["soft_char_gain"] = out["soft_cover_char"] - cover
    return out


def dense_features(hits: list[Hit], candidates: int = 100) -> dict[str, float]:
    """The DENSE features of retrieved hits, from the cosines search attached to them."""
    out = dict.fromkeys(DENSE, 0.0)
    out["dense_top1_rank"] = math.log1p(candidates + 1)
    if not hits:
        return out
    cos = [h.dense_score if h.dense_score is not None else 0.0 for h in hits]
    out["dense_top1"] = cos[0]
    out["dense_top3_mean"] = sum(cos[:3]) / 3
    if hits[0].dense_rank is not None:
        out["dense_top1_rank"] = math.log1p(hits[0].dense_rank)
    best = max(range(len(hits)), key=lambda i: cos[i])
    out["dense_best"] = cos[best]
    others = [c for h, c in zip(hits, cos) if h.doc_id != hits[best].doc_id]
    out["dense_gap"] = cos[best] - max(others) if others else cos[best]
    return out


def uses_dense(names) -> bool:
    return any(n in DENSE for n in names)


def _related(asked: str, doc_region: str) -> bool:
    """A document answers for a named region when it is that region's, a region above it, or inside it."""
    if not doc_region:
        return False
    return doc_region in chain(asked) or asked in chain(doc_region)


def vector(features: dict[str, float]) -> list[float]:
    return [float(features[name]) for name in FEATURES]
