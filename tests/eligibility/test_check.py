"""Verdicts: windows at their edges, unknown versus unmet, exclusions, alternatives, bad profiles."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from assistant.eligibility.check import CheckError, run_check
from assistant.eligibility.profile import ProfileError, parse_profile

GOOD = {"region": "青岛市城阳区", "registered_on": "2018-05-10", "independent_legal_person": True,
        "business_type": "product", "annual_sales_wan": 2600, "registered_trademark": True,
        "standard_self_declared": True, "accidents": [], "serious_dishonesty_listed": False, "spot_check_failures": []}


def _program(result, name):
    return next(p for p in result["programs"] if p["program"] == name)


def _condition(prog, field, operator=None):
    return next(c for c in prog["conditions"] if c["field"] == field and (operator is None or c["operator"] == operator))


def test_eligible_with_every_condition_cited(shipped_docs):
    result = run_check(shipped_docs, GOOD, "2026-11-24", "青岛优品")
    prog = _program(result, "青岛优品")
    assert prog["verdict"] == "eligible"
    assert all(c["status"] in ("met", "review", "unknown") for c in prog["conditions"])
    reg = _condition(prog, "registered_on")
    assert reg["status"] == "met" and reg["profile_value"] == "2018-05-10"
    cite = reg["citation"]
    assert cite["title"] == "2026年“青岛优品”申报指南（城阳区）" and cite["section"] == "二、申报条件（一）"
    assert shipped_docs.docs[cite["doc_id"]].text[cite["start"]:cite["end"]] == cite["quote"]
    # the service-type threshold does not bind a product applicant
    assert [c["value"] for c in prog["conditions"] if c["field"] == "annual_sales_wan"] == [2000.0]
    assert prog["review_count"] >= 1  # judged by the panel: listed, neither passing nor blocking
    assert _condition(prog, "certifications")["kind"] == "preference"  # unknown preference: still eligible
    assert "20万元" in prog["reward"]["text"] and prog["deadline"]["date"] == "2027-01-15"
    assert prog["deadline"]["passed"] is False and prog["where"]["text"]


def test_unknown_is_not_unmet(shipped_docs):
    partial = {k: v for k, v in GOOD.items() if k != "registered_trademark"}
    prog = _program(run_check(shipped_docs, partial, "2026-11-24", "青岛优品"), "青岛优品")
    assert prog["verdict"] == "need_info"
    assert _condition(prog, "registered_trademark")["status"] == "unknown"
    assert prog["need_fields"] == [{"field": "registered_trademark", "label": "拥有有效注册商标"}]
    no_mark = {**GOOD, "registered_trademark": False}
    prog = _program(run_check(shipped_docs, no_mark, "2026-11-24", "青岛优品"), "青岛优品")
    assert prog["verdict"] == "not_eligible"
    assert _condition(prog, "registered_trademark")["status"] == "unmet"
    # business type unknown: which sales threshold applies is itself a missing fact
    untyped = {k: v for k, v in GOOD.items() if k != "business_type"}
    prog = _program(run_check(shipped_docs, untyped, "2026-11-24", "青岛优品"), "青岛优品")
    assert prog["verdict"] == "need_info" and "business_type" in [f["field"] for f in prog["need_fields"]]


def test_registration_window_edges(shipped_docs):
    profile = {**GOOD, "registered_on": "2024-11-24"}
    day_before = _program(run_check(shipped_docs, profile, "2026-11-23", "青岛优品"), "青岛优品")
    assert _condition(day_before, "registered_on")["status"] == "unmet" and day_before["verdict"] == "not_eligible"
    on_the_day = _program(run_check(shipped_docs, profile, "2026-11-24", "青岛优品"), "青岛优品")
    assert _condition(on_the_day, "registered_on")["status"] == "met" and on_the_day["verdict"] == "eligible"


def test_registration_year_only_asks_for_the_day_when_it_decides(shipped_docs):
    # 青岛优品 asks for 满2年 on 2026-11-24: a 2024 registration meets it only before 2024-11-25.
    year_2024 = {**GOOD, "registered_on": "2024-12-31", "registered_on_earliest": "2024-01-01"}
    prog = _program(run_check(shipped_docs, year_2024, "2026-11-24", "青岛优品"), "青岛优品")
    reg = _condition(prog, "registered_on")
    assert reg["status"] == "unknown" and prog["verdict"] == "need_info"
    assert "2024-11-24及以前" in reg["note"]
    assert "registered_on" in [f["field"] for f in prog["need_fields"]]
    # a range both ends of which are old enough is decided
    year_2020 = {**GOOD, "registered_on": "2020-12-31", "registered_on_earliest": "2020-01-01"}
    prog = _program(run_check(shipped_docs, year_2020, "2026-11-24", "青岛优品"), "青岛优品")
    assert _condition(prog, "registered_on")["status"] == "met" and prog["verdict"] == "eligible"


def test_registration_year_only_for_an_upper_age_limit(shipped_docs):
    # 人才科创金: 成立不超过5年. Registered some day in 2021, checked on 2026-06-30: the day decides.
    profile = {"region": "青岛市城阳区", "registered_on": "2021-12-31", "registered_on_earliest": "2021-01-01"}
    prog = _program(run_check(shipped_docs, profile, "2026-06-30", "人才科创金"), "人才科创金")
    young = _condition(prog, "registered_on", "years_since_at_most")
    assert young["status"] == "unknown" and "2021-06-30及以后" in young["note"]
    # the guessed 31 December used to call this met; 1 January 2020 to 31 December 2020 is over 5 years on both ends
    old = {**profile, "registered_on": "2020-12-31", "registered_on_earliest": "2020-01-01"}
    prog = _program(run_check(shipped_docs, old, "2026-06-30", "人才科创金"), "人才科创金")
    assert _condition(prog, "registered_on", "years_since_at_most")["status"] == "unmet"


def test_registration_range_must_be_ordered():
    with pytest.raises(ProfileError) as err:
        parse_profile({"registered_on": "2020-01-01", "registered_on_earliest": "2020-06-01"})
    assert err.value.errors[0]["path"] == ["registered_on_earliest"]


def test_accident_window_edges(shipped_docs):
    profile = {**GOOD, "accidents": ["2024-11-24"]}
    inside = _program(run_check(shipped_docs, profile, "2026-11-23", "青岛优品"), "青岛优品")
    assert _condition(inside, "accidents")["status"] == "unmet"
    outside = _program(run_check(shipped_docs, profile, "2026-11-24", "青岛优品"), "青岛优品")
    assert _condition(outside, "accidents")["status"] == "met"


DISTRICT = {"region": "青岛市城阳区", "registered_on": "2015-01-01", "independent_legal_person": True,
            "excellence_model_years": 3, "revenue_growing_3y": True, "accidents": [], "serious_dishonesty_listed": False,
            "spot_check_failures": [], "under_investigation": False}


def test_five_year_award_exclusion_ends_on_its_day(shipped_docs):
    # 市长质量奖 in 2020: excluded 自获奖之年起5年内 (2020–2024); the 2026 guide bars awards since 2022 only.
    profile = {**DISTRICT, "awards": [{"name": "青岛市市长质量奖", "year": 2020}]}
    last_day = _program(run_check(shipped_docs, profile, "2024-12-31", "区长质量奖"), "区长质量奖（组织）")
    excl = [c for c in last_day["conditions"] if c["operator"] == "award_within_years" and "市长质量奖" in c["value"]]
    assert excl[0]["status"] == "unmet" and excl[0]["kind"] == "exclusion"
    assert last_day["verdict"] == "not_eligible"
    first_free = _program(run_check(shipped_docs, profile, "2025-01-01", "区长质量奖"), "区长质量奖（组织）")
    excl = [c for c in first_free["conditions"] if c["operator"] == "award_within_years" and "市长质量奖" in c["value"]]
    assert excl[0]["status"] == "met"
    assert first_free["verdict"] == "eligible"
    recent = {**DISTRICT, "awards": [{"name": "山东省省长质量奖", "year": 2023}]}
    prog = _program(run_check(shipped_docs, recent, "2026-11-24", "区长质量奖"), "区长质量奖（组织）")
    assert _condition(prog, "awards", "award_since_year")["status"] == "unmet"


def test_exclusion_for_investigation_and_individual_award(shipped_docs):
    prog = _program(run_check(shipped_docs, {**DISTRICT, "under_investigation": True}, "2026-11-24", "区长质量奖"),
                    "区长质量奖（组织）")
    assert prog["verdict"] == "not_eligible" and _condition(prog, "under_investigation")["status"] == "unmet"
    person = _program(run_check(shipped_docs, {"quality_work_years": 12}, "2026-11-24", "区长质量奖（个人）"),
                      "区长质量奖（个人）")
    assert person["verdict"] == "eligible" and person["audience"] == "individual"


def test_reward_tiers_are_alternatives(shipped_docs):
    base = {"accidents": [], "serious_dishonesty_listed": False}
    led = _program(run_check(shipped_docs, {**base, "standards_led": [{"level": "行业", "role": "主导"}]}, "2026-11-24",
                             "若干政策措施·支持企业参与标准制定"), "若干政策措施·支持企业参与标准制定")
    assert led["verdict"] == "eligible" and "20万元" in led["reward"]["text"]
    none = _program(run_check(shipped_docs, {**base, "standards_led": []}, "2026-11-24",
                              "若干政策措施·支持企业参与标准制定"), "若干政策措施·支持企业参与标准制定")
    assert none["verdict"] == "not_eligible"


def test_programmes_sorted_by_verdict(shipped_docs):
    result = run_check(shipped_docs, GOOD, "2026-11-24")
    order = {"eligible": 0, "need_info": 1, "not_eligible": 2}
    verdicts = [order[p["verdict"]] for p in result["programs"]]
    assert verdicts == sorted(verdicts) and len(result["programs"]) >= 15


@pytest.mark.parametrize("profile, field, message", [
    ({"annual_sales_wan": -1}, "annual_sales_wan", "不能为负数"),
    ({"registered_on": "2999-01-01"}, "registered_on", "日期不能晚于今天"),
    ({"accidents": ["2999-01-01"]}, "accidents", "日期不能晚于今天"),
    ({"employees": "很多"}, "employees", "应为整数"),
    ({"registered_trademark": "也许"}, "registered_trademark", "是/否"),
    ({"registered_on": "去年"}, "registered_on", "YYYY-MM-DD"),
    ({"business_type": "farm"}, "business_type", "取值应为"),
    ({"revenue": 5}, "revenue", "不是可识别的字段"),
    ({"awards": [{"name": "青岛优品", "year": 2999}]}, "awards", "获奖年份"),
])
def test_bad_profiles_name_the_field(profile, field, message):
    with pytest.raises(ProfileError) as exc:
        parse_profile(profile)
    assert exc.value.errors[0]["path"][0] == field
    assert message in exc.value.errors[0]["message"]
    assert field in str(exc.value)


def test_bad_as_of_and_programme(shipped_docs):
    with pytest.raises(CheckError, match="as_of"):
        run_check(shipped_docs, GOOD, "2026-13-01")
    with pytest.raises(CheckError, match="未找到项目"):
        run_check(shipped_docs, GOOD, None, "不存在的项目")
    assert parse_profile({}).known() == {}


def test_cli_check(shipped_index, tmp_path):
    from support import ROOT

    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(GOOD, ensure_ascii=False), encoding="utf-8")
    env_index = str(shipped_index.index_dir)
    base = [sys.executable, "-m", "assistant.cli", "check", "--index", env_index, "--as-of", "2026-11-24"]
    env = {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin",
           "ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    out = subprocess.run(base + ["--profile", str(profile), "--program", "青岛优品"], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "【青岛优品】符合条件" in out.stdout and "二、申报条件（一）" in out.stdout
    lines = json.dumps(GOOD, ensure_ascii=False) + "\n" + json.dumps({"annual_sales_wan": -3}) + "\n"
    out = subprocess.run(base + ["--program", "青岛优品"], input=lines, capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 1 and len(rows) == 2
    assert rows[0]["as_of"] == "2026-11-24" and rows[0]["programs"][0]["verdict"] == "eligible"
    assert set(rows[0]["programs"][0]) >= {"program", "verdict", "conditions", "reward", "deadline"}
    assert rows[1]["error"]["fields"][0]["path"] == ["annual_sales_wan"]
