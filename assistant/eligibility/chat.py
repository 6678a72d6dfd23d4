"""The self-check inside the chat: profile facts read from a question (dates, amounts with units, yes/no
facts), the programme it names (or the one asked about before), and an answer that gives the verdict, the
decisive conditions with their citations, and which facts were understood. Follow-ups (那区长质量奖呢？)
reuse the facts of the earlier turns."""

from __future__ import annotations

import datetime as dt
import logging
import re

from ..models import Answer, Citation
from .check import check_programme, find_programmes, rulebook_for
from .profile import FIELD_LABELS, Profile, ProfileError, parse_profile
from .rules import Programme

# "May we apply", not "how much can we get": 最多能拿多少 / 能享受几项 ask for an amount, answered from the text.
ASKS = re.compile(r"(?:能(不能|否)?(报|申报|申请|参评|参加|享受|拿|领|评)|可(以|不可以)?(申报|报|申请|参评|享受))(?!多少|几)|"
                  r"符合.{0,6}(条件|要求)|够(不够)?(条件|资格|格)|有没有资格|有资格|行不行|是否符合|还能报")
log = logging.getLogger(__name__)
VERDICT_TEXT = {"eligible": "符合申报条件", "not_eligible": "不符合申报条件", "need_info": "尚不能确定，需要补充信息"}
_NEG = re.compile(r"(没有|没|无|未|不|尚未|还没|还没有|暂无)$")
_NEG_AFTER = re.compile(r"^(还没|还没有|没有|未|尚未)")
DISTRICTS = ("城阳", "李沧", "崂山", "黄岛", "西海岸", "市南", "市北", "即墨", "胶州", "平度", "莱西")

# yes/no facts: field -> keywords that name it in a question
YES_NO = {
    "registered_trademark": ("注册商标", "商标"),
    "standard_self_declared": ("自我声明公开", "标准自我声明", "自我声明"),
    "independent_legal_person": ("独立法人", "法人资格"),
    "chief_quality_officer": ("首席质量官",),
    "serious_dishonesty_listed": ("严重违法失信", "失信名单", "失信"),
    "under_investigation": ("行政调查", "未整改"),
}
# 质量管理体系认证补贴 names the subsidy programme; it says nothing about what the enterprise holds.
_PROGRAMME_AFTER = re.compile(r"(?:证书)?(?:补贴|奖励|资助|补助|奖补|申领|政策)")
CERTS = {"ISO9001": r"ISO\s*9001|质量管理体系认证", "ISO14001": r"ISO\s*14001|环境管理体系认证",
         "ISO45001": r"ISO\s*45001|职业健康安全管理体系认证"}


def _year(token: str, today: dt.date) -> int | None:
    rel = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}
    if token in rel:
        return today.year - rel[token]
    m = re.fullmatch(r"((?:19|20)\d{2})年?", token)
    return int(m.group(1)) if m else None


_YEAR_TOKEN = r"((?:19|20)\d{2}年|大前年|前年|去年|今年)"


def _negated(text: str, start: int, end: int) -> bool:
    return bool(_NEG.search(text[max(0, start - 4):start]) or _NEG_AFTER.search(text[end:end + 4]))


