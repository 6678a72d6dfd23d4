"""Lexical tokenization: jieba with the domain dictionary, stop words and query-side expansions."""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from importlib import resources

import yaml

from .text import arabic_articles_to_chinese, to_halfwidth, to_simplified

_lock = threading.Lock()
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _resource(name: str) -> str:
    return resources.files("assistant.resources").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    with _lock:
        tokenizer.initialize()
        for line in _resource("userdict.txt").splitlines():
            parts = line.split()
            if parts:
                tokenizer.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)
    return tokenizer


@lru_cache(maxsize=1)
def lexicon_digest() -> str:
    """A fingerprint of what the index side of tokenization reads (the domain dictionary, the stop words): an
    index built under another one holds tokens a question is no longer cut into."""
    import hashlib

    return hashlib.sha256("\0".join(_resource(n) for n in ("userdict.txt", "stopwords.txt")).encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(w.strip() for w in _resource("stopwords.txt").splitlines() if w.strip())


@lru_cache(maxsize=1)
def synonyms() -> dict[str, list[str]]:
    return {str(k): [str(v) for v in vals] for k, vals in (yaml.safe_load(_resource("synonyms.yaml")) or {}).items()}


def tokenize(text: str) -> list[str]:
    """Index-side tokens: jieba search-mode words (so 质量管理体系认证 also yields 质量, 认证 …),
    lower-cased, stop words and punctuation dropped."""
    text = to_halfwidth(text).lower()
    out: list[str] = []
    stop = stopwords()
    for word in _jieba().cut_for_search(text):
        word = word.strip()
        if not word or word in stop or not _TOKEN_OK.search(word):
            continue
        out.append(word)
    return out


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def char_bigrams(text: str) -> list[str]:
    """Overlapping CJK character pairs: they match where word segmentation disagrees between a
    question and a document (colloquial forms, typos, unknown names)."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def lexical_tokens(text: str) -> list[str]:
    """What the BM25 index holds for a text: search-mode words plus character bigrams
    (measured on the real ncp-policies questions: recall@1 0.78 -> 0.82; docs/benchmarks.md)."""
    return tokenize(text) + char_bigrams(to_halfwidth(text).lower())


def words(text: str) -> list[str]:
    """Precise-mode jieba words (no sub-word expansion), lower-cased, stop words and punctuation dropped."""
    stop = stopwords()
    return [w for w in (t.strip() for t in _jieba().lcut(to_halfwidth(text).lower()))
            if w and w not in stop and _TOKEN_OK.search(w)]


@lru_cache(maxsize=1)
def _pos_tagger():
    import jieba.posseg

    return jieba.posseg.POSTokenizer(_jieba())


# jieba's HMM guesses words its dictionary lacks, at several milliseconds per character of an unknown run
# (2,000 distinct characters cost ~10 s of CPU); past this many characters the dictionary alone segments,
# so tagging a question costs at most a bounded HMM pass plus linear dictionary work.
HMM_MAX_CHARS = 120
_CLAUSE_END = re.compile(r"[，。；！？,.;!?\s]")


# A number with its unit (1200万, 几天内, 10个亿以上). Questions drop the 元 that documents write, and jieba then
# joins the unit to the next character: 1200万能补 -> 万能, 几天内交 -> 内交, words the question never said that
# count as uncovered and refuse it. Cutting the question after each quantity keeps the unit with its number.
_QUANTITY = re.compile(r"(?:\d+(?:\.\d+)?|几)\s*(?:[个多]\s*)?(?:[万亿千百]\s*)?"
                       r"(?:工作日|小时|学时|批次|[元块天日周年月个家项件次批期名人分%])?(?:以内|以上|以下|之内|左右|内)?")


def quantity_segments(text: str) -> list[str]:
    """`text` cut after each number-with-unit, so that no word is segmented across that boundary."""
    out, start = [], 0
    for m in _QUANTITY.finditer(text):  # matches are never empty, so no segment is
        if not m.group(0).isdigit() and m.group(0) != "几":  # a bare number cuts nothing jieba would join
            out.append(text[start:m.end()])
            start = m.end()
    if start < len(text):
        out.append(text[start:])
    return out


def tagged_words(text: str) -> list[tuple[str, str]]:
    """Precise-mode words with their part of speech (n, v, nz, eng …), stop words dropped."""
    return list(_tagged_words(to_halfwidth(text).lower()))


@lru_cache(maxsize=512)  # one question is tagged several times (composer, its parts, follow-ups)
def _tagged_words(text: str) -> tuple[tuple[str, str], ...]:
    head, tail = text, ""
    if len(text) > HMM_MAX_CHARS:
        ends = [m.end() for m in _CLAUSE_END.finditer(text, HMM_MAX_CHARS // 2, HMM_MAX_CHARS)]
        cut = ends[-1] if ends else HMM_MAX_CHARS
        head, tail = text[:cut], text[cut:]
    tagger = _pos_tagger()
    pairs = [p for seg in quantity_segments(head) for p in tagger.lcut(seg)]
    pairs += [p for seg in quantity_segments(tail) for p in tagger.lcut(seg, HMM=False)] if tail else []
    stop = stopwords()
    out = []
    for pair in pairs:
        w = pair.word.strip()
        if w and w not in stop and _TOKEN_OK.search(w):
            out.append((w, pair.flag))
    return tuple(out)


def general_frequency(word: str) -> int:
    """How often a word occurs in general Chinese (jieba's dictionary counts); 0 when unknown."""
    return _jieba().FREQ.get(word, 0)


def is_dictionary_word(word: str) -> bool:
    """In jieba's dictionary or ours (as opposed to a word its HMM guessed)."""
    return _jieba().FREQ.get(word, 0) > 0


@lru_cache(maxsize=1)
def typos() -> dict[str, str]:
    return {str(k): str(v) for k, v in (yaml.safe_load(_resource("typos.yaml")) or {}).items()}


def normalize_query(question: str) -> str:
    """Question text as the index sees documents: simplified, half-width, article numbers in Chinese,
    frequent input slips corrected."""
    q = arabic_articles_to_chinese(to_simplified(to_halfwidth(question))).strip()
    for wrong, right in typos().items():
        if wrong in q:
            q = q.replace(wrong, right)
    return q


def query_tokens(question: str, expand: bool = True) -> list[str]:
    """Tokens of a (normalized) question plus domain expansions (NQI -> 国家质量基础设施 …)."""
    q = normalize_query(question)
    tokens = [t for seg in quantity_segments(q) for t in tokenize(seg)] + char_bigrams(to_halfwidth(q).lower())
    if expand:
        seen = set(tokens)
        for key, values in synonyms().items():
            if key.lower() in q.lower():
                for v in values:
                    for t in tokenize(v):
                        if t not in seen:
                            seen.add(t)
                            tokens.append(t)
    return tokens


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
