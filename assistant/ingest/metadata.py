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


def infer_metadata(text: str, title_hint: str = "") -> dict:
    """Best-effort metadata from the text itself (used where no front matter or sidecar says)."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    meta: dict = {}
    meta["title"] = title_hint or (lines[0][:80] if lines else "")
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
