"""Programme conditions as data: the 申报条件 / 受理条件 / 不得申报 sections of each document, split into
clauses, each clause turned into a rule {field, operator, value, unit, window, kind} with the exact span it
came from — or kept as text with kind `review` when no rule can represent it (处于全区同行业领先水平).

Extraction is by patterns over the normalized text and the outline the chunker already builds; nothing here
knows a particular document. Programmes are named from the document title (or, in a reward policy, from the
article's own lead phrase: 第八条 支持质量品牌建设)."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..ingest.chunking import ARTICLE_RANK
from ..ingest.metadata import PROGRAMS
from ..store import DocRecord
from ..text import cn_to_int, int_to_cn

Kind = Literal["required", "exclusion", "preference", "review"]
# Higher authority first: a policy's article is the citation we keep when a guide repeats the condition.
DOC_TYPE_PRIORITY = {"政策文件": 0, "申报指南": 1, "办事指南": 2}


class Span(BaseModel):
    doc_id: str
    section: str  # 二、申报条件（二） or 第十条第一款第（二）项
    start: int
    end: int
    quote: str


class Rule(BaseModel):
    key: str  # stable across re-index while the quoted text is unchanged: doc_id + hash of the quote
    program: str
    field: str | None = None  # profile field judged; None for review conditions
    operator: str | None = None
    value: Any = None
    unit: str = ""
    window: dict | None = None  # {"years": 2, "from": "as_of" | "award_year"}
    kind: Kind = "required"
    any_of: str = ""  # rules sharing a group are alternatives (reward tiers): one met is enough
    applies_if: dict | None = None  # {"business_type": "service"}: the rule binds only such applicants
    text: str  # the clause as written
    span: Span
    corrected: bool = False  # an admin correction is applied
    flag: str = ""  # e.g. the article changed since the correction


class Programme(BaseModel):
    name: str
    audience: Literal["organization", "individual"] = "organization"
    rules: list[Rule] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)  # doc_ids
    reward: dict | None = None  # {"text", "amount_wan", "citation"}
    deadline: dict | None = None  # {"date", "text", "citation"}
    where: dict | None = None  # {"text", "citation"}


# --- section headings that hold conditions --------------------------------------------------------

CONDITION_HEADING = re.compile(r"(申报|受理|报名|申请|申领|办理|任职|备案|参评)条件|不得申报|支持对象|适用对象")
EXCLUSION_CUE = re.compile(r"不得(申报|参评|推荐|享受)|不予(受理|支持|补贴|推荐)|取消.*资格")
REWARD_HEADING = re.compile(r"奖励|政策支持|补贴标准|资助|支持方式")
DEADLINE_HEADING = re.compile(r"(申报|报名|申领|受理)(时间|截止)|截止时间")
WHERE_HEADING = re.compile(r"(受理|办理)地点|受理部门")
ITEM_MARK = re.compile(r"^\s*(?:[（(]([一二三四五六七八九十]+)[)）]|(\d{1,2})[.．、](?!\d)|[（(](\d{1,2})[)）])\s*")
ARTICLE_MARK = re.compile(r"^第([一二三四五六七八九十百零]+)条\s*")
_AMOUNT = r"(\d+(?:\.\d+)?)\s*(亿元|万元|亿|万|元)"
_YEARS = r"(\d+|[一二两三四五六七八九十]+)\s*年"


def amount_wan(number: str, unit: str) -> float:
    value = float(number)
    if unit.startswith("亿"):
        return value * 10000
    if unit == "元":
        return value / 10000
    return value


def _years(s: str) -> int:
    return int(s) if s.isdigit() else (cn_to_int(s) or 0)


# --- clause patterns: (regex, builder) — the first that matches wins ------------------------------------------

CERTIFICATIONS = {  # system name as policies write it -> the code a profile lists
    "质量管理体系": "ISO9001", "环境管理体系": "ISO14001", "职业健康安全管理体系": "ISO45001",
    "能源管理体系": "ISO50001", "信息安全管理体系": "ISO27001", "知识产权合规管理体系": "GB/T29490",
    "CE": "CE", "UL": "UL",
}
_AWARD_PREFIX = re.compile(r"^(青岛市|山东省|城阳区|全国|国家级|省级|市级|区级)")


def award_core(name: str) -> str:
    """市长质量奖 from 青岛市市长质量奖（含提名奖）: what a profile's award name is matched on."""
    name = re.sub(r"[（(][^）)]*[）)]|[“”\"]", "", name).strip()
    return _AWARD_PREFIX.sub("", name) or name


def _award_names(text: str) -> list[str]:
    parts = re.split(r"、|或者|或|和|及", text)
    return [award_core(p) for p in parts if award_core(p)]


def _p(field, operator, value=None, unit="", window=None):
    return {"field": field, "operator": operator, "value": value, "unit": unit, "window": window}


