"""Structure-aware chunking along the document's own headings (编/章/节/条, 一、（一）1.（1）, 【字段】).

Every chunk keeps its heading path and its offsets in the normalized text; the outline of all headings
is kept too, so any span (a quoted sentence) can later be named down to 第X条第Y款.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..models import Chunk, ParsedDocument
from ..text import CN_NUMERAL, int_to_cn, split_sentences

_N = f"[{CN_NUMERAL}\\d]+"
# (rank, pattern): a smaller rank is a higher level. Articles (条) sit below 章/节 and above list items.
HEADING_PATTERNS: tuple[tuple[int, re.Pattern], ...] = (
    (1, re.compile(rf"^第{_N}编(?:\s|$)")),
    (2, re.compile(rf"^第{_N}章(?:\s|$)")),
    (3, re.compile(rf"^第{_N}节(?:\s|$)")),
    (4, re.compile(rf"^第{_N}条(?:\s|　|$|(?=[\u4e00-\u9fff“（(]))")),
    (5, re.compile(r"^[一二三四五六七八九十]+、")),
    (5, re.compile(r"^【[^】]{1,20}】")),
    (6, re.compile(r"^[（(][一二三四五六七八九十]+[)）]")),
    (7, re.compile(r"^\d{1,2}[.．、](?!\d)")),
    (8, re.compile(r"^[（(]\d{1,2}[)）]")),
)
ARTICLE_RANK = 4
# A question of a Q&A document (问：… / 一、问：…): it heads its own answer, and the pair is one chunk.
QUESTION_LINE = re.compile(r"^(?:[一二三四五六七八九十\d]{1,3}[、.．]\s*)?(?:问|Q|q)\s*[：:]")
QUESTION_RANK = 9  # below every numbered heading: a plain 问 line ends at the next 问 or heading
ANSWER_LINE = re.compile(r"^\s*(?:答|A|a)\s*[：:]\s*")
_LABEL_END = re.compile(r"[。；：:，,！？]")


def heading_rank(line: str, explicit_level: int | None) -> int | None:
    for rank, pattern in HEADING_PATTERNS:
        if pattern.match(line):
            return rank
    if explicit_level is not None:
        # Unnumbered explicit headings (Markdown #, Word Heading styles, <h2>) sit at chapter level and below.
        return 0 if explicit_level == 1 else min(explicit_level, 3)
    return None


def heading_label(line: str, rank: int) -> str:
    if rank == ARTICLE_RANK:
        return re.match(rf"^第{_N}条", line).group(0)
    if len(line) <= 30 and not _LABEL_END.search(line[:-1]):
        return line.rstrip("。；：:")
    m = _LABEL_END.search(line)
    label = line[: m.start()] if m else line
    if len(label) <= 4 and m:  # 四、问：企业如何申报？ -> keep reading past the short marker
        m2 = _LABEL_END.search(line, m.end())
        label = line[: m2.start()] if m2 else line
    return short_label(label)


LABEL_MAX = 30


def short_label(label: str) -> str:
    """A heading label cut, when it must be, after a whole phrase (at 、 or a space), marked with …"""
    if len(label) <= LABEL_MAX:
        return label
    cut = max(label.rfind(ch, 0, LABEL_MAX) for ch in "、 （(“")
    return (label[:cut] if cut >= 8 else label[:LABEL_MAX]).rstrip("、 （(“") + "…"


@dataclass
class Node:
    rank: int
    label: str
    start: int
    end: int = 0
    children: list["Node"] = field(default_factory=list)
    path: tuple[str, ...] = ()
    question: bool = False


@dataclass
class OutlineEntry:
    start: int
    end: int
    rank: int
    path: str


def parse_outline(doc: ParsedDocument) -> tuple[Node, list[tuple[int, int]]]:
    """Heading tree of the document, plus the (start, end) of every line (a paragraph, i.e. a 款)."""
    text = doc.text
    explicit = dict(doc.headings)
    root = Node(rank=-1, label="", start=0, end=len(text))
    stack = [root]
    lines: list[tuple[int, int]] = []
    offset = 0
    raw_lines = text.split("\n")
    ranks = _line_ranks(raw_lines, explicit)
    for raw, rank in zip(raw_lines, ranks):
        start, end = offset, offset + len(raw)
        offset = end + 1
        lines.append((start, end))
        line = raw.strip()
        if not line:
            continue
        is_question = bool(QUESTION_LINE.match(line))
        if rank is None and is_question:
            rank = QUESTION_RANK
        if rank is None:
            continue
        if rank == 0:  # the document's own title: not part of any section path
            continue
        while stack[-1] is not root and (stack[-1].rank >= rank or (is_question and stack[-1].question)):
            stack.pop().end = start  # a question never holds another question: the next one ends it
        parent = stack[-1]
        node = Node(rank=rank, label=heading_label(line, rank), start=start, path=parent.path + (heading_label(line, rank),),
                    question=is_question)
        parent.children.append(node)
        stack.append(node)
    for node in stack[1:]:
        node.end = len(text)
    return root, lines


SECTION_RANK = 3
_TITLE_LIKE = re.compile(r"^[一二三四五六七八九十]+、[^。；;，,：:]{1,28}$")


def _line_ranks(raw_lines: list[str], explicit: dict[int, int]) -> list[int | None]:
    """The heading rank of every line (None for body text). 一、 headings that head articles (一、支持企业扩容增量
    then 第一条 …), a policy's parts numbered like list items, rank as sections above their articles; otherwise
    the next 二、 would nest under the article before it. A list item inside an article (三、生产者应当…；) is a
    sentence, not a title, and keeps its list rank."""
    ranks: list[int | None] = []
    pending: int | None = None  # the last 一、 title line, until the next heading shows what it heads
    offset = 0
    for n, raw in enumerate(raw_lines):
        start, offset = offset, offset + len(raw) + 1
        line = raw.strip()
        rank = heading_rank(line, explicit.get(start)) if line else None
        ranks.append(rank)
        if rank == ARTICLE_RANK and pending is not None:
            ranks[pending] = SECTION_RANK
        if rank is not None:
            pending = n if rank == 5 and _TITLE_LIKE.match(line) else None
    return ranks


def outline_entries(root: Node) -> list[OutlineEntry]:
    out: list[OutlineEntry] = []

    def walk(node: Node) -> None:
        for child in node.children:
            out.append(OutlineEntry(child.start, child.end, child.rank, " > ".join(child.path)))
            walk(child)

    walk(root)
    return out


def innermost_section(outline: list[OutlineEntry], start: int, end: int) -> OutlineEntry | None:
    """The innermost outline entry (section, article, item) containing [start, end)."""
    best: OutlineEntry | None = None
    for entry in outline:
        if entry.start <= start and end <= entry.end and (best is None or entry.start >= best.start):
            best = entry
    return best


def section_at(outline: list[OutlineEntry], lines: list[tuple[int, int]], start: int, end: int) -> str:
    """Heading path of the innermost section containing [start, end), with 第N款 when it sits in one
    paragraph of a multi-paragraph article."""
    best = innermost_section(outline, start, end)
    if best is None:
        return ""
    path = best.path
    if best.rank == ARTICLE_RANK:
        paras = [(s, e) for s, e in lines if s >= best.start and e <= best.end and e > s]
        if len(paras) > 1:
            for i, (s, e) in enumerate(paras, 1):
                if s <= start and end <= e + 1:
                    return f"{path}第{int_to_cn(i)}款"
    return path


class Chunker:
    def __init__(self, max_chars: int = 420, overlap_chars: int = 60, min_chars: int = 80):
        self.max_chars = max_chars
        self.overlap_chars = overlap_chars
        self.min_chars = min_chars

    def split(self, doc: ParsedDocument) -> tuple[list[Chunk], list[OutlineEntry], list[tuple[int, int]]]:
        root, lines = parse_outline(doc)
        spans: list[tuple[int, int, str]] = []
        self._emit(doc.text, root, spans)
        chunks = []
        for i, (start, end, section) in enumerate(spans):
            start, end = _trim(doc.text, start, end)
            if end <= start:
                continue
            chunks.append(Chunk(chunk_id=f"{doc.meta.doc_id}:{len(chunks)}", doc_id=doc.meta.doc_id, section=section,
                                text=doc.text[start:end], start=start, end=end, ordinal=len(chunks)))
        return chunks, outline_entries(root), lines

    # --- internals ------------------------------------------------------------------------------

    def _emit(self, text: str, node: Node, out: list[tuple[int, int, str]]) -> None:
        path = " > ".join(node.path)
        has_pairs = any(c.question for c in node.children)
        if node.end - node.start <= self.max_chars and not has_pairs:
            out.append((node.start, node.end, _label(node)))
            return
        # Units: the node's own lead text (before its first child), then its children.
        units: list[tuple[int, int, Node | None]] = []
        lead_end = node.children[0].start if node.children else node.end
        if text[node.start:lead_end].strip():
            units.append((node.start, lead_end, None))
        units.extend((c.start, c.end, c) for c in node.children)
        group: list[tuple[int, int, Node | None]] = []

        def flush() -> None:
            if not group:
                return
            kids = [u[2] for u in group if u[2] is not None]
            if len(kids) == 1 and (len(group) == 1 or not node.path):
                # One section, or the document's preamble with its first section: named by the section.
                label = _label(kids[0])
            elif kids and all(k.rank == ARTICLE_RANK for k in kids):
                label = " > ".join(node.path + (f"{kids[0].label}至{kids[-1].label}" if len(kids) > 1 else kids[0].label,))
            else:
                label = path
            out.append((group[0][0], group[-1][1], label))
            group.clear()

        for unit in units:
            start, end, child = unit
            size = end - start
            if child is not None and child.question and size <= self.max_chars:
                # A question and its answer: one chunk, matched by the question, quoting the answer. A bare
                # heading just before it (二、青岛优品) rides along rather than stand alone.
                if group and group[-1][1] - group[0][0] < self.min_chars:
                    start = group[0][0]
                    group.clear()
                flush()
                out.append((start, end, " > ".join(child.path)))
                continue
            if size > self.max_chars:
                flush()
                if child is None:
                    self._split_long(text, start, end, path, out)
                else:
                    self._emit(text, child, out)
                continue
            group_size = group[-1][1] - group[0][0] if group else 0
            tiny = size < self.min_chars or group_size < self.min_chars
            if group and (group_size + size > self.max_chars or not tiny):
                flush()
            group.append(unit)
        flush()

    def _split_long(self, text: str, start: int, end: int, path: str, out: list[tuple[int, int, str]]) -> None:
        """Pack whole sentences up to max_chars; the next piece repeats the last sentences (overlap)."""
        sentences = split_sentences(text[start:end], base=start)
        pieces: list[tuple[int, int]] = []
        for s, e in sentences:
            while e - s > self.max_chars:  # a run-on "sentence": cut it hard
                pieces.append((s, s + self.max_chars))
                s += self.max_chars - self.overlap_chars
            pieces.append((s, e))
        i = 0
        while i < len(pieces):
            j, chunk_end = i, pieces[i][1]
            while j + 1 < len(pieces) and pieces[j + 1][1] - pieces[i][0] <= self.max_chars:
                j += 1
                chunk_end = pieces[j][1]
            out.append((pieces[i][0], chunk_end, path))
            if j + 1 >= len(pieces):
                break
            # Overlap: step back over trailing sentences that fit in overlap_chars.
            k = j + 1
            while k - 1 > i and chunk_end - pieces[k - 1][0] <= self.overlap_chars:
                k -= 1
            i = k


def _label(node: Node) -> str:
    """A whole section's label: its path, and the articles it holds (二、支持企业提质升级 > 第四条至第十条) so
    that a chunk names the 条 it cites."""
    path = " > ".join(node.path)
    kids = node.children
    if kids and all(k.rank == ARTICLE_RANK for k in kids):
        span = kids[0].label if len(kids) == 1 else f"{kids[0].label}至{kids[-1].label}"
        return f"{path} > {span}" if path else span
    return path


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
