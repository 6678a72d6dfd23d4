"""The enterprise profile a check judges: every field optional (missing = unknown, never assumed),
validated with Chinese messages that name the field (wrong type, negative amount, future date)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

STANDARD_LEVELS = Literal["国际", "国家", "行业", "地方", "团体"]

# Field -> (Chinese label, form group). The /check page asks only for the fields the rules use.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "name": ("企业名称", "基本情况"),
    "region": ("注册地（如 青岛市城阳区）", "基本情况"),
    "registered_on": ("登记注册日期", "基本情况"),
    "independent_legal_person": ("具有独立法人资格", "基本情况"),
    "business_type": ("申报类型（产品 / 服务）", "基本情况"),
    "employees": ("职工人数", "基本情况"),
    "annual_sales_wan": ("年销售额或营业收入（万元）", "经营情况"),
    "revenue_growing_3y": ("近3年营业收入保持增长", "经营情况"),
    "registered_trademark": ("拥有有效注册商标", "质量基础"),
    "standard_self_declared": ("已在企业标准信息公共服务平台自我声明公开", "质量基础"),
    "certifications": ("已获认证（如 ISO9001）", "质量基础"),
    "excellence_model_years": ("导入卓越绩效管理模式年数", "质量基础"),
    "chief_quality_officer": ("已设立首席质量官并备案", "质量基础"),
    "standardization_staff": ("专职或兼职标准化人员数", "质量基础"),
    "quality_work_years": ("申报人从事质量工作年数", "申报人（个人奖、首席质量官）"),
    "education": ("申报人学历", "申报人（个人奖、首席质量官）"),
    "professional_title": ("申报人专业技术职称", "申报人（个人奖、首席质量官）"),
    "personal_certificates": ("申报人持有的证书（如 首席质量官培训合格证书）", "申报人（个人奖、首席质量官）"),
    "standards_led": ("主导或参与制定的标准", "荣誉与标准"),
    "awards": ("已获奖项或称号（名称、年份）", "荣誉与标准"),
    "accidents": ("质量、安全、环境或公共卫生事故日期", "信用与合规"),
    "spot_check_failures": ("监督抽查不合格日期", "信用与合规"),
    "serious_dishonesty_listed": ("被列入严重违法失信名单", "信用与合规"),
    "under_investigation": ("正在接受行政调查或有未整改的重大隐患", "信用与合规"),
}


class ProfileError(ValueError):
    """A profile that cannot be checked; `errors` holds one {"field", "message"} per problem."""

    def __init__(self, errors: list[dict]) -> None:
        self.errors = errors
        super().__init__("；".join(f"{e['field']}：{e['message']}" for e in errors))


class Award(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    year: int = Field(ge=1949)


class StandardLed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: STANDARD_LEVELS
    role: Literal["主导", "参与"] = "主导"


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, max_length=200)
    region: str | None = Field(None, max_length=100)
    registered_on: dt.date | None = None
    # Earliest possible registration date when only the year or month is known (registered_on is then the
    # latest): an age condition both ends agree on is decided, one they disagree on asks for the exact date.
    registered_on_earliest: dt.date | None = None
    independent_legal_person: bool | None = None
    business_type: Literal["product", "service"] | None = None
    annual_sales_wan: float | None = Field(None, ge=0)
    revenue_growing_3y: bool | None = None
    employees: int | None = Field(None, ge=0)
    registered_trademark: bool | None = None
    standard_self_declared: bool | None = None
    certifications: list[str] | None = None
    excellence_model_years: float | None = Field(None, ge=0, le=100)
    accidents: list[dt.date] | None = None
    serious_dishonesty_listed: bool | None = None
    under_investigation: bool | None = None
    spot_check_failures: list[dt.date] | None = None
    awards: list[Award] | None = None
    chief_quality_officer: bool | None = None
    standards_led: list[StandardLed] | None = None
    quality_work_years: float | None = Field(None, ge=0, le=80)
    standardization_staff: int | None = Field(None, ge=0)
    personal_certificates: list[str] | None = None
    education: Literal["高中", "大专", "本科", "硕士", "博士"] | None = None
    professional_title: Literal["无", "初级", "中级", "副高级", "高级"] | None = None

    @field_validator("registered_on", "registered_on_earliest")
    @classmethod
    def _not_future(cls, v: dt.date | None) -> dt.date | None:
        if v is not None and v > dt.date.today():
            raise ValueError("future_date")
        return v

    @field_validator("accidents", "spot_check_failures")
    @classmethod
    def _dates_not_future(cls, v: list[dt.date] | None) -> list[dt.date] | None:
        if v and any(d > dt.date.today() for d in v):
            raise ValueError("future_date")
        return v

    @field_validator("certifications")
    @classmethod
    def _certs(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [c.strip() for c in v if c and c.strip()]

    @model_validator(mode="after")
    def _awards_not_future(self) -> "Profile":
        if self.awards and any(a.year > dt.date.today().year for a in self.awards):
            raise ValueError("future_award")
        return self

    @model_validator(mode="after")
    def _registration_range(self) -> "Profile":
        if self.registered_on_earliest is not None and (
                self.registered_on is None or self.registered_on_earliest > self.registered_on):
            raise ValueError("registration_range")
        return self

    def known(self) -> dict:
        return self.model_dump(exclude_none=True, mode="json")


_MESSAGES = {
    "missing": "缺少此项",
    "extra_forbidden": "不是可识别的字段",
    "bool_parsing": "应为 是/否（true/false）",
    "bool_type": "应为 是/否（true/false）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "list_type": "应为列表",
    "string_type": "应为文字",
    "string_too_long": "内容过长",
    "string_too_short": "不能为空",
    "literal_error": "取值不在允许范围内",
    "model_type": "格式不正确",
    "dict_type": "格式不正确",
}


def _message(err: dict) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than"):
        return "不能为负数" if ctx.get("ge", ctx.get("gt")) == 0 else f"不能小于 {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {ctx.get('le', ctx.get('lt'))}"
    if kind == "value_error":
        text = str(ctx.get("error", ""))
        if "future_date" in text:
            return "日期不能晚于今天"
        if "future_award" in text:
            return "获奖年份不能晚于今年"
        if "registration_range" in text:
            return "最早可能的登记日期应不晚于登记注册日期（registered_on）"
    if kind == "literal_error" and ctx.get("expected"):
        return f"取值应为 {ctx['expected']}"
    return _MESSAGES.get(kind, err.get("msg", "格式不正确"))


def _field_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    if not parts:
        return "画像"
    head = parts[0]
    label = FIELD_LABELS.get(head, (head, ""))[0]
    rest = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts[1:])
    return f"{head}{rest}（{label}）" if head in FIELD_LABELS else f"{head}{rest}"


def validation_errors(exc: ValidationError) -> list[dict]:
    out = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        problem = str((err.get("ctx") or {}).get("error", "")) if err.get("type") == "value_error" else ""
        if "future_award" in problem:
            loc = ("awards",)
        elif "registration_range" in problem:
            loc = ("registered_on_earliest",)
        out.append({"field": _field_name(loc), "path": [str(p) for p in loc], "message": _message(err)})
    return out


def parse_profile(data) -> Profile:
    """A Profile from a JSON object, or ProfileError naming every bad field."""
    if isinstance(data, Profile):
        return data
    if not isinstance(data, dict):
        raise ProfileError([{"field": "画像", "path": [], "message": "应为 JSON 对象"}])
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(validation_errors(exc)) from None


def form_fields(names: list[str]) -> list[dict]:
    """How the /check form asks for each field: its label, group, input kind and choices."""
    schema = Profile.model_json_schema()
    out = []
    for name in names:
        label, group = FIELD_LABELS[name]
        prop = schema["properties"][name]
        variants = [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]
        first = variants[0] if variants else {}
        kind, choices = first.get("type", "string"), first.get("enum")
        if first.get("format") == "date":
            kind = "date"
        elif kind == "array":
            item = first.get("items", {})
            ref = item.get("$ref", "").rsplit("/", 1)[-1]
            kind = {"Award": "awards", "StandardLed": "standards"}.get(ref, "dates" if item.get("format") == "date"
                                                                         else "list")
        out.append({"field": name, "label": label, "group": group, "kind": kind, "choices": choices})
    return out