def _sales(m):
    return _p("annual_sales_wan", ">=", amount_wan(m.group(2), m.group(3)), "万元")


PATTERNS: list[tuple[re.Pattern, Any]] = [
    # exclusions by an award within a window / since a year (区长质量奖 第十条)
    (re.compile(r"获得(.+?)的(?:组织|企业|单位)?，?自获奖之年起" + _YEARS + r"内"),
     lambda m: _p("awards", "award_within_years", _award_names(m.group(1)), "年", {"years": _years(m.group(2)), "from": "award_year"})),
    (re.compile(r"获得(.+?)未满" + _YEARS + r"的"),
     lambda m: _p("awards", "award_within_years", _award_names(re.sub(r"及以上.*$", "", m.group(1))), "年",
                  {"years": _years(m.group(2)), "from": "award_year"})),
    (re.compile(r"((?:19|20)\d{2})年以来获得(.+?)的"),
     lambda m: _p("awards", "award_since_year", {"names": _award_names(m.group(2)), "year": int(m.group(1))}, "年")),
    (re.compile(r"正在接受行政调查|未整改完毕的重大(?:质量)?安全隐患"), lambda m: _p("under_investigation", "is_true", True)),
    # registration
    (re.compile(r"(?:登记注册|注册登记|注册|成立)(?:时间)?(?:已)?满" + _YEARS),
     lambda m: _p("registered_on", "years_since_at_least", _years(m.group(1)), "年")),
    (re.compile(r"成立(?:时间)?不超过" + _YEARS),
     lambda m: _p("registered_on", "years_since_at_most", _years(m.group(1)), "年")),
    (re.compile(r"具有独立(?:的)?法人资格|独立法人"), lambda m: _p("independent_legal_person", "is_true", True)),
    # amounts: products vs services are told apart by applies_if (set by the caller from the clause)
    (re.compile(r"(年销售额|年营业收入|营业收入|销售收入|主营业务收入)(?:不低于|不少于|达到|在)\s*" + _AMOUNT), _sales),
    (re.compile(r"(年销售额|年营业收入|营业收入|销售收入)首次(?:突破|超过|达到)\s*" + _AMOUNT), _sales),
    (re.compile(r"近\s*(\d+|[一二三])\s*年营业收入(?:保持)?(?:稳定)?增长"), lambda m: _p("revenue_growing_3y", "is_true", True)),
    # accidents, spot checks, credit
    (re.compile(r"近\s*" + _YEARS + r"(?:内)?(?:未发生|无|没有)[^，；。]*事故"),
     lambda m: _p("accidents", "none_within_years", None, "年", {"years": _years(m.group(1)), "from": "as_of"})),
    (re.compile(r"近\s*" + _YEARS + r"(?:内)?[^，；。]*(?:监督抽查|监督抽检|抽查|抽检)[^，；。]*(?:未出现|无|没有)不合格"),
     lambda m: _p("spot_check_failures", "none_within_years", None, "年", {"years": _years(m.group(1)), "from": "as_of"})),
    (re.compile(r"(?:未被|没有被|不在)列入严重违法失信(?:企业)?名单"), lambda m: _p("serious_dishonesty_listed", "is_false", False)),
    (re.compile(r"被列入严重违法失信(?:企业)?名单"), lambda m: _p("serious_dishonesty_listed", "is_true", True)),
    # marks of quality work
    (re.compile(r"(?:拥有|具有|持有)?有效(?:的)?注册商标"), lambda m: _p("registered_trademark", "is_true", True)),
    (re.compile(r"(?:进行|开展|完成)?(?:企业)?标准自我声明公开"), lambda m: _p("standard_self_declared", "is_true", True)),
    (re.compile(r"(?:导入|实施)[^，；。]*?卓越绩效管理模式\s*" + _YEARS + r"以上"),
     lambda m: _p("excellence_model_years", ">=", _years(m.group(1)), "年")),
    (re.compile(r"(?:已)?(?:通过|获得)[^，；。]*?(质量管理体系|环境管理体系|职业健康安全管理体系|能源管理体系|信息安全管理体系)认证"),
     lambda m: _p("certifications", "has_item", CERTIFICATIONS[m.group(1)])),
    (re.compile(r"主导制定(国际|国家|行业|地方|团体)标准"),
     lambda m: _p("standards_led", "has_standard", {"level": m.group(1), "role": "主导"})),
    (re.compile(r"参与制定[^，；。]*?(国际|国家|行业|地方|团体)标准"),
     lambda m: _p("standards_led", "has_standard", {"level": m.group(1), "role": "参与"})),
    (re.compile(r"设立首席质量官"), lambda m: _p("chief_quality_officer", "is_true", True)),
    (re.compile(r"从事质量(?:管理)?工作(?:满)?" + _YEARS + r"(?:以上)?"),
     lambda m: _p("quality_work_years", ">=", _years(m.group(1)), "年")),
    (re.compile(r"标准化人员不少于\s*(\d+)\s*[名人]"), lambda m: _p("standardization_staff", ">=", int(m.group(1)), "名")),
    (re.compile(r"(?:职工|员工|从业人员)(?:人数)?(?:不少于|不低于|达到|在)\s*(\d+)\s*[名人]"),
     lambda m: _p("employees", ">=", int(m.group(1)), "人")),
    # an honour named in a reward (首次入选“青岛优品”名单的企业, 新认定的中国驰名商标, 获得…质量奖的企业)
    (re.compile(r"(?:首次入选|首次获得|新认定的|新获评)“?([^，；。“”]{2,20}?)”?(?:名单|品牌|称号)?的(?:企业|组织|单位)"),
     lambda m: _p("awards", "has_award", [award_core(m.group(1))])),
    (re.compile(r"获得“?([^，；。“”]{2,20}?(?:奖|称号|品牌))”?的(?:企业|组织|单位)"),
     lambda m: _p("awards", "has_award", [award_core(m.group(1))])),
    (re.compile(r"(?:首次入选|首次获得|新认定的|新认定|新获评)“([^”]{2,20})”"),
     lambda m: _p("awards", "has_award", [award_core(m.group(1))])),
    # the applicant as a person (首席质量官, 个人奖; real service guides: 年满18周岁, 60周岁以下)
    (re.compile(r"(?:大学)?(本科|大专|专科|硕士|博士)(?:研究生)?(?:及)?以上学历"),
     lambda m: _p("education", "education_at_least", {"专科": "大专"}.get(m.group(1), m.group(1)))),
    (re.compile(r"(初级|中级|副高级|高级)(?:及)?以上(?:专业技术)?职称"),
     lambda m: _p("professional_title", "title_at_least", m.group(1))),
    (re.compile(r"年满\s*(\d+)\s*周岁"), lambda m: _p("age_years", ">=", int(m.group(1)), "周岁")),
    (re.compile(r"(\d+)\s*周岁(?:及)?以下|不超过\s*(\d+)\s*周岁|未满\s*(\d+)\s*周岁"),
     lambda m: _p("age_years", "<=", int(m.group(1) or m.group(2) or m.group(3)), "周岁")),
    (re.compile(r"(?:最近|近)\s*" + _YEARS + r"(?:内)?(?:无|没有|未有)[^，；。]*(?:违法|违规|犯罪)[^，；。]*记录"),
     lambda m: _p("violations", "none_within_years", None, "年", {"years": _years(m.group(1)), "from": "as_of"})),
    (re.compile(r"(?:取得|持有|具有)([^，；。]{2,24}?(?:资格证书|执业证书|合格证书|资格证|证书))"),
     lambda m: _p("personal_certificates", "has_item", re.sub(r"^(区级以上|相应的?|相关的?|有效的?)", "", m.group(1)))),
    # region last: it is often only the subject of a longer clause
    (re.compile(r"在(城阳区|本区|全区)(?:行政区域内)?(?:依法)?(?:登记注册|注册登记|注册)"), lambda m: _p("region", "region_in", m.group(1))),
]


