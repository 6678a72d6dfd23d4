"""What a question asks for: one thing, or several asked in their own clauses."""

import pytest

from assistant.answer.intent import comparison_pair, detect_intent, detect_intents


def test_things_asked_in_their_own_clauses_are_parts():
    assert detect_intents("我们公司能不能申报青岛优品？需要什么条件、什么材料、在哪里报、什么时候截止？") == \
        ["eligibility", "materials", "contact", "deadline"]
    assert detect_intents("食品经营许可证怎么办理，要多久") == ["steps", "deadline"]


def test_things_joined_by_a_conjunction_are_parts():
    assert detect_intents("申报青岛优品需要什么条件和材料") == ["eligibility", "materials"]
    assert detect_intents("首席质量官的条件及职责") == ["eligibility", "definition"]


def test_cue_words_scattered_through_one_clause_are_one_question():
    # 平台 and 和 in a long clause asking for materials: one question (ncp dev), not a contact part too
    assert detect_intents("无法登陆政务服务平台的用人单位和个人如何提交相关资料？") == ["materials"]
    assert detect_intents("海南省的文明和谐过节具体要求是什么？") == ["eligibility"]
    # 补贴 … 多少 across a comma is not an amount question: both clauses ask whom to call
    assert detect_intents("认证补贴找哪个部门，电话多少") == ["contact"]



@pytest.mark.parametrize("question, intent", [
    # 截至2月17日 / 截至目前 says when a figure was counted; 截止到哪天 / 截至时间 asks for a deadline.
    ("截至2月17日，广西线上招聘工作进展如何？", "general"),
    ("截至目前，12345热线共受理咨询多少件？", "contact"),  # 咨询, a contact word, is all that is left
    ("纳税申报期限截至时间是哪一天？", "deadline"),
    # 材料 / 小程序 name the topic; 截止到哪天 / 多久 is what is asked …
    ("2026年市级标准化试点区里收材料截止到哪天", "deadline"),
    ("在NQI小程序上提交需求多久有人回复", "deadline"),
    # … unless the thing is asked itself (需要什么材料, 材料有哪些, 怎么办理).
    ("需要什么材料，什么时候交", "materials"),
    ("材料有哪些，什么时候交", "materials"),
    ("怎么办理要多久", "steps"),
    # the spoken forms of 什么时候
    ("区长质量奖啥时候开始报名", "deadline"),
    ("青岛优品几时截止", "deadline"),
    ("材料啥时候交", "deadline"),
    # asking for the stages of a plan is asking for its steps
    ("创建质量强国区分几个阶段", "steps"),
    ("标准化试点分几步走", "steps"),
    # 怎么办 after a situation asks what follows from it; only 怎么办理 asks for the steps
    ("首席质量官离职了怎么办", "general"),
    ("抽检不合格咋办", "general"),
    ("国际互认怎么办理", "steps"),
])
def test_what_a_question_asks_for(question, intent):
    assert detect_intent(question) == intent


@pytest.mark.parametrize("question, pair", [
    ("质量安全总监和质量安全员有什么区别？", ("质量安全总监", "质量安全员")),
    ("质量安全总监和质量安全员有啥区别", ("质量安全总监", "质量安全员")),
    ("企业标准与团体标准有何不同", ("企业标准", "团体标准")),
    ("首席质量官跟质量安全总监的差别", ("首席质量官", "质量安全总监")),
    # two things named, but not set against each other
    ("质量安全总监和质量安全员多少天内备案", None),
    ("区长质量奖和市长质量奖能同时申报吗", None),
])
def test_two_things_set_against_each_other(question, pair):
    assert comparison_pair(question) == pair
