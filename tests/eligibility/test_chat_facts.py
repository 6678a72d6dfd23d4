"""Profile facts read from chat questions: dates, amounts with units, yes/no facts with negation."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.eligibility.chat import parse_facts

TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize("question, expected", [
    ("我们2017年在城阳注册，去年销售额1500万，有注册商标，能报青岛优品吗？",
     {"registered_on": "2017-12-31", "registered_on_earliest": "2017-01-01", "region": "青岛市城阳区", "annual_sales_wan": 1500.0, "registered_trademark": True}),
    ("2019年3月成立，营收2.5亿，通过了ISO9001", {"registered_on": "2019-03-31", "registered_on_earliest": "2019-03-01", "annual_sales_wan": 25000.0,
                                            "certifications": ["ISO9001"]}),
    ("我们产品还没有注册商标，可以报青岛优品吗", {"registered_trademark": False}),
    ("商标还没注册", {"registered_trademark": False}),
    ("青岛优品申报需要注册商标吗？", {}),  # asks about the rule, states nothing about the enterprise
    ("我们公司前年拿了市长质量奖", {"awards": [{"name": "市长质量奖", "year": 2024}]}),
    ("去年发生过一起安全事故", {"accidents": ["2025-12-31"]}),
    ("近几年没有发生过质量事故，抽查都合格", {"accidents": [], "spot_check_failures": []}),
    ("没有被列入失信名单", {"serious_dishonesty_listed": False}),
    ("我们导入卓越绩效3年了，服务业企业", {"excellence_model_years": 3.0, "business_type": "service"}),
    ("质量管理体系认证补贴最多能拿多少", {}),  # names the subsidy, not a certificate the enterprise holds
])
def test_parse_facts(question, expected):
    facts, said = parse_facts(question, TODAY)
    assert facts == expected
    # each understood fact is said back to the user (a date range is one fact)
    assert len(said) >= len(expected.keys() - {"registered_on_earliest"})


def test_future_registration_is_not_taken():
    facts, _ = parse_facts("我们2030年注册", TODAY)
    assert "registered_on" not in facts


def test_registration_this_year_is_not_after_today():
    facts, said = parse_facts("我们今年成立的", TODAY)
    assert facts == {"registered_on": "2026-11-24", "registered_on_earliest": "2026-01-01"}
    assert "具体日期未提供" in said[0]


def test_exact_date_in_a_later_turn_replaces_the_year():
    from assistant.eligibility.chat import _merge_facts
    earlier, _ = parse_facts("我们2024年成立", TODAY)
    later, _ = parse_facts("准确说是2024年3月5日成立的", TODAY)
    assert _merge_facts(earlier, later) == {"registered_on": "2024-03-05"}


@pytest.mark.parametrize("question, asks", [
    ("我们通过了ISO9001，能申请认证补贴吗", True),
    ("销售额5000万，够不够条件报区长质量奖", True),
    ("质量管理体系认证补贴最多能拿多少", False),  # how much, not whether: the text answers it
    ("主导制定国家标准能领多少钱", False),
])
def test_asks_whether_it_may_apply(question, asks):
    from assistant.eligibility.chat import ASKS
    assert bool(ASKS.search(question)) is asks