def parse_clause(clause: str, region: str = "") -> dict | None:
    """The first rule a clause states, or None when no pattern can represent it (kept for review)."""
    found = parse_clause_all(clause, region)
    return found[0] if found else None


def parse_clause_all(clause: str, region: str = "") -> list[dict]:
    """Every rule a clause states (在城阳区依法登记注册满2年 -> region and registration age), patterns in
    order, a later match never overlapping an earlier one except the region (often the clause's subject)."""
    taken: list[tuple[int, int]] = []
    out: list[dict] = []
    for pattern, build in PATTERNS:
        m = pattern.search(clause)
        if not m:
            continue
        rule = build(m)
        is_region = rule["operator"] == "region_in"
        if not is_region and any(m.start() < e and s < m.end() for s, e in taken):
            continue
        if is_region:
            place = rule["value"]
            rule["value"] = _region_core(region) if place in ("本区", "全区") and region else place.rstrip("区") or place
        if rule["field"] == "awards" and not (rule["value"]["names"] if isinstance(rule["value"], dict) else rule["value"]):
            continue
        if rule["field"] == "personal_certificates" and len(rule["value"]) <= 4:
            continue  # 取得合格证书: which certificate is not said here
        taken.append((m.start(), m.end()))
        out.append(rule)
    return out


def _region_core(region: str) -> str:
    last = re.split(r"(?<=[省市])", region)[-1] if region else ""
    return (last or region).rstrip("区县市") or region


