"""Condition extraction on every shipped programme: the rule, its kind and window, and the exact span."""

from __future__ import annotations

import json
import re

import pytest

from support import REALDATA


def _rules(prog, field=None, operator=None):
    return [r for r in prog.rules if (field is None or r.field == field) and (operator is None or r.operator == operator)]


def _one(prog, field, operator):
    found = _rules(prog, field, operator)
    assert found, f"{prog.name}: no {field} {operator} in {[(r.field, r.operator, r.text) for r in prog.rules]}"
    return found[0]


def test_every_rule_quotes_its_exact_span(programmes, shipped_docs):
    assert len(programmes) >= 15
    for prog in programmes.values():
        for rule in prog.rules:
            doc = shipped_docs.docs[rule.span.doc_id]
            assert doc.text[rule.span.start:rule.span.end] == rule.span.quote == rule.text
            assert rule.span.section, rule
            assert (rule.kind == "review") == (rule.field is None)


def test_qingdao_youpin(programmes):
    prog = programmes["青岛优品"]
    reg = _one(prog, "registered_on", "years_since_at_least")
    assert reg.value == 2 and reg.kind == "required" and reg.span.section == "二、申报条件（一）"
    sales = {r.applies_if["business_type"]: r.value for r in _rules(prog, "annual_sales_wan", ">=")}
    assert sales == {"product": 2000.0, "service": 1000.0}
    assert _one(prog, "registered_trademark", "is_true").span.section == "二、申报条件（四）"
    assert _one(prog, "standard_self_declared", "is_true").kind == "required"
    assert _one(prog, "accidents", "none_within_years").window == {"years": 2, "from": "as_of"}
    assert _one(prog, "spot_check_failures", "none_within_years").window["years"] == 1
    assert _one(prog, "serious_dishonesty_listed", "is_false").kind == "required"
    pref = _one(prog, "certifications", "has_item")
    assert pref.kind == "preference" and pref.value == "ISO9001"
    # A condition no rule represents stays as text for the review panel.
    assert any(r.kind == "review" and "商标注册人为申报企业" in r.text for r in prog.rules)
    assert prog.reward and "20万元" in prog.reward["text"]
    assert prog.deadline["date"] == "2027-01-15"
    assert "正阳路188号" in prog.where["text"]


def test_district_award_organization_and_individual(programmes):
    org = programmes["区长质量奖（组织）"]
    reg = _one(org, "registered_on", "years_since_at_least")
    assert reg.value == 5 and reg.span.section == "第八条第（一）项"
    assert _one(org, "excellence_model_years", ">=").value == 2
    assert _one(org, "revenue_growing_3y", "is_true").kind == "required"
    within = [r for r in _rules(org, "awards", "award_within_years") if "市长质量奖" in r.value]
    assert within[0].kind == "exclusion" and within[0].window == {"years": 5, "from": "award_year"}
    assert within[0].span.section == "第十条第一款第（二）项"
    since = _one(org, "awards", "award_since_year")
    assert since.value["year"] == 2022 and since.kind == "exclusion"
    assert _one(org, "under_investigation", "is_true").kind == "exclusion"
    assert any(r.kind == "review" and "同行业领先水平" in r.text for r in org.rules)
    assert "50万元" in org.reward["text"]
    person = programmes["区长质量奖（个人）"]
    assert person.audience == "individual"
    work = _one(person, "quality_work_years", ">=")
    assert work.value == 10 and work.span.section == "第九条"
    assert "5万元" in person.reward["text"]


def test_other_programmes(programmes):
    pilot = programmes["市级标准化试点"]
    assert _one(pilot, "standardization_staff", ">=").value == 2
    assert _one(pilot, "region", "region_in").value == "城阳"
    assert pilot.deadline["date"] == "2026-12-18"
    cqo = programmes["首席质量官"]
    assert _one(cqo, "quality_work_years", ">=").span.section == "第四条第（二）项"
    edu, title = _one(cqo, "education", "education_at_least"), _one(cqo, "professional_title", "title_at_least")
    assert edu.any_of and title.any_of and edu.any_of.split("#")[0] == title.any_of.split("#")[0]  # 或者: either
    assert _one(programmes["卓越绩效管理模式导入"], "accidents", "none_within_years").window["years"] == 2
    cert = programmes["管理体系认证补贴"]
    assert _one(cert, "accidents", "none_within_years").window["years"] == 3
    assert _one(cert, "independent_legal_person", "is_true").span.section == "三、申领条件1."
    talent = programmes["人才科创金"]
    young = _one(talent, "registered_on", "years_since_at_most")
    assert young.value == 5 and young.span.section == "第八条第（一）项"


