"""Chinese text helpers shared by ingestion, search and answers: normalization, numerals, sentences."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def to_halfwidth(text: str) -> str:
    """Full-width ASCII letters, digits and space to half-width; Chinese punctuation is kept as it is."""
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            out.append(" ")
        elif 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
            out.append(chr(code - 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


# A run of blanks after a sentence's end or before a list marker (。   二、… / 服务对象和内容　　（一）…) is a
# paragraph break that text extraction flattened (web pages indent paragraphs with 　　): restored, the
# paragraph ends sentences, leads and enumerations where the author ended them. Blanks inside a line of
# a form (账    号：) are neither and stay.
_FLAT_BREAK = re.compile(r"(?<=[。；！？!?：:])[ ]{2,}(?=\S)|[ ]{2,}(?=(?:[（(][一二三四五六七八九十\d]{1,3}[)）]|"
                         r"[一二三四五六七八九十]{1,3}、|\d{1,2}[.．、](?!\d)|[二三四五六七八九十]是))")


def normalize_document_text(text: str) -> str:
    """The normalized form every offset refers to: unified newlines, half-width alphanumerics,
    no zero-width or control characters, no trailing blanks, at most one blank line in a row, paragraph
    breaks flattened into blanks restored."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH)
    text = to_halfwidth(text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.replace("\t", " ")
    text = _FLAT_BREAK.sub("\n", text)
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL = "零〇一二两三四五六七八九十百千"
# An article number as statutes write it (第十四条); questions are normalized to this form first.
ARTICLE_NUMBER = re.compile(r"第[一二三四五六七八九十百零〇]+条")


def cn_to_int(s: str) -> int | None:
    """'十二' -> 12, '一百零五' -> 105, '12' -> 12; None when it is not a numeral."""
    if s.isdigit():
        return int(s)
    total, current = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def int_to_cn(n: int) -> str:
    """12 -> '十二', 105 -> '一百零五' (the form used in article numbers, up to 9999)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    parts, zero = [], False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // unit_value % 10
        if d:
            if zero:
                parts.append("零")
                zero = False
            parts.append(digits[d] + unit)
        elif parts:
            zero = True
    return "".join(parts)


_ARTICLE_ARABIC = re.compile(r"第\s*(\d{1,4})\s*([编章节条款项])")


def arabic_articles_to_chinese(text: str) -> str:
    """'第12条' -> '第十二条', so a question matches the way statutes number their articles."""
    return _ARTICLE_ARABIC.sub(lambda m: f"第{int_to_cn(int(m.group(1)))}{m.group(2)}", text)


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # opencc-python-reimplemented: pure Python, ships its dictionaries

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to simplified Chinese (users sometimes type 繁體)."""
    return _t2s().convert(text)


_SENTENCE_END = re.compile(r"[^。；！？!?;\n]*(?:[。；！？!?;]+[”’」』）)]*|\n|$)")


def split_sentences(text: str, base: int = 0) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of `text`, offset by `base`; the delimiter stays with its sentence,
    surrounding blanks are excluded so a span never starts or ends on whitespace."""
    spans = []
    for m in _SENTENCE_END.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((base + s, base + e))
    return spans