def business_scope(clause: str) -> dict | None:
    if re.search(r"服务类|服务业|服务主体|提供服务", clause):
        return {"business_type": "service"}
    if re.search(r"申报产品|产品类|制造业", clause):
        return {"business_type": "product"}
    return None


# --- splitting a section into clauses ---------------------------------------------------------------------

_SUBJECT_ONLY = re.compile(r"(的|的组织|的企业|的单位|的个人)$")
# A clause that only names who applies (申报单位在城阳区…) is still a condition; a lead-in is not.
_LEAD_IN = re.compile(r"[：:]$")


def split_clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clauses of one line or item: split at ；，。 but a clause that only names its subject (已获得…的组织)
    is joined to the next clause of the same sentence so the condition keeps its subject."""
    pieces: list[tuple[int, int, str]] = []
    s = start
    for m in re.finditer(r"[；;，,。]", text[start:end]):
        e = start + m.start()
        if text[s:e].strip():
            pieces.append((s, e, m.group(0)))
        s = start + m.end()
    if text[s:end].strip():
        pieces.append((s, end, "。"))
    merged: list[tuple[int, int]] = []
    carry: int | None = None
    for i, (s, e, sep) in enumerate(pieces):
        if carry is not None:
            s, carry = carry, None
        if sep in "，," and _SUBJECT_ONLY.search(text[s:e].strip()) and i + 1 < len(pieces):
            carry = s
            continue
        merged.append((s, e))
    return [_trim(text, s, e) for s, e in merged]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in " 　\t\n":
        s += 1
    while e > s and text[e - 1] in " 　\t\n；;，,。":
        e -= 1
    return s, e


# --- naming a span: 二、申报条件（二） / 第十条第一款第（二）项 -------------------------------------------------

def section_label(doc: DocRecord, start: int, end: int) -> str:
    entries = [o for o in doc.outline if o.start <= start and end <= o.end]
    entries.sort(key=lambda o: (o.start, -o.end))
    article = next((o for o in reversed(entries) if o.rank == ARTICLE_RANK), None)
    text = doc.text
    if article is not None:
        label = ARTICLE_MARK.match(text[article.start:article.end]).group(0).strip()
        paragraphs = [(s, e) for s, e in doc.lines if s >= article.start and e <= article.end and e > s]
        clauses = [(s, e) for s, e in paragraphs if not ITEM_MARK.match(text[s:e])]
        here = next(((s, e) for s, e in paragraphs if s <= start <= e), None)
        if here is None:
            return label
        kuan = sum(1 for s, _ in clauses if s <= here[0])
        if len(clauses) > 1:
            label += f"第{int_to_cn(max(kuan, 1))}款"
        m = ITEM_MARK.match(text[here[0]:here[1]])
        if m and m.group(1):
            label += f"第（{m.group(1)}）项"
        elif m:
            label += f"第{m.group(2) or m.group(3)}项"
        return label
    parts: list[str] = []
    for o in entries:
        line = text[o.start:text.find("\n", o.start) if "\n" in text[o.start:o.end] else o.end].strip()
        m = ITEM_MARK.match(line)
        if m and o.rank >= 6:
            parts.append(m.group(0).strip())
        else:
            parts.append(o.path.split(" > ")[-1])
    if not parts:
        return ""
    # The innermost line may be an unmarked list item inside the section (受理条件：A；B；C).
    return parts[0] + "".join(p if ITEM_MARK.match(p) else f" {p}" for p in parts[1:])


# --- programmes -------------------------------------------------------------------------------------------

DISPLAY_NAMES = {"标准化试点": "市级标准化试点", "认证": "管理体系认证补贴", "卓越绩效": "卓越绩效管理模式导入",
                 "知识产权": "商标注册与知识产权资助", "首席质量官": "首席质量官", "企业标准自我声明公开": "企业标准自我声明公开"}
_TRAINING = re.compile(r"培训班|报名通知")


def programme_name(doc: DocRecord) -> str:
    """The programme a document's conditions belong to: the PROGRAMS entry its title names (区长质量奖,
    青岛优品…), else its title without year, region and document-type words."""
    return programme_name_from_title(doc.meta.title)


def programme_name_from_title(title: str) -> str:
    for name, keys in PROGRAMS.items():
        if any(k in title for k in keys):
            base = DISPLAY_NAMES.get(name, name)
            return f"{base}培训班报名" if _TRAINING.search(title) else base
    cleaned = re.sub(r"^(关于)?(印发)?((19|20)\d{2}年度?)?(青岛市|山东省)?(城阳区)?", "", title)
    cleaned = re.sub(r"(申报|申领|办事|工作|服务)?指南|（[^）]*）|管理办法|实施办法|试行办法|的通知|报名通知$", "", cleaned)
    return cleaned.strip("“”\"") or title


def _audience(label: str, text: str) -> str:
    return "individual" if re.search(r"个人", label + text[:30]) else "organization"


def _key(doc_id: str, quote: str, extra: str = "") -> str:
    return f"{doc_id}:{hashlib.sha1((quote + extra).encode('utf-8')).hexdigest()[:12]}"


_SUBJECT_CUE = re.compile(r"登记注册|注册登记|具有|应当|须|符合|未发生|未被|拥有")


def make_rules(doc: DocRecord, program: str, cs: int, ce: int, kind_hint: str, any_of: str = "") -> list[Rule]:
    """The rules one clause states (several when it names several facts), or one review rule."""
    clause = doc.text[cs:ce]
    span = Span(doc_id=doc.meta.doc_id, section=section_label(doc, cs, ce), start=cs, end=ce, quote=clause)
    parsed = parse_clause_all(clause, doc.meta.region)
    if re.search(r"可以申报|可申报$", clause):
        parsed = []  # an exception that re-opens a door is for the review panel to judge
    if not parsed:
        return [Rule(key=_key(doc.meta.doc_id, clause), program=program, kind="review", text=clause, span=span)]
    rules = []
    for p in parsed:
        kind = kind_hint
        if "优先" in clause or "鼓励" in clause:
            kind = "preference"
        if kind == "exclusion" and p["operator"] in ("is_false", "none_within_years"):
            kind = "required"  # 未被列入… inside a 不得 list still reads as a plain requirement
        if kind == "required" and p["operator"] == "is_true" and p["field"] in ("under_investigation",
                                                                                "serious_dishonesty_listed"):
            kind = "exclusion"
        if kind == "exclusion" and p["field"] in ("region", "registered_on", "independent_legal_person"):
            kind = "required"
        extra = f"{p['field']}:{p['operator']}" if len(parsed) > 1 else ""
        alternatives = len(parsed) > 1 and "或" in clause and not any_of and kind == "required"
        rules.append(Rule(key=_key(doc.meta.doc_id, clause, extra), program=program, kind=kind, text=clause,
                          span=span, any_of=(f"{_key(doc.meta.doc_id, clause)}:or#{len(rules)}" if alternatives
                                             else any_of if kind == "required" else ""),
                          applies_if=business_scope(clause) if p["field"] == "annual_sales_wan" else None, **p))
    return rules


def _items(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A line split at ；: an unmarked list (受理条件：A；B；C) holds one condition per part."""
    out, s = [], start
    for m in re.finditer(r"[；;]", text[start:end]):
        e = start + m.start()
        if text[s:e].strip():
            out.append((s, e))
        s = start + m.end()
    if text[s:end].strip():
        out.append((s, end))
    return out