def test_reward_articles_are_programmes_with_alternative_tiers(programmes):
    brand = programmes["若干政策措施·支持质量品牌建设"]
    awards = {tuple(r.value) for r in _rules(brand, "awards", "has_award")}
    assert {("青岛优品",), ("好品山东",), ("市长质量奖",)} <= awards
    assert all(r.any_of for r in _rules(brand, "awards", "has_award"))
    # 第十六条 (申报时须承诺近3年无重大质量安全事故) binds every reward of the policy.
    assert _one(brand, "accidents", "none_within_years").span.section == "第十六条"
    standards = programmes["若干政策措施·支持企业参与标准制定"]
    assert {"level": "国家", "role": "主导"} in [r.value for r in _rules(standards, "standards_led")]
    ip = programmes["知识产权促进资助·第五条"]
    assert _one(ip, "independent_legal_person", "is_true").span.section == "第二条"


def test_superseded_document_is_never_a_source(programmes, shipped_docs):
    from assistant.eligibility.rules import extract_programmes

    old = [d for d in shipped_docs.docs.values() if d.meta.status != "现行"]
    assert old, "the shipped corpus keeps a superseded edition"
    old_ids = {d.meta.doc_id for d in old}
    for prog in programmes.values():
        assert not old_ids & set(prog.sources)
        assert not any(r.span.doc_id in old_ids for r in prog.rules)
    # The 2019 edition (满3年) does state rules; they are only used when asked for explicitly.
    everything = extract_programmes(shipped_docs.docs, include_superseded=True)
    years = {r.value for p in everything for r in p.rules if r.field == "registered_on" and r.span.doc_id in old_ids}
    assert years == {3}
    current = {r.value for r in programmes["区长质量奖（组织）"].rules if r.field == "registered_on"}
    assert current == {5}


def test_free_text_conditions():
    from assistant.eligibility.rules import rules_from_text

    parsed = dict(rules_from_text("在城阳区依法登记注册满3年；年营业收入不低于1.5亿元；近2年内未发生重大质量安全事故；"
                                  "处于行业领先水平"))
    assert [r["field"] for r in parsed["在城阳区依法登记注册满3年"]] == ["registered_on", "region"]
    assert parsed["年营业收入不低于1.5亿元"][0]["value"] == 15000.0
    assert parsed["近2年内未发生重大质量安全事故"][0]["window"]["years"] == 2
    assert parsed["处于行业领先水平"] == []  # kept for review


GD = REALDATA / "gd-gov-services" / "policy.jsonl"


@pytest.mark.skipif(not GD.exists(), reason="real Guangdong service guides not present (../shared/realdata)")
def test_real_guangdong_conditions():
    from assistant.eligibility.rules import rules_from_text

    texts = sorted({json.loads(line).get("accept_standard", "") for line in GD.open(encoding="utf-8")} - {"", "无"})
    clauses = [c for t in texts for c in rules_from_text(re.sub(r"\s*(?=（[一二三四五六七八九十]+）|\d+[、.．])", "\n", t))]
    ruled = [(c, r) for c, r in clauses if r]
    assert len(clauses) > 1000
    assert 0.01 < len(ruled) / len(clauses) < 0.5
    by_text = dict(clauses)
    assert by_text["最近3年无重大违法违规记录"][0]["window"] == {"years": 3, "from": "as_of"}
    assert by_text["当事人男方年满22周岁"][0] == {"field": "age_years", "operator": ">=", "value": 22, "unit": "周岁",
                                               "window": None}
