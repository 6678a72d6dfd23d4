"""Rules in the database: extracted per document version (doc_id + content hash) on re-index, and admin
corrections keyed by the rule (doc_id + hash of its quote). A correction applies while the article it sits
in is unchanged; when the article changed it is flagged for review instead of silently applied."""

from __future__ import annotations

import hashlib
import json
import time

from ..ingest.chunking import ARTICLE_RANK
from ..store import DocRecord
from .profile import FIELD_LABELS
from .rules import Programme, Rule, extract_document

OPERATORS = ("years_since_at_least", "years_since_at_most", ">=", "<=", "education_at_least", "title_at_least", "is_true", "is_false", "region_in",
             "none_within_years", "has_item", "has_standard", "has_award", "award_within_years", "award_since_year")
KINDS = ("required", "exclusion", "preference", "review")
CHANGE_FIELDS = ("field", "operator", "value", "unit", "window", "kind")
FLAG_CHANGED = "原文已变更，此前的人工更正未应用，请复核"


class RuleEditError(ValueError):
    """A correction that cannot be saved; the message is Chinese."""


def article_hash(doc: DocRecord, start: int, end: int) -> str:
    """Hash of the article (or numbered section) holding a span: what a correction is tied to."""
    best = None
    for o in doc.outline:
        if o.start <= start and end <= o.end and o.rank <= max(ARTICLE_RANK, 5):
            if best is None or o.start >= best.start:
                best = o
    s, e = (best.start, best.end) if best else (start, end)
    return hashlib.sha256(doc.text[s:e].encode("utf-8")).hexdigest()[:16]


def _content_hash(doc: DocRecord) -> str:
    return doc.meta.content_hash or hashlib.sha256(doc.text.encode("utf-8")).hexdigest()[:16]


def sync_rules(db, index, actor: str = "system") -> dict:
    """Store the rules of every document version in the served build (new versions only), then flag
    corrections whose article changed or vanished. Called after a re-index swaps the build in."""
    now = time.time()
    extracted = rules_written = 0
    current: dict[str, tuple[DocRecord, dict[str, Rule]]] = {}
    known = {(r["doc_id"], r["content_hash"]) for r in db.query("SELECT DISTINCT doc_id, content_hash FROM eligibility_rules")}
    for doc_id, doc in index.docs.items():
        rules = {r.key: r for p in extract_document(doc) for r in p.rules}
        current[doc_id] = (doc, rules)
        chash = _content_hash(doc)
        if (doc_id, chash) in known:
            continue
        extracted += 1
        with db.transaction() as conn:
            for rule in rules.values():
                conn.execute("INSERT OR IGNORE INTO eligibility_rules (doc_id, content_hash, rule_key, program, "
                             "article_hash, rule, build_id, extracted_at) VALUES (?,?,?,?,?,?,?,?)",
                             (doc_id, chash, rule.key, rule.program, article_hash(doc, rule.span.start, rule.span.end),
                              rule.model_dump_json(), getattr(index, "build_id", ""), now))
                rules_written += 1
    flagged = 0
    for c in db.query("SELECT * FROM eligibility_corrections WHERE active=1"):
        doc, rules = current.get(c["doc_id"], (None, {}))
        rule = rules.get(c["rule_key"])
        changed = rule is None or doc is None or article_hash(doc, rule.span.start, rule.span.end) != c["article_hash"]
        if changed and not c["flagged_at"]:
            db.execute("UPDATE eligibility_corrections SET flagged_at=? WHERE id=?", (now, c["id"]))
            db.audit(actor, "eligibility_rule_flagged", None, None, doc_id=c["doc_id"], rule_key=c["rule_key"],
                     reason="article_changed" if rule is not None else "rule_gone")
            flagged += 1
        elif not changed and c["flagged_at"]:
            db.execute("UPDATE eligibility_corrections SET flagged_at=NULL WHERE id=?", (c["id"],))
    return {"documents_extracted": extracted, "rules_written": rules_written, "corrections_flagged": flagged}


def corrections_state(db) -> tuple[str, list[dict]]:
    rows = db.query("SELECT * FROM eligibility_corrections WHERE active=1 ORDER BY id")
    stamp = f"{len(rows)}:{max((r['at'] for r in rows), default=0)}:{max((r['id'] for r in rows), default=0)}"
    return stamp, rows


def apply_corrections(programmes: list[Programme], corrections: list[dict], docs: dict[str, DocRecord]) -> list[Programme]:
    by_key = {c["rule_key"]: c for c in corrections}
    out = []
    for prog in programmes:
        rules = []
        for rule in prog.rules:
            c = by_key.get(rule.key)
            if c is None:
                rules.append(rule)
                continue
            doc = docs.get(rule.span.doc_id)
            if doc is None or article_hash(doc, rule.span.start, rule.span.end) != c["article_hash"]:
                rules.append(rule.model_copy(update={"flag": FLAG_CHANGED}))
                continue
            changes = json.loads(c["changes"])
            rules.append(rule.model_copy(update={**changes, "corrected": True}))
        out.append(prog.model_copy(update={"rules": rules}))
    return out


