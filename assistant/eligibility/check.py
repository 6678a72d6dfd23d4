"""Verdicts: a profile against every programme's rules, windows computed against an as_of date.

verdict  eligible      every required condition met, no exclusion applies (review conditions listed)
         not_eligible  a required condition unmet or an exclusion applies
         need_info     nothing unmet, but a required condition is unknown (need_fields says which facts decide it)
status   met | unmet | unknown | review — for an exclusion, `met` means it does not apply to this profile."""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any

from ..store import DocRecord
from .profile import FIELD_LABELS, Profile
from .rules import Programme, Rule, award_core, extract_programmes

EDUCATION = ["高中", "大专", "本科", "硕士", "博士"]
TITLES = ["无", "初级", "中级", "副高级", "高级"]
VERDICT_ORDER = {"eligible": 0, "need_info": 1, "not_eligible": 2}
_cache: dict[tuple, list[Programme]] = {}
_cache_lock = threading.Lock()


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def _age_met(op: str, years: int, day: dt.date, as_of: dt.date) -> bool:
    anniversary = add_years(day, years)
    return anniversary <= as_of if op == "years_since_at_least" else as_of <= anniversary


def _registration_age(op: str, years: int, latest: dt.date, earliest: dt.date | None,
                      as_of: dt.date) -> tuple[str, str, str]:
    """An age condition (满N年 / 不超过N年) on a date known exactly or only as a range (2019年成立)."""
    ok = _age_met(op, years, latest, as_of)
    if earliest is not None and earliest != latest and _age_met(op, years, earliest, as_of) != ok:
        # The two ends of the range disagree: the day itself decides, so ask for it instead of guessing.
        cut = add_years(as_of, -years)
        judged = f"{earliest.isoformat()} 至 {latest.isoformat()}"
        return "unknown", judged, f"需具体登记日期：{cut.isoformat()}{'及以前' if op == 'years_since_at_least' else '及以后'}登记的才满足"
    judged = latest.isoformat() if earliest is None else f"{earliest.isoformat()} 至 {latest.isoformat()}"
    if op == "years_since_at_least":
        due = add_years(latest, years)
        return ("met" if ok else "unmet"), judged, f"{'已' if ok else '未'}满{years}年（{due.isoformat()}满）"
    return ("met" if ok else "unmet"), judged, f"成立{'未' if ok else '已'}超过{years}年"


def _norm_cert(code: str) -> str:
    return re.sub(r"[\s:：\-_/]", "", code.upper()).split("20")[0] if code else ""


def _award_matches(names: list[str], award_name: str) -> bool:
    core = award_core(award_name)
    return any(n and (n in core or core in n) for n in names)


def evaluate(rule: Rule, profile: Profile, as_of: dt.date) -> tuple[str, Any, str]:
    """(status, the profile value judged, a short Chinese note)."""
    if rule.kind == "review" or not rule.field:
        return "review", None, "由评审认定"
    value = getattr(profile, rule.field, None)
    if rule.applies_if:
        for f, wanted in rule.applies_if.items():
            have = getattr(profile, f, None)
            if have is None:
                # Which threshold binds is itself unknown; say what it would mean for this applicant.
                note = f"需先确定{FIELD_LABELS.get(f, (f,))[0]}"
                if value is not None:
                    inner, _, inner_note = evaluate(rule.model_copy(update={"applies_if": None}), profile, as_of)
                    note += f"；如适用此项：{'满足' if inner == 'met' else '不满足'}（{inner_note}）"
                return "unknown", value, note
            if have != wanted:
                return "n/a", value, ""
    if value is None:
        return "unknown", None, "未提供"
    op, target = rule.operator, rule.value
    window = rule.window or {}
    if op in ("years_since_at_least", "years_since_at_most"):
        return _registration_age(op, int(target), value, getattr(profile, f"{rule.field}_earliest", None), as_of)
    if op == ">=":
        ok = float(value) >= float(target)
        return ("met" if ok else "unmet"), value, f"{value:g}{rule.unit} {'≥' if ok else '<'} {target:g}{rule.unit}" \
            if isinstance(target, (int, float)) else ""
    if op == "<=":
        ok = float(value) <= float(target)
        return ("met" if ok else "unmet"), value, f"{value}{rule.unit} {'≤' if ok else '>'} {target}{rule.unit}"
    if op in ("education_at_least", "title_at_least"):
        ladder = EDUCATION if op == "education_at_least" else TITLES
        ok = ladder.index(value) >= ladder.index(target) if value in ladder and target in ladder else False
        return ("met" if ok else "unmet"), value, ""
    if op == "is_true":
        applies = bool(value) is True
        if rule.kind == "exclusion":
            return ("unmet" if applies else "met"), value, "存在此情形" if applies else "不存在此情形"
        return ("met" if applies else "unmet"), value, ""
    if op == "is_false":
        return ("met" if value is False else "unmet"), value, ""
    if op == "region_in":
        ok = str(target) in str(value)
        return ("met" if ok else "unmet"), value, ""
    if op == "none_within_years":
        years = int(window.get("years", 1))
        since = add_years(as_of, -years)
        inside = [d for d in value if since < d <= as_of]
        return ("unmet" if inside else "met"), [d.isoformat() for d in value], \
            (f"{inside[0].isoformat()} 在近{years}年内" if inside else f"{since.isoformat()} 之后无记录")
    if op == "has_item" and rule.field == "personal_certificates":
        want = re.sub(r"\s", "", str(target))
        ok = any(want in re.sub(r"\s", "", c) or re.sub(r"\s", "", c) in want for c in value if c.strip())
        return ("met" if ok else "unmet"), value, ""
    if op == "has_item":
        have = {_norm_cert(c) for c in value}
        ok = _norm_cert(str(target)) in have
        return ("met" if ok else "unmet"), value, ""
    if op == "has_standard":
        ok = any(s.level == target["level"] and s.role == target["role"] for s in value)
        return ("met" if ok else "unmet"), [s.model_dump() for s in value], ""
    if op == "has_award":
        ok = any(_award_matches(list(target), a.name) for a in value)
        return ("met" if ok else "unmet"), [a.model_dump() for a in value], ""
    if op in ("award_within_years", "award_since_year"):
        names = target["names"] if isinstance(target, dict) else list(target)
        hits = []
        for a in value:
            if not _award_matches(names, a.name) or a.year > as_of.year:
                continue
            if op == "award_within_years":
                years = int(window.get("years", 5))
                ends = dt.date(a.year + years, 1, 1)  # 自获奖之年起5年内: through 31 Dec of year+4
                if as_of < ends:
                    hits.append(f"{a.name}（{a.year}年，{ends.isoformat()} 起可申报）")
            elif a.year >= int(target["year"]):
                hits.append(f"{a.name}（{a.year}年）")
        judged = [a.model_dump() for a in value]
        return ("unmet" if hits else "met"), judged, ("；".join(hits) if hits else "不在限制期内")
    return "review", value, "无法自动判断"


