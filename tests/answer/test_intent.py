"""What a question asks for: one thing, or several asked in their own clauses."""

from assistant.answer.intent import detect_intents


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


def test_a_date_anchor_is_not_a_deadline_question():
    from assistant.answer.intent import detect_intent

    # 截至2月17日 / 截至目前 says when a figure was counted; 截止到哪天 / 截至时间 asks for a deadline.
    assert detect_intent("截至2月17日，广西线上招聘工作进展如何？") != "deadline"
    assert detect_intent("截至目前，12345热线共受理咨询多少件？") != "deadline"
    assert detect_intent("申报截止到哪天") == "deadline" and detect_intent("纳税申报期限截至时间是哪一天？") == "deadline"