def validate_changes(changes: dict) -> dict:
    """Only the rule's meaning can be corrected (field, operator, value, unit, window, kind)."""
    if not isinstance(changes, dict):
        raise RuleEditError("更正内容应为 JSON 对象")
    unknown = set(changes) - set(CHANGE_FIELDS)
    if unknown:
        raise RuleEditError(f"不能更正这些项：{'、'.join(sorted(unknown))}")
    kind = changes.get("kind")
    if kind is not None and kind not in KINDS:
        raise RuleEditError(f"kind 应为 {' / '.join(KINDS)}")
    if kind == "review":
        return {"kind": "review", "field": None, "operator": None, "value": None, "window": None}
    field = changes.get("field")
    if field is not None and field not in FIELD_LABELS:
        raise RuleEditError(f"field 不是画像中的字段：{field}")
    op = changes.get("operator")
    if op is not None and op not in OPERATORS:
        raise RuleEditError(f"operator 应为 {' / '.join(OPERATORS)}")
    window = changes.get("window")
    if window is not None and not (isinstance(window, dict) and isinstance(window.get("years"), int)
                                   and window["years"] > 0):
        raise RuleEditError("window 应为 {\"years\": 正整数, \"from\": \"as_of\" 或 \"award_year\"}")
    return {k: changes[k] for k in CHANGE_FIELDS if k in changes}


def find_rule(index, rule_key: str) -> tuple[DocRecord, Rule]:
    doc_id = rule_key.split(":", 1)[0]
    doc = index.docs.get(doc_id)
    if doc is not None:
        for prog in extract_document(doc):
            for rule in prog.rules:
                if rule.key == rule_key:
                    return doc, rule
    raise KeyError(rule_key)


def save_correction(db, index, rule_key: str, changes: dict, actor: str, note: str = "") -> dict:
    doc, rule = find_rule(index, rule_key)
    clean = validate_changes(changes)
    merged = {**{k: getattr(rule, k) for k in CHANGE_FIELDS}, **clean}
    if merged["kind"] != "review" and not (merged["field"] and merged["operator"]):
        raise RuleEditError("非“评审认定”的条件须有 field 和 operator")
    Rule.model_validate({**rule.model_dump(), **merged})  # the corrected rule must still be a rule
    ahash = article_hash(doc, rule.span.start, rule.span.end)
    before = db.query("SELECT changes FROM eligibility_corrections WHERE doc_id=? AND rule_key=?", (doc.meta.doc_id, rule_key))
    db.execute("INSERT INTO eligibility_corrections (doc_id, rule_key, article_hash, changes, note, actor, at, active) "
               "VALUES (?,?,?,?,?,?,?,1) ON CONFLICT(doc_id, rule_key) DO UPDATE SET article_hash=excluded.article_hash, "
               "changes=excluded.changes, note=excluded.note, actor=excluded.actor, at=excluded.at, active=1, flagged_at=NULL",
               (doc.meta.doc_id, rule_key, ahash, json.dumps(merged, ensure_ascii=False), note[:500], actor, time.time()))
    db.audit(actor, "eligibility_rule_corrected", None, None, doc_id=doc.meta.doc_id, rule_key=rule_key,
             quote=rule.text[:200], before=json.loads(before[0]["changes"]) if before else
             {k: getattr(rule, k) for k in CHANGE_FIELDS}, after=merged, note=note[:500])
    return {"rule_key": rule_key, "changes": merged}


def revert_correction(db, rule_key: str, actor: str) -> bool:
    rows = db.query("SELECT * FROM eligibility_corrections WHERE rule_key=? AND active=1", (rule_key,))
    if not rows:
        return False
    db.execute("UPDATE eligibility_corrections SET active=0, at=? WHERE id=?", (time.time(), rows[0]["id"]))
    db.audit(actor, "eligibility_rule_reverted", None, None, doc_id=rows[0]["doc_id"], rule_key=rule_key)
    return True


def rules_for_document(db, index, doc_id: str) -> list[dict]:
    """What the admin page shows beside the source text: each rule as extracted, its correction and flag."""
    doc = index.docs.get(doc_id)
    if doc is None:
        raise KeyError(doc_id)
    corrections = {c["rule_key"]: c for c in db.query(
        "SELECT * FROM eligibility_corrections WHERE doc_id=? AND active=1", (doc_id,))}
    out = []
    for prog in extract_document(doc):
        for rule in prog.rules:
            c = corrections.get(rule.key)
            item = {"program": prog.name, **rule.model_dump(), "correction": None}
            if c is not None:
                stale = article_hash(doc, rule.span.start, rule.span.end) != c["article_hash"]
                item["correction"] = {"changes": json.loads(c["changes"]), "actor": c["actor"], "at": c["at"],
                                      "note": c["note"], "flag": FLAG_CHANGED if stale else ""}
            out.append(item)
    return out


def sync_index_dir(db, index_dir, actor: str = "system") -> dict:
    """sync_rules for the build an index folder serves (CLI re-index: no loaded engine)."""
    from .check import DocsOnly

    try:
        return sync_rules(db, DocsOnly.open(index_dir), actor)
    except Exception as exc:  # never fail a good build over rule bookkeeping
        return {"error": f"{type(exc).__name__}: {exc}"}