def _citation(rule: Rule, docs: dict[str, DocRecord]) -> dict:
    doc = docs.get(rule.span.doc_id)
    meta = doc.meta if doc else None
    return {"title": meta.title if meta else "", "doc_number": meta.doc_number if meta else "",
            "section": rule.span.section, "quote": rule.span.quote, "doc_id": rule.span.doc_id,
            "start": rule.span.start, "end": rule.span.end, "source": meta.source if meta else "",
            "status": meta.status if meta else ""}


def _group_status(statuses: dict[str, list[str]]) -> str:
    """Tiers are alternatives; the conditions of one tier all have to hold."""
    tier_states = []
    for states in statuses.values():
        if all(s == "met" for s in states):
            tier_states.append("met")
        elif any(s == "unmet" for s in states):
            tier_states.append("unmet")
        else:
            tier_states.append("unknown")
    if "met" in tier_states:
        return "met"
    return "unmet" if all(s == "unmet" for s in tier_states) else "unknown"


def check_programme(prog: Programme, profile: Profile, as_of: dt.date, docs: dict[str, DocRecord]) -> dict:
    conditions = []
    groups: dict[str, dict[str, list[str]]] = {}
    plain: list[tuple[Rule, str]] = []
    need: list[str] = []
    met_tiers: list[Rule] = []
    for rule in prog.rules:
        status, judged, note = evaluate(rule, profile, as_of)
        if status == "n/a":
            continue
        if rule.any_of:
            group, _, tier = rule.any_of.partition("#")
            groups.setdefault(group, {}).setdefault(tier, []).append(status)
            if status == "met":
                met_tiers.append(rule)
        else:
            plain.append((rule, status))
        if status == "unknown" and rule.kind in ("required", "exclusion"):
            for f in [rule.field, *(rule.applies_if or {})]:
                vague = f == rule.field and getattr(profile, f"{f}_earliest", None) is not None  # 2019年成立
                if f and (getattr(profile, f, None) is None or vague) and f not in need:
                    need.append(f)
        conditions.append({
            "text": rule.text, "kind": rule.kind, "field": rule.field, "operator": rule.operator, "value": rule.value,
            "unit": rule.unit, "window": rule.window, "alternative": bool(rule.any_of), "status": status,
            "profile_value": judged, "note": note, "citation": _citation(rule, docs), "rule_key": rule.key,
            "corrected": rule.corrected, "flag": rule.flag})
    states = [s for r, s in plain if r.kind in ("required", "exclusion")]
    states += [_group_status(tiers) for tiers in groups.values()]
    if "unmet" in states:
        verdict = "not_eligible"
    elif "unknown" in states:
        verdict = "need_info"
    else:
        verdict = "eligible"
    reward = None
    if prog.reward:
        reward = {"text": prog.reward["text"], "amount_wan": prog.reward.get("amount_wan"),
                  "citation": prog.reward["citation"]}
    if met_tiers:  # the tier this profile qualifies for names its own amount
        r = met_tiers[0]
        reward = {"text": r.text, "amount_wan": None, "citation": _citation(r, docs)}
    deadline = None
    if prog.deadline:
        deadline = {"date": prog.deadline.get("date"), "text": prog.deadline["text"],
                    "recurring": bool(prog.deadline.get("recurring")), "citation": prog.deadline["citation"]}
        if deadline["date"]:
            deadline["passed"] = deadline["date"] < as_of.isoformat()
    where = {"text": prog.where["text"], "citation": prog.where["citation"]} if prog.where else None
    return {"program": prog.name, "audience": prog.audience, "verdict": verdict, "conditions": conditions,
            "need_fields": [{"field": f, "label": FIELD_LABELS.get(f, (f,))[0]} for f in need],
            "review_count": sum(1 for c in conditions if c["status"] == "review"),
            "rules_checked": sum(1 for c in conditions if c["status"] != "review"),
            "reward": reward, "deadline": deadline, "where": where}