def parse_facts(text: str, today: dt.date | None = None) -> tuple[dict, list[str]]:
    """Profile fields stated in a question, and how each was understood (Chinese, for the answer)."""
    today = today or dt.date.today()
    facts: dict = {}
    said: list[str] = []
    # registration date: 2017年在城阳注册 / 2019年3月成立 / 成立5年
    m = re.search(_YEAR_TOKEN + r"(?:(\d{1,2})月)?(?:(\d{1,2})日)?[^，。；？?]{0,8}?(?:注册|成立|登记)", text)
    if m:
        year = _year(m.group(1), today)
        if year:
            # A year or month names a range of days: keep both ends, so an age condition they disagree on
            # asks for the exact date instead of being decided on a guessed day.
            first = None
            if m.group(3):
                day = dt.date(year, int(m.group(2)), int(m.group(3)))
                how = day.isoformat()
            elif m.group(2):
                month = int(m.group(2))
                first = dt.date(year, month, 1)
                day = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1))
                how = f"{year}年{month}月（具体日期未提供）"
            else:
                first, day = dt.date(year, 1, 1), dt.date(year, 12, 31)
                how = f"{year}年（具体日期未提供）"
            if first is not None and first <= today < day:
                day = today  # registered this year or month: not after today
            if day <= today:
                facts["registered_on"] = day.isoformat()
                if first is not None:
                    facts["registered_on_earliest"] = first.isoformat()
                said.append(f"登记注册时间：{how}")
    else:
        m = re.search(r"(?:注册|成立)(?:了|满)?(\d{1,2})年", text)
        if m:
            day = today.replace(year=today.year - int(m.group(1)))
            facts["registered_on"] = day.isoformat()
            said.append(f"登记注册时间：约{m.group(1)}年前（按{day.isoformat()}计）")
    for d in DISTRICTS:
        if re.search(d + r"(区|市)?(注册|的企业|企业|公司)|在" + d, text):
            facts["region"] = f"青岛市{d}区" if d not in ("即墨", "胶州", "平度", "莱西") else f"青岛市{d}"
            said.append(f"注册地：{facts['region']}")
            break
    m = re.search(r"(销售额|销售收入|营业收入|营收|收入|产值)[^\d，。；]{0,6}(\d+(?:\.\d+)?)\s*(亿|万)", text)
    if m:
        wan = float(m.group(2)) * (10000 if m.group(3) == "亿" else 1)
        facts["annual_sales_wan"] = wan
        said.append(f"年{m.group(1)}：{wan:g}万元")
    if re.search(r"服务类|服务业|服务型|提供服务", text):
        facts["business_type"] = "service"
        said.append("申报类型：服务")
    elif re.search(r"(申报|主导)?产品|制造业|生产型|工厂", text) and "annual_sales_wan" in facts:
        facts["business_type"] = "product"
        said.append("申报类型：产品")
    for field, words in YES_NO.items():
        for w in words:
            i = text.find(w)
            if i < 0:
                continue
            if re.search(r"(需要|要不要|是否|必须|要求|什么)$", text[max(0, i - 4):i]) or text[i + len(w):i + len(w) + 1] in ("吗", "么"):
                continue  # 需要注册商标吗 asks about the rule; it states nothing about the enterprise
            value = not _negated(text, i, i + len(w))
            if field == "serious_dishonesty_listed" and re.search(r"(没有|没|未|不)(被)?(列入)?" , text[max(0, i - 6):i]):
                value = False
            facts[field] = value
            said.append(f"{FIELD_LABELS[field][0]}：{'是' if value else '否'}")
            break
    certs = [code for code, pattern in CERTS.items() if (m := re.search(pattern, text, re.I))
             and not _negated(text, m.start(), m.end()) and not _PROGRAMME_AFTER.match(text, m.end())]
    if certs:
        facts["certifications"] = certs
        said.append(f"已获认证：{'、'.join(certs)}")
    # accidents and spot checks: none, or the year they happened
    if re.search(r"(没有|没|未|无)(发生过?|出过)?(任何|过)?(质量|安全|重大)?[^，。；]{0,4}事故", text):
        facts["accidents"] = []
        said.append("近年没有发生事故")
    else:
        m = re.search(_YEAR_TOKEN + r"[^，。；]{0,8}(发生|出)了?过?[^，。；]{0,6}事故", text)
        if m and _year(m.group(1), today):
            y = _year(m.group(1), today)
            day = min(dt.date(y, 12, 31), today)
            facts["accidents"] = [day.isoformat()]
            said.append(f"{y}年发生过事故（按{day.isoformat()}计）")
    if re.search(r"抽查[^，。；]{0,4}(都|均|全部)?合格|(没有|无|未)[^，。；]{0,6}抽查不合格", text):
        facts["spot_check_failures"] = []
        said.append("监督抽查没有不合格")
    awards = []
    for m in re.finditer(_YEAR_TOKEN + r"[^，。；？?]{0,4}?(?:获得|拿了|拿到|获|评上|入选)了?([^，。；？?\s]{2,14}?(?:质量奖|品牌|称号|青岛优品|好品山东))",
                         text):
        y = _year(m.group(1), today)
        if y:
            awards.append({"name": m.group(2), "year": y})
            said.append(f"{y}年获得{m.group(2)}")
    if awards:
        facts["awards"] = awards
    m = re.search(r"(\d+)\s*(?:名|个)?(?:员工|职工|人)", text)
    if m and re.search(r"员工|职工|人数", text):
        facts["employees"] = int(m.group(1))
        said.append(f"职工人数：{m.group(1)}人")
    m = re.search(r"卓越绩效[^，。；]{0,8}?(\d+)\s*年|导入[^，。；]{0,6}卓越绩效[^，。；]{0,4}(\d+)\s*年", text)
    if m:
        facts["excellence_model_years"] = float(m.group(1) or m.group(2))
        said.append(f"导入卓越绩效：{m.group(1) or m.group(2)}年")
    m = re.search(r"(?:从事|做)质量(?:管理)?工作(?:了)?(\d+)\s*年", text)
    if m:
        facts["quality_work_years"] = float(m.group(1))
        said.append(f"从事质量工作：{m.group(1)}年")
    m = re.search(r"标准化人员[^\d，。；]{0,3}(\d+)\s*[名个人]", text)
    if m:
        facts["standardization_staff"] = int(m.group(1))
        said.append(f"标准化人员：{m.group(1)}名")
    return facts, said


