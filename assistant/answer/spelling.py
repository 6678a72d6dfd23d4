"""Domain terms typed the way a pinyin keyboard slips (青岛忧品, 申保, 首席质量关) or named in English
(Qingdao premium products), read as the term they mean — and the user told so (已按“青岛优品”理解).

A stretch of the question is corrected only when it is not a word itself, sounds like a domain term
(the domain dictionary, assistant/resources/userdict.txt, and words the indexed documents use) and
shares most of its characters with it. Traditional script is not a slip (search reads it simplified).
Work is linear in the question's length: one pinyin per character, then dictionary look-ups of the
windows starting at each position."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from importlib import resources

import yaml

from ..store import LoadedIndex
from ..text import to_simplified
from ..tokenize import _jieba, is_dictionary_word

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
MAX_TERM = 12
# Pinyin keyboards and dialects blur these: zh/z, ch/c, sh/s, l/n, -ng/-n.
_FUZZY = ((re.compile(r"^zh"), "z"), (re.compile(r"^ch"), "c"), (re.compile(r"^sh"), "s"), (re.compile(r"^l"), "n"),
          (re.compile(r"ng$"), "n"))


def _syllable(p: str) -> str:
    for pattern, repl in _FUZZY:
        p = pattern.sub(repl, p)
    return p


@lru_cache(maxsize=4096)
def _char_key(ch: str) -> str:
    from pypinyin import lazy_pinyin

    return _syllable(lazy_pinyin(ch)[0])


@lru_cache(maxsize=1)
def domain_terms() -> dict[tuple[str, ...], str]:
    """Pinyin key -> domain term, for the terms of the domain dictionary (three characters or more)."""
    text = resources.files("assistant.resources").joinpath("userdict.txt").read_text(encoding="utf-8")
    out: dict[tuple[str, ...], str] = {}
    for line in text.splitlines():
        word = line.split()[0] if line.split() else ""
        if len(word) >= 3 and _CJK_RUN.fullmatch(word):
            out.setdefault(tuple(_char_key(c) for c in word), word)
    return out


@lru_cache(maxsize=1)
def english_names() -> dict[str, str]:
    raw = resources.files("assistant.resources").joinpath("english_names.yaml").read_text(encoding="utf-8")
    return {str(k).lower(): str(v) for k, v in (yaml.safe_load(raw) or {}).items()}


_vocab_keys: dict[int, dict[tuple[str, ...], str]] = {}


def _corpus_words(index: LoadedIndex) -> dict[tuple[str, ...], str]:
    """Pinyin key -> two-character dictionary word the documents use most (申报 for shen-bao)."""
    cached = _vocab_keys.get(id(index.bm25))
    if cached is not None:
        return cached
    best: dict[tuple[str, ...], tuple[float, str]] = {}
    vocab = index.bm25.vocab_dict if index.bm25 is not None else {}
    for word in vocab:
        if len(word) == 2 and _CJK_RUN.fullmatch(word) and is_dictionary_word(word):
            key = tuple(_char_key(c) for c in word)
            common = -index.idf(word)  # the more documents use it, the likelier it is meant
            if key not in best or common > best[key][0]:
                best[key] = (common, word)
    out = {k: w for k, (_, w) in best.items()}
    _vocab_keys.clear()  # one index at a time (a re-index swaps it)
    _vocab_keys[id(index.bm25)] = out
    return out


# A two-character stretch jieba could not place (its HMM guessed it) is either a slip for a word that sounds
# the same (申保 for 申报) or two words the HMM glued across a boundary (10个亿|有奖励, 山阳镇|为做好). Noisy
# channel: read it as the word only when P(word) · P(slip) > P(first character) · P(second character), with
# jieba's word frequencies; a slip costs SLIP_LOG_ODDS (about 1 in 400). On the 637 real ncp dev questions
# this removes the one correction made (镇为 → 镇委, a false one); docs/benchmarks.md, seventh day.
SLIP_LOG_ODDS = 6.0


def _log_frequency(word: str) -> float:
    j = _jieba()
    return math.log(max(j.FREQ.get(word, 0), 1) / j.total)


def _likelier_as_slip(token: str, word: str) -> bool:
    return _log_frequency(word) - SLIP_LOG_ODDS > sum(_log_frequency(c) for c in token)


def _known(window: str, vocab: dict) -> bool:
    """A word as typed, or once simplified (首席質量官, 權利): nothing to correct."""
    simple = to_simplified(window)
    return any(is_dictionary_word(w) or w in vocab for w in {window, simple})


def _close(window: str, term: str) -> bool:
    """Most characters in common: at most one different in four, two in longer terms."""
    diff = sum(a != b for a, b in zip(window, term))
    return 0 < diff <= (1 if len(term) <= 4 else 2)


def correct(index: LoadedIndex, question: str) -> tuple[str, list[str]]:
    """The question with slips and English programme names replaced, and one notice per replacement."""
    notices: list[str] = []
    q = question
    low = q.lower()
    for name, term in sorted(english_names().items(), key=lambda kv: -len(kv[0])):
        at = low.find(name)
        after = low[at + len(name):at + len(name) + 1] if at >= 0 else ""
        if at >= 0 and not (after.isascii() and after.isalpha()) and (at == 0 or not low[at - 1].isalpha() or not low[at - 1].isascii()):
            q = q[:at] + term + q[at + len(name):]
            low = q.lower()
            notices.append(f"已按“{term}”理解“{name}”。")
    terms = domain_terms()
    vocab = index.bm25.vocab_dict if index.bm25 is not None else {}
    out: list[str] = []
    last = 0
    for run in _CJK_RUN.finditer(q):
        text = run.group(0)
        keys = [_char_key(c) for c in text]
        i = 0
        while i < len(text):
            hit = None
            for size in range(min(MAX_TERM, len(text) - i), 2, -1):
                term = terms.get(tuple(keys[i:i + size]))
                window = text[i:i + size]
                if term and _close(window, term) and not _known(window, vocab):
                    hit = (size, term)
                    break
            if hit:
                size, term = hit
                out.append(q[last:run.start() + i] + term)
                last = run.start() + i + size
                notices.append(f"已按“{term}”理解“{text[i:i + size]}”。")
                i += size
                continue
            i += 1
    q = "".join(out) + q[last:]
    # Two-character slips (申保): only a stretch the tokenizer could not place in any dictionary.
    words = _corpus_words(index)
    fixed = []
    for token in _jieba().lcut(q, HMM=True):
        if len(token) == 2 and _CJK_RUN.fullmatch(token) and not _known(token, vocab):
            word = words.get(tuple(_char_key(c) for c in token))
            if word and _close(token, word) and _likelier_as_slip(token, word):
                notices.append(f"已按“{word}”理解“{token}”。")
                token = word
        fixed.append(token)
    return "".join(fixed), notices