_service_db = None


def use_database(db) -> None:
    """The service's database, so the chat path (which has no handle on it) applies admin corrections too."""
    global _service_db
    _service_db = db


def rulebook_for(index, db=None) -> list[Programme]:
    """The programmes of a loaded index (current documents only), admin corrections applied; cached per
    build and corrections state so a warm check does no extraction."""
    stamp = ""
    corrections: list[dict] = []
    db = db if db is not None else _service_db
    if db is not None:
        from .store import corrections_state

        try:
            stamp, corrections = corrections_state(db)
        except Exception:  # a closed or unmigrated database: the rules as extracted
            stamp, corrections = "", []
    key = (str(getattr(index, "build_dir", id(index))), stamp)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    # A service with nothing but review conditions (点单, 事故报告) is not something a profile can be checked for.
    programmes = [p for p in extract_programmes(index.docs) if any(r.field for r in p.rules)]
    if corrections:
        from .store import apply_corrections

        programmes = apply_corrections(programmes, corrections, index.docs)
    with _cache_lock:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = programmes
    return programmes


def find_programmes(programmes: list[Programme], name: str) -> list[Programme]:
    """Programmes a user names: exact, then containment either way (青岛优品, 区长质量奖 -> 区长质量奖（组织）)."""
    name = (name or "").strip()
    exact = [p for p in programmes if p.name == name]
    if exact:
        return exact
    return [p for p in programmes if name and (name in p.name or p.name.split("（")[0] in name)]


def check_profile(programmes: list[Programme], profile: Profile, docs: dict[str, DocRecord],
                  as_of: dt.date | None = None, program: str | None = None) -> dict:
    as_of = as_of or dt.date.today()
    chosen = find_programmes(programmes, program) if program else programmes
    results = [check_programme(p, profile, as_of, docs) for p in chosen]
    # Within a verdict, the programmes judged on more conditions first (a service guide with one rule last).
    results.sort(key=lambda r: (VERDICT_ORDER[r["verdict"]], -r["rules_checked"], r["program"]))
    return {"as_of": as_of.isoformat(), "programs": results}


class CheckError(ValueError):
    """A check that cannot run as asked (bad as_of, unknown programme); the message is Chinese."""

    def __init__(self, message: str, field: str = "") -> None:
        self.field = field
        super().__init__(message)


def parse_as_of(value) -> dt.date:
    if value in (None, ""):
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CheckError(f"as_of 应为日期，格式 YYYY-MM-DD：{value}", "as_of") from None


def run_check(index, profile, as_of=None, program: str | None = None, db=None) -> dict:
    """One code path for the CLI, the API, the page and the chat: validate, pick programmes, judge."""
    from .profile import parse_profile

    checked = parse_profile(profile)
    day = parse_as_of(as_of)
    programmes = rulebook_for(index, db)
    if program and not find_programmes(programmes, program):
        names = "、".join(sorted({p.name.split("·")[0].split("（")[0] for p in programmes}))
        raise CheckError(f"未找到项目“{program}”。可选：{names}", "program")
    return check_profile(programmes, checked, index.docs, day, program)


class DocsOnly:
    """The documents of the served build without its search structures: all a check needs."""

    def __init__(self, build_dir, docs: dict[str, DocRecord], manifest: dict) -> None:
        self.build_dir = build_dir
        self.docs = docs
        self.manifest = manifest

    @property
    def build_id(self) -> str:
        return self.manifest.get("build_id", "")

    @classmethod
    def open(cls, index_dir) -> "DocsOnly":
        from ..store import IndexNotFound, current_build_dir, read_build

        build = current_build_dir(index_dir)
        if build is None:
            raise IndexNotFound(f"索引不存在：{index_dir}（请先运行 assistant index）")
        manifest, docs, _ = read_build(build)
        return cls(build, docs, manifest)


def used_fields(programmes: list[Programme]) -> list[str]:
    """Profile fields some rule judges, in the profile's own order (the /check form asks only for these)."""
    used = {r.field for p in programmes for r in p.rules if r.field} | {
        f for p in programmes for r in p.rules for f in (r.applies_if or {})}
    return [f for f in FIELD_LABELS if f in used]