def _rules_from_lines(doc: DocRecord, program: str, lines: list[tuple[int, int]], kind_hint: str,
                      any_of: str = "", need_cue: bool = False) -> list[Rule]:
    rules: list[Rule] = []
    text = doc.text
    for ls, le in lines:
        line = text[ls:le]
        m = ITEM_MARK.match(line) or ARTICLE_MARK.match(line)
        body_start = ls + (m.end() if m else 0)
        body = text[body_start:le].strip()
        if not body or _LEAD_IN.search(body) or CONDITION_HEADING.fullmatch(body.strip("【】")):
            continue
        for is_, ie in _items(text, body_start, le):
            item = text[is_:ie]
            item_kind = "exclusion" if kind_hint == "exclusion" or EXCLUSION_CUE.search(item) else kind_hint
            previous: list[Rule] = []
            for cs, ce in split_clauses(text, is_, ie):
                clause = text[cs:ce]
                if len(clause) < 3 or re.fullmatch(r"[（(]?[一二三四五六七八九十\d]+[)）、.．]?", clause):
                    continue
                if need_cue and not _SUBJECT_CUE.search(clause):
                    continue  # a 适用对象 section also tells stories (全区已有130家企业…)
                made = make_rules(doc, program, cs, ce, item_kind, any_of)
                if (re.match(r"^(或者|或)", clause) and previous and not any_of
                        and all(r.field and r.kind == "required" for r in previous + made)):
                    # 具有本科以上学历，或者具有中级以上职称: either clause is enough
                    group = previous[0].any_of.partition("#")[0] or f"{previous[0].key}:or"
                    tiers = {r.any_of for r in previous if r.any_of}
                    for r in previous:
                        r.any_of = r.any_of or f"{group}#1"
                    for r in made:
                        r.any_of = f"{group}#{len(tiers) + 2 if tiers else 2}"
                    previous = previous + made
                else:
                    previous = made
                rules.extend(made)
    return rules


def _section_lines(doc: DocRecord, start: int, end: int) -> list[tuple[int, int]]:
    """Lines of a section, each line split further at ； when it carries an unmarked list (受理条件：A；B)."""
    out = []
    for s, e in doc.lines:
        if s >= start and e <= end and e > s:
            line = doc.text[s:e]
            head = re.match(r"^\s*【[^】]+】\s*", line)
            if head:
                s += head.end()
            out.append((s, e))
    return out


