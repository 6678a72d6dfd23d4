#!/usr/bin/env python3
"""Check tests/eval/golden.yaml against the sample corpus.

For every answerable question (single-turn, and every turn of a multi-turn conversation) it verifies
that the expected source documents exist and that ONE of them contains ALL the key_facts verbatim
(and the expect_section string, when given).  Unanswerable questions must have answerable: false and
no expected documents.  It also checks the corpus metadata (front matter / .meta.yaml sidecars).

Usage:
    python tests/eval/check_golden.py            # check, print counts, exit 1 on any problem
    python tests/eval/check_golden.py --stats    # additionally print per-document sizes

Text extraction is deliberately simple (independent of the assistant/ package):
md (YAML front matter stripped), txt (UTF-8, else GB18030), html (BeautifulSoup get_text),
docx (python-docx paragraphs + table cells), pdf (pypdf extract_text), jsonl (one record by #id).
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
GOLDEN = Path(__file__).resolve().parent / "golden.yaml"

INTENTS = {"eligibility", "materials", "steps", "deadline", "amount", "contact", "definition", "general"}
DOC_EXTS = {".md", ".txt", ".html", ".htm", ".docx", ".pdf", ".jsonl"}
REQUIRED_META = ["title", "issuer", "issue_date", "status", "region", "programs", "doc_type", "sample", "note"]
STATUSES = {"现行", "已修订", "已废止"}
DOC_TYPES = {"政策文件", "申报指南", "办事指南", "常见问题", "工作方案"}
PROGRAMS = {"区长质量奖", "青岛优品", "标准化试点", "企业标准自我声明公开", "首席质量官", "卓越绩效", "NQI一站式",
            "知识产权", "质量安全责任", "认证", "人才科创金", "质量提升", "先进制造业"}
NOTE_MARK = "本文件为示例文本"

FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def read_text_file(p: Path) -> str:
    data = p.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def split_front_matter(text: str) -> tuple[dict, str]:
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, text
    return yaml.safe_load(m.group(1)) or {}, text[m.end():]


def flatten(value) -> str:
    if isinstance(value, dict):
        return "\n".join(flatten(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(flatten(v) for v in value)
    return str(value)


@lru_cache(maxsize=None)
def jsonl_records(rel: str) -> dict:
    recs = {}
    for line in (CORPUS / rel).read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            recs[r["id"]] = r
    return recs


@lru_cache(maxsize=None)
def doc_text(ref: str) -> str:
    """Plain text of a corpus-relative document reference (path or path#record-id)."""
    rel, _, rec_id = ref.partition("#")
    p = CORPUS / rel
    if not p.is_file():
        raise FileNotFoundError(ref)
    ext = p.suffix.lower()
    if ext == ".jsonl":
        recs = jsonl_records(rel)
        if rec_id:
            if rec_id not in recs:
                raise FileNotFoundError(ref)
            return flatten(recs[rec_id])
        return "\n".join(flatten(r) for r in recs.values())
    if ext == ".md":
        return split_front_matter(read_text_file(p))[1]
    if ext == ".txt":
        return read_text_file(p)
    if ext in (".html", ".htm"):
        from bs4 import BeautifulSoup
        return BeautifulSoup(read_text_file(p), "html.parser").get_text("\n")
    if ext == ".docx":
        import docx
        d = docx.Document(str(p))
        parts = [para.text for para in d.paragraphs]
        for t in d.tables:
            for row in t.rows:
                parts.extend(cell.text for cell in row.cells)
        return "\n".join(parts)
    if ext == ".pdf":
        from pypdf import PdfReader
        return "\n".join(page.extract_text() or "" for page in PdfReader(str(p)).pages)
    raise ValueError(f"unsupported format: {ref}")


def doc_meta(p: Path) -> dict:
    if p.suffix == ".md":
        return split_front_matter(read_text_file(p))[0]
    side = p.with_name(p.stem + ".meta.yaml")
    if not side.is_file():
        return {}
    return yaml.safe_load(side.read_text(encoding="utf-8")) or {}


def corpus_docs() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*")
                  if p.is_file() and p.suffix.lower() in DOC_EXTS and "_build" not in p.parts
                  and p.name != "README.md")