def named_programmes(programmes: list[Programme], text: str) -> list[Programme]:
    """Programmes a question names (区长质量奖 -> the organization award unless it says 个人)."""
    found = []
    for p in programmes:
        base = p.name.split("（")[0]
        lead = p.name.split("·")[-1] if "·" in p.name else ""
        if base in text or (lead and lead in text):
            found.append(p)
    if len(found) > 1:
        wants_person = bool(re.search(r"个人", text))
        same_base = {p.name.split("（")[0] for p in found}
        if len(same_base) == 1:
            found = [p for p in found if (p.audience == "individual") == wants_person] or found
        # a more specific name wins (青岛优品 over a reward article that mentions 青岛优品 in its own name)
        exact = [p for p in found if "·" not in p.name]
        found = exact or found
    return found[:2]


def _merge_facts(earlier: dict, later: dict) -> dict:
    merged = {**earlier, **later}
    if "registered_on" in later and "registered_on_earliest" not in later:
        merged.pop("registered_on_earliest", None)  # an exact date now replaces an earlier 2019年成立
    return merged


def _history_facts(history: list[tuple[str, Answer]], today: dt.date) -> tuple[dict, list[str]]:
    facts: dict = {}
    said: list[str] = []
    for question, _ in history:
        f, s = parse_facts(question, today)
        facts = _merge_facts(facts, f)
        said.extend(s)
    return facts, said


def eligibility_answer(index, question: str, history: list[tuple[str, Answer]], db=None,
                       today: dt.date | None = None) -> Answer | None:
    """An answer from the self-check when the question asks whether the enterprise may apply and states
    facts about it (or follows an earlier self-check); None leaves the question to the usual answer."""
    try:
        return _eligibility_answer(index, question, history, db, today or dt.date.today())
    except Exception:  # the usual answer is always there to fall back on
        log.exception("eligibility check in the chat failed")
        return None


def _eligibility_answer(index, question: str, history: list[tuple[str, Answer]], db, today: dt.date) -> Answer | None:
    facts, said = parse_facts(question, today)
    previous = [p for _, a in history for p in (a.eligibility or [])]
    asks = bool(ASKS.search(question))
    follows = bool(previous) and bool(re.search(r"^(那|那么|还有|再看看|换成)|呢[？?]*$", question.strip()))
    if not (asks and facts) and not follows:
        return None
    programmes = rulebook_for(index, db)
    chosen = named_programmes(programmes, question)
    if not chosen and previous:
        chosen = find_programmes(programmes, previous[-1]["program"])[:1]
    if not chosen:
        for q, _ in reversed(history):  # 我们前年拿了市长质量奖，还能报吗 after a turn about 区长质量奖
            chosen = named_programmes(programmes, q)
            if chosen:
                break
    if not chosen:
        return None
    earlier, earlier_said = _history_facts(history, today)
    merged = _merge_facts(earlier, facts)
    try:
        profile = parse_profile(merged)
    except ProfileError:
        profile = Profile()
    said_all = [s for s in earlier_said if s.split("：")[0] not in {x.split("：")[0] for x in said}] + said
    results = [check_programme(p, profile, today, index.docs) for p in chosen]
    for r in results:
        r["facts"] = profile.known()
        r["facts_understood"] = said_all
    return _compose(results, said_all, question)