def _top_sections(doc: DocRecord) -> list:
    """Outline entries whose own heading names a condition section (not nested in another such)."""
    found = []
    for o in doc.outline:
        head = o.path.split(" > ")[-1]
        if CONDITION_HEADING.search(head) and not any(f.start <= o.start and o.end <= f.end for f in found):
            found.append(o)
    return found


def _find_text(doc: DocRecord, heading: re.Pattern, sentence: re.Pattern | None = None) -> dict | None:
    for o in doc.outline:
        if heading.search(o.path.split(" > ")[-1]):
            body = doc.text[o.start:o.end]
            offset = 0
            first_nl = body.find("\n")
            if o.path.startswith("【") or first_nl < 0:
                m = re.match(r"^\s*(【[^】]+】|[一二三四五六七八九十]+、[^\n]*?(?=[：:]|$))\s*[：:]?", body)
                offset = m.end() if m and first_nl < 0 else (first_nl + 1 if first_nl >= 0 else 0)
            else:
                offset = first_nl + 1
            for s, e in _sentences(body, offset):
                quote = body[s:e].strip()
                if quote and (sentence is None or sentence.search(quote)):
                    found = _cite(doc, o.start + s, o.start + e)
                    found["text"] = re.sub(r"^[\u4e00-\u9fff]{2,6}[：:]", "", found["text"])  # 受理地点：…
                    return found
    return None


def _sentences(body: str, offset: int) -> list[tuple[int, int]]:
    out, s = [], offset
    for m in re.finditer(r"[。\n]", body[offset:]):
        e = offset + m.end()
        if body[s:e].strip():
            out.append((s, e))
        s = e
    if body[s:].strip():
        out.append((s, len(body)))
    return out


def _cite(doc: DocRecord, start: int, end: int) -> dict:
    start, end = _trim(doc.text, start, end)
    meta = doc.meta
    return {"text": doc.text[start:end], "citation": {
        "title": meta.title, "doc_number": meta.doc_number, "section": section_label(doc, start, end),
        "quote": doc.text[start:end], "doc_id": meta.doc_id, "start": start, "end": end, "source": meta.source}}


_DATE = re.compile(r"((?:19|20)\d{2})年(\d{1,2})月(\d{1,2})日")
_AMOUNT_RE = re.compile(r"(?:奖励|资助|补贴|补助)\s*" + _AMOUNT)


def _deadline(doc: DocRecord) -> dict | None:
    found = _find_text(doc, DEADLINE_HEADING)
    if found is None:
        for s, e in _sentences(doc.text, 0):
            if re.search(r"截止|逾期", doc.text[s:e]) and _DATE.search(doc.text[s:e]):
                found = _cite(doc, s, e)
                break
    if found is None:
        return None
    dates = _DATE.findall(found["text"])
    if dates:
        # The first date after 至 / 截止 is the closing date; otherwise the last date named.
        m = re.search(r"(?:至|截止(?:时间)?(?:为)?)\s*((?:19|20)\d{2})年(\d{1,2})月(\d{1,2})日", found["text"])
        y, mo, d = (m.groups() if m else dates[-1])
        found["date"] = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
    return found


def _reward(doc: DocRecord, audience: str, start: int = 0, end: int | None = None) -> dict | None:
    end = len(doc.text) if end is None else end
    candidates = []
    for o in doc.outline:
        if o.start >= start and o.end <= end and REWARD_HEADING.search(o.path.split(" > ")[-1]):
            candidates.append((o.start, o.end))
    if not candidates:
        candidates = [(start, end)] if end - start < len(doc.text) else []
    for cs, ce in candidates:
        for s, e in doc.lines:
            if s < cs or e > ce or e <= s:
                continue
            line = doc.text[s:e]
            for ss, se in _sentences(line, 0):
                sentence = line[ss:se]
                m = _AMOUNT_RE.search(sentence)
                if not m:
                    continue
                if audience == "individual" and "个人" not in sentence:
                    continue
                if audience == "organization" and "个人" in sentence and "组织" not in sentence:
                    continue
                found = _cite(doc, s + ss, s + se)
                found["amount_wan"] = amount_wan(m.group(1), m.group(2))
                return found
    return None


