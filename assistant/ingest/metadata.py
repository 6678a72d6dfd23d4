"""Document metadata: front matter and sidecars, else inferred from the text (文号, issuer, dates…)."""

from __future__ import annotations

import re
from datetime import date

from .region import infer_region

PROGRAMS: dict[str, tuple[str, ...]] = {
    "区长质量奖": ("区长质量奖",),
    "青岛优品": ("青岛优品",),
    "标准化试点": ("标准化试点",),
    "企业标准自我声明公开": ("自我声明公开",),
    "首席质量官": ("首席质量官",),
    "卓越绩效": ("卓越绩效",),
    "NQI一站式": ("NQI", "国家质量基础设施", "一站式"),
    "知识产权": ("知识产权", "商标", "专利"),
    "质量安全责任": ("质量安全总监", "质量安全员", "日管控"),
    "认证": ("认证",),
    "人才科创金": ("人才科创金",),
    "质量提升": ("质量提升",),
    "先进制造业": ("先进制造业",),
}

DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]\s*\d{1,4}\s*号")
_DATE = r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
_EFFECTIVE = re.compile(r"自\s*" + _DATE + r"\s*起(?:施行|执行|实施|生效)")
_EXPIRY = re.compile(r"有效期(?:至|到)\s*" + _DATE)
_VALID_YEARS = re.compile(r"有效期\s*([一二三四五六七八九十\d]+)\s*年")
_ISSUER_LINE = re.compile(r"^[\u4e00-\u9fff（）()]{4,40}(?:人民政府|办公室|办公厅|管理局|委员会|监督管理局|领导小组|局|厅)$")
_DATE_LINE = re.compile(r"^\s*" + _DATE + r"\s*$")
_STATUS_HINT = re.compile(r"(已废止|已失效|已修订)")


def iso(y: str, m: str, d: str) -> str:
    try:
        return date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return ""


def _clean_meta(raw: dict) -> dict:
    """Front matter / sidecar values to DocumentMeta field types."""
    out = {}
    for key, value in raw.items():
        if value is None:
            continue
        if key == "programs":
            out[key] = [str(v) for v in (value if isinstance(value, list) else [value])]
        elif key == "sample":
            out[key] = bool(value) if not isinstance(value, str) else value.strip().lower() in ("true", "yes", "1", "是", "示例")
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = str(value)
    return out


TITLE_MAX = 60
_HEADLINE_PART_MAX = 20
_BODY_START = re.compile(r"[，。；]|[：:]$|^(?:\d{1,4}年)?\d{1,2}月\d{1,2}日|^(?:新华社|人民网|记者|本报|来源|发布时间|作者)"
                         r"|[（(]记者|日电|消息$|^(?:为|根据|按照|近日|日前|近期|目前|记者)")
# A title that ends like the name of a document kind is complete: what follows is body text.
_DOC_KIND_END = re.compile(r"(?:通知|公告|通告|意见|办法|决定|规定|方案|指南|细则|措施|条例|公开信|函|批复|报告)$")
_CLAUSE_END = re.compile(r"[。！？!?；]|……|…")


def infer_title(first_line: str) -> str:
    """A short title for a document that declares none: its headline, not a run of body text.

    Plain-text documents often arrive as one line (newlines flattened to spaces): the headline is the
    first space-separated run, joined with short headline-like runs after it (上海：筑牢“两张网” 确保
    “两手硬”) and stopping at the first run that reads like body text (a comma, a salutation ending in
    "：", a dateline such as 新华社成都2月24日电)."""
    line = first_line.strip().lstrip("#").strip()
    runs = line.split()
    if not runs:
        return ""
    title = runs[0]
    if len(title) > TITLE_MAX:
        m = _CLAUSE_END.search(title, 8)
        title = title[: m.start()] if m and m.start() <= TITLE_MAX else title[:TITLE_MAX].rstrip("，、；：") + "…"
        return title
    for run in runs[1:]:
        if _DOC_KIND_END.search(title):
            break
        short_prefix = len(title) <= 10  # 财政部 海关总署 税务总局关于…的公告: issuers before the title proper
        if (len(run) > _HEADLINE_PART_MAX and not short_prefix) or _BODY_START.search(run) or len(title) + 1 + len(run) > TITLE_MAX:
            break
        title = f"{title} {run}"
    return title


def display_title(title: str) -> str:
    """The title as an answer names it: an over-long one (an index built before titles were inferred
    from the headline, an 80-character run of body text) is cut back to its headline."""
    return infer_title(title) if len(title) > TITLE_MAX or " " in title.strip() else title


def infer_metadata(text: str, title_hint: str = "") -> dict:
    """Best-effort metadata from the text itself (used where no front matter or sidecar says)."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    meta: dict = {}
    meta["title"] = title_hint or (infer_title(lines[0]) if lines else "")
    head = "\n".join(lines[:8])
    # A document's own 文号 stands on a line of its own near the top; numbers quoted in the body
    # belong to the documents they cite.
    for ln in lines[:6]:
        m = DOC_NUMBER.search(ln)
        if m and len(ln) <= len(m.group(0)) + 6:
            meta["doc_number"] = re.sub(r"\s+", "", m.group(0))
            break
    tail = lines[-6:]
    for ln in reversed(tail):
        dm = _DATE_LINE.match(ln)
        if dm and "issue_date" not in meta:
            meta["issue_date"] = iso(*dm.groups())
        elif _ISSUER_LINE.match(ln) and "issuer" not in meta:
            meta["issuer"] = ln
    if "issuer" not in meta:
        for ln in lines[1:6]:
            if _ISSUER_LINE.match(ln):
                meta["issuer"] = ln
                break
    m = _EFFECTIVE.search(text)
    if m:
        meta["effective_date"] = iso(*m.groups())
    m = _EXPIRY.search(text)
    if m:
        meta["expiry_date"] = iso(*m.groups())
    elif meta.get("effective_date"):
        vm = _VALID_YEARS.search(text)
        if vm:
            from ..text import cn_to_int

            years = cn_to_int(vm.group(1))
            if years:
                y, mo, d = meta["effective_date"].split("-")
                meta["expiry_date"] = iso(str(int(y) + years), mo, str(int(d) - 1 or 1))
    sm = _STATUS_HINT.search(head)
    if sm:
        meta["status"] = "已废止" if sm.group(1) in ("已废止", "已失效") else "已修订"
    meta["region"] = infer_region(meta.get("title", ""), meta.get("issuer", ""), head) or meta.get("region", "")
    meta["programs"] = [name for name, keys in PROGRAMS.items() if any(k in text for k in keys)]
    return meta


def merge_metadata(inferred: dict, declared: dict) -> dict:
    """Declared metadata (front matter, sidecar) wins over inferred values field by field."""
    merged = dict(inferred)
    merged.update({k: v for k, v in _clean_meta(declared).items() if v not in ("", [], None)})
    return merged