def check_corpus(errors: list[str], stats: bool) -> Counter:
    fmt = Counter()
    for p in corpus_docs():
        rel = p.relative_to(CORPUS).as_posix()
        fmt[p.suffix.lower()] += 1
        meta = doc_meta(p)
        if not meta:
            errors.append(f"corpus: {rel}: no metadata (front matter or .meta.yaml sidecar)")
            continue
        for k in REQUIRED_META:
            if k not in meta:
                errors.append(f"corpus: {rel}: metadata lacks {k}")
        if meta.get("sample") is not True:
            errors.append(f"corpus: {rel}: sample is not true")
        if NOTE_MARK not in str(meta.get("note", "")):
            errors.append(f"corpus: {rel}: note does not mark the file as 示例")
        if meta.get("status") not in STATUSES:
            errors.append(f"corpus: {rel}: bad status {meta.get('status')!r}")
        if meta.get("doc_type") not in DOC_TYPES:
            errors.append(f"corpus: {rel}: bad doc_type {meta.get('doc_type')!r}")
        bad = set(meta.get("programs") or []) - PROGRAMS
        if bad:
            errors.append(f"corpus: {rel}: unknown programs {sorted(bad)}")
        for k in ("replaced_by", "replaces"):
            if k in meta and not (CORPUS / meta[k]).is_file():
                errors.append(f"corpus: {rel}: {k} points to missing {meta[k]}")
        if meta.get("status") in ("已修订", "已废止") and "replaced_by" not in meta:
            errors.append(f"corpus: {rel}: superseded document without replaced_by")
        if stats:
            if p.suffix == ".jsonl":
                for rid in jsonl_records(rel):
                    n = len(re.findall(r"[\u4e00-\u9fff]", doc_text(f"{rel}#{rid}")))
                    print(f"  {n:5d}  {rel}#{rid}")
            else:
                n = len(re.findall(r"[\u4e00-\u9fff]", doc_text(rel)))
                print(f"  {n:5d}  {rel}  [{meta.get('doc_type')}/{meta.get('status')}]")
    return fmt


def check_item(item: dict, where: str, errors: list[str]) -> bool:
    """Return True when the item is answerable."""
    if item.get("answerable", True) is False:
        if item.get("expect_docs") or item.get("key_facts"):
            errors.append(f"{where}: unanswerable question must not have expect_docs/key_facts")
        return False
    if item.get("intent") is not None and item["intent"] not in INTENTS:
        errors.append(f"{where}: bad intent {item['intent']!r}")
    docs = item.get("expect_docs") or []
    facts = item.get("key_facts") or []
    if not docs:
        errors.append(f"{where}: no expect_docs")
        return True
    if not 1 <= len(facts) <= 3:
        errors.append(f"{where}: needs 1-3 key_facts, has {len(facts)}")
    section = item.get("expect_section")
    texts = {}
    for ref in docs:
        try:
            texts[ref] = doc_text(ref)
        except FileNotFoundError:
            errors.append(f"{where}: expected document not found: {ref}")
    ok = [ref for ref, t in texts.items()
          if all(f in t for f in facts) and (not section or section in t)]
    if texts and not ok:
        for ref, t in texts.items():
            missing = [f for f in facts if f not in t]
            if section and section not in t:
                missing.append(f"section:{section}")
            errors.append(f"{where}: {ref} lacks {missing}")
    return True


def main() -> int:
    stats = "--stats" in sys.argv
    errors: list[str] = []
    if stats:
        print("Chinese characters per document:")
    fmt = check_corpus(errors, stats)

    g = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    ids = Counter()
    n_ans = n_unans = n_turns = 0
    for item in g.get("single", []):
        ids[item["id"]] += 1
        if not item.get("question"):
            errors.append(f"{item['id']}: empty question")
        if check_item(item, item["id"], errors):
            n_ans += 1
        else:
            n_unans += 1
    for conv in g.get("multi", []):
        ids[conv["id"]] += 1
        turns = conv.get("turns") or []
        if len(turns) < 2:
            errors.append(f"{conv['id']}: a conversation needs at least 2 turns")
        for i, turn in enumerate(turns, 1):
            n_turns += 1
            check_item(turn, f"{conv['id']} turn {i}", errors)
    for k, v in ids.items():
        if v > 1:
            errors.append(f"duplicate id {k}")

    print("corpus documents per format:", dict(sorted(fmt.items())), "total", sum(fmt.values()))
    recs = sum(len(jsonl_records(p.relative_to(CORPUS).as_posix())) for p in corpus_docs() if p.suffix == ".jsonl")
    print("jsonl records:", recs)
    print(f"single-turn questions: {n_ans + n_unans} (answerable {n_ans}, unanswerable {n_unans})")
    print(f"multi-turn conversations: {len(g.get('multi', []))} ({n_turns} turns)")
    if errors:
        print(f"\n{len(errors)} problem(s):")
        for e in errors:
            print("  -", e)
        return 1
    print("OK: every key fact was found in an expected document")
    return 0


if __name__ == "__main__":
    sys.exit(main())