def _programmes_from_conditions(doc: DocRecord) -> list[Programme]:
    base = programme_name(doc)
    out: dict[str, Programme] = {}
    for section in _top_sections(doc):
        head = section.path.split(" > ")[-1]
        kind_hint = "exclusion" if EXCLUSION_CUE.search(head) else "required"
        # Sub-sections（一）组织申报条件 / （二）个人申报条件 / （三）不得申报的情形 split the audience.
        subs = [o for o in doc.outline if o.rank > section.rank and section.start < o.start < section.end
                and o.path.count(" > ") == section.path.count(" > ") + 1
                and re.search(r"条件|情形|对象", o.path.split(" > ")[-1])]
        # Articles under a 申报条件 chapter: each article is a unit (第八条 组织, 第九条 个人, 第十条 不得).
        articles = [o for o in doc.outline if o.rank == ARTICLE_RANK and section.start <= o.start < section.end
                    and re.search(r"应当|须|不得|条件", doc.text[o.start:doc.text.find("\n", o.start)])]
        units = subs or articles or [section]
        for unit in units:
            unit_head = doc.text[unit.start:doc.text.find("\n", unit.start) if "\n" in doc.text[unit.start:unit.end] else unit.end]
            unit_kind = "exclusion" if EXCLUSION_CUE.search(unit_head) else kind_hint
            audience = _audience(unit.path.split(" > ")[-1], unit_head)
            if unit is section and audience == "individual":
                audience = "organization"
            name = base
            if audience == "individual":
                name = f"{base}（个人）"
            elif any(_audience(u.path.split(' > ')[-1], doc.text[u.start:u.start + 40]) == "individual" for u in units):
                name = f"{base}（组织）"
            prog = out.setdefault(name, Programme(name=name, audience=audience, sources=[doc.meta.doc_id]))
            lines = _section_lines(doc, unit.start, unit.end)
            if unit is section or unit in subs:
                lines = lines[1:] if lines and lines[0][0] <= unit.start + 1 and not doc.meta.source.count("#") else lines
            for ls, le in lines:
                # An unmarked list on one line (受理条件 in a service guide): each ；-separated part is an item.
                prog.rules.extend(_rules_from_lines(doc, name, [(ls, le)], unit_kind,
                                                    need_cue=bool(re.search(r"适用对象", head))))
    for prog in out.values():
        audience = prog.audience
        prog.reward = _reward(doc, audience)
        prog.deadline = _deadline(doc)
        prog.where = _find_text(doc, WHERE_HEADING)
    # An exclusion section that names no audience (区长质量奖 第十条) binds the organization programme.
    if len(out) > 1:
        orphan = out.get(base)
        if orphan is not None:
            target = next((p for n, p in out.items() if n != base and p.audience == "organization"), None)
            if target is not None:
                for r in orphan.rules:
                    target.rules.append(r.model_copy(update={"program": target.name}))
                del out[base]
    return list(out.values())


_REWARD_ARTICLE = re.compile(r"^第[一二三四五六七八九十百]+条\s*(?:(支持[^。，]{2,16})。)?(.*)$")
_GENERAL_CONDITION = re.compile(r"适用于|须承诺|应当承诺")
_TIER_SUBJECT = re.compile(r"^(.*)的(?:企业|组织|单位|项目|机构)?，")


def _short_title(title: str) -> str:
    if title.endswith("若干政策措施"):
        return "若干政策措施"
    core = re.sub(r"^关于|的若干政策$", "", title)
    if core != title.removeprefix("关于"):  # 关于…的若干政策: its subject, without the slogan
        core = re.sub(r"^(加强和改进|支持)?(新时代)?|(引领|助力|推动).*$", "", core)
        return f"{core}若干政策"
    return re.sub(r"^城阳区|(实施|管理|试行)?办法$", "", title) or title


def _programmes_from_rewards(doc: DocRecord) -> list[Programme]:
    """A reward policy (若干政策措施, 资助办法): every article that pays an amount is a programme whose tiers
    (对A的，奖励…；B的，奖励…) are alternatives; articles stating who may apply (适用于…, 申报时须承诺…)
    bind all of them."""
    if doc.meta.doc_type != "政策文件":
        return []
    general: list[Rule] = []
    progs: list[Programme] = []
    short = _short_title(doc.meta.title)
    for art in (o for o in doc.outline if o.rank == ARTICLE_RANK):
        first_nl = doc.text.find("\n", art.start)
        head_end = first_nl if 0 <= first_nl < art.end else art.end
        line = doc.text[art.start:head_end]
        if _GENERAL_CONDITION.search(line):
            for cs, ce in _sentences(line, 0):
                if _GENERAL_CONDITION.search(line[cs:ce]):
                    general.extend(r for r in _rules_from_lines(doc, "", [(art.start + cs, art.start + ce)], "required")
                                   if r.field)
            continue
        m = _REWARD_ARTICLE.match(line)
        if not m or not _AMOUNT_RE.search(line):
            continue
        label = ARTICLE_MARK.match(line).group(0).strip()
        name = f"{short}·{m.group(1) or label}"
        prog = Programme(name=name, sources=[doc.meta.doc_id])
        group = f"{doc.meta.doc_id}:{label}"
        body_start = art.start + m.start(2)
        tier_no = 0
        for s, e in _sentences(doc.text[body_start:head_end], 0):
            ss = body_start + s
            for ts, te in _items(doc.text, ss, body_start + e):
                tier = doc.text[ts:te]
                subject = _TIER_SUBJECT.match(tier)
                if not subject or not _AMOUNT_RE.search(tier):
                    continue  # 同一企业每年…不超过100万元 limits the amount; it is not a way in
                tier_no += 1
                qs, qe = _trim(doc.text, ts, te)
                rules = make_rules(doc, name, qs, qe, "required", any_of=f"{group}#{tier_no}")
                prog.rules.extend(rules)
        if not prog.rules:
            continue
        prog.reward = _reward(doc, "organization", art.start, art.end)
        progs.append(prog)
    for prog in progs:
        prog.rules.extend(r.model_copy(update={"program": prog.name}) for r in general)
        prog.deadline = _deadline_from_articles(doc)
    return progs