def _cite(citations: list[Citation], c: dict) -> int:
    for existing in citations:
        if existing.doc_id == c["doc_id"] and existing.start == c["start"] and existing.end == c["end"]:
            return existing.n
    citations.append(Citation(n=len(citations) + 1, doc_id=c["doc_id"], source=c.get("source", ""),
                              title=c["title"], doc_number=c.get("doc_number", ""), section=c["section"],
                              quote=c["quote"], start=c["start"], end=c["end"], status=c.get("status") or "现行"))
    return len(citations)


def _value_text(cond: dict) -> str:
    v = cond["profile_value"]
    if v is None:
        return ""
    if cond["field"] == "annual_sales_wan":
        return f"（您提供：{v:g}万元）"
    if cond["field"] == "registered_on":
        return f"（您提供：{v}；{cond['note']}）"
    if cond["field"] == "region":
        return f"（注册地：{v}）"
    if cond["operator"] in ("award_within_years", "award_since_year", "none_within_years") and cond["note"]:
        return f"（{cond['note']}）"
    if isinstance(v, bool):
        return f"（您提供：{'是' if v else '否'}）"
    if isinstance(v, (int, float)):
        return f"（您提供：{v:g}{cond.get('unit', '')}）"
    return f"（您提供：{v}）" if not isinstance(v, (list, dict)) else ""


def _by_clause(conditions: list[dict]) -> list[tuple[str, str, dict]]:
    """One line per quoted clause (在城阳区依法登记注册满2年 states both the place and the age)."""
    out: dict[tuple, list] = {}
    for c in conditions:
        key = (c["citation"]["doc_id"], c["citation"]["start"], c["citation"]["end"])
        out.setdefault(key, [c["text"], [], c["citation"]])[1].append(_value_text(c))
    return [(text, "".join(dict.fromkeys(v for v in values if v)), cite) for text, values, cite in out.values()]


def _compose(results: list[dict], said: list[str], question: str) -> Answer:
    citations: list[Citation] = []
    lines = []
    if said:
        lines.append("已识别您提供的情况：" + "；".join(said) + "。")
    else:
        lines.append("沿用您此前提供的情况。")
    for r in results:
        lines.append(f"对照“{r['program']}”的条件，结论：{VERDICT_TEXT[r['verdict']]}。")
        unmet = [c for c in r["conditions"] if c["status"] == "unmet"]
        unknown = [c for c in r["conditions"] if c["status"] == "unknown" and c["kind"] in ("required", "exclusion")]
        met = [c for c in r["conditions"] if c["status"] == "met" and c["kind"] in ("required", "exclusion")]
        review = [c for c in r["conditions"] if c["status"] == "review"]
        if unmet:
            lines.append("不满足的条件：")
            for c in unmet:
                prefix = "存在不得申报的情形：" if c["kind"] == "exclusion" else ""
                lines.append(f"- {prefix}{c['text']}{_value_text(c)}[{_cite(citations, c['citation'])}]")
        if met:
            lines.append("已满足的条件：")
            for text, values, cite in _by_clause(met)[:6]:
                lines.append(f"- {text}{values}[{_cite(citations, cite)}]")
        if unknown:
            lines.append("还需确认：")
            for c in unknown[:6]:
                hint = f"（{c['note']}）" if c["profile_value"] is not None and c["note"] else ""
                lines.append(f"- {c['text']}{hint}[{_cite(citations, c['citation'])}]")
        if review:
            c = review[0]
            lines.append(f"另有 {len(review)} 项由评审认定的条件（如“{c['text']}”[{_cite(citations, c['citation'])}]）。")
        if r["reward"] and r["verdict"] != "not_eligible":
            lines.append(f"支持内容：{r['reward']['text']}[{_cite(citations, r['reward']['citation'])}]")
        if r["deadline"] and r["verdict"] != "not_eligible":
            passed = "（已截止）" if r["deadline"].get("passed") else ""
            lines.append(f"申报时间：{r['deadline']['text']}{passed}[{_cite(citations, r['deadline']['citation'])}]")
    lines.append("以上为按政策条文的自助核对，最终以主管部门审核为准；完整体检可使用“政策体检”页面（/check）。")
    return Answer(answer="\n".join(lines), found=True, intent="eligibility", citations=citations,
                  eligibility=results)