def _deadline_from_articles(doc: DocRecord) -> dict | None:
    for s, e in _sentences(doc.text, 0):
        sentence = doc.text[s:e]
        if re.search(r"集中申报|集中受理|受理上一年度", sentence) and re.search(r"\d+月\d+日", sentence):
            found = _cite(doc, s, e)
            found["recurring"] = True
            return found
    return None


def extract_document(doc: DocRecord) -> list[Programme]:
    """Every programme whose conditions this document states."""
    return _programmes_from_conditions(doc) + _programmes_from_rewards(doc)


def extract_programmes(docs: dict[str, DocRecord], include_superseded: bool = False) -> list[Programme]:
    """Programmes across documents: the same programme stated in several documents (a policy, its annual
    guide, a service-guide summary) is merged; a condition repeated with the same meaning keeps the
    citation of the highest-authority document. Superseded documents are left out."""
    ordered = sorted(docs.values(), key=lambda d: (DOC_TYPE_PRIORITY.get(d.meta.doc_type, 3), d.meta.doc_id))
    merged: dict[str, Programme] = {}
    for doc in ordered:
        if not include_superseded and doc.meta.status != "现行":
            continue
        for prog in extract_document(doc):
            target = merged.get(prog.name)
            if target is None:
                merged[prog.name] = prog
                continue
            target.sources.append(doc.meta.doc_id)
            seen = {signature(r) for r in target.rules}
            seen_text = {_plain(r.text) for r in target.rules}
            for r in prog.rules:
                if (r.field and signature(r) in seen) or (not r.field and _plain(r.text) in seen_text):
                    continue
                target.rules.append(r)
                seen.add(signature(r))
            for attr in ("reward", "deadline", "where"):
                if getattr(target, attr) is None and getattr(prog, attr) is not None:
                    setattr(target, attr, getattr(prog, attr))
            # A dated deadline in an annual guide beats an undated one in the standing rules.
            if prog.deadline and prog.deadline.get("date") and not (target.deadline or {}).get("date"):
                target.deadline = prog.deadline
    # A service guide that names no audience (区长质量奖) is the organization programme (区长质量奖（组织）).
    for name in list(merged):
        target = merged.get(f"{name}（组织）")
        if target is not None:
            seen = {signature(r) for r in target.rules}
            seen_text = {_plain(r.text) for r in target.rules}
            for r in merged.pop(name).rules:
                if (r.field and signature(r) in seen) or (not r.field and _plain(r.text) in seen_text):
                    continue
                target.rules.append(r.model_copy(update={"program": target.name}))
    return list(merged.values())


def _plain(text: str) -> str:
    return re.sub(r"^(且|并|和|或者)", "", text).strip()


def signature(rule: Rule) -> tuple:
    return (rule.field, rule.operator, repr(rule.value), repr(sorted((rule.window or {}).items())), rule.kind,
            repr(rule.applies_if), rule.any_of)


def rules_from_text(text: str, region: str = "") -> list[tuple[str, list[dict]]]:
    """Conditions written as free text (a service guide's 受理条件): each clause with the rules it states
    (empty: kept for review). Used to measure extraction on real guides."""
    out: list[tuple[str, list[dict]]] = []
    offset = 0
    for raw in text.split("\n"):
        start, end = offset, offset + len(raw)
        offset = end + 1
        m = ITEM_MARK.match(raw)
        body = start + (m.end() if m else 0)
        for is_, ie in _items(text, body, end):
            for cs, ce in split_clauses(text, is_, ie):
                clause = text[cs:ce]
                if len(clause) < 3 or _LEAD_IN.search(clause) or re.fullmatch(r"[（(]?[一二三四五六七八九十\d]+[)）、.．]?", clause):
                    continue
                out.append((clause, parse_clause_all(clause, region)))
    return out
