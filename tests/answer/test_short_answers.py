"""Answers that read like answers: the sentence that answers first and short, supporting points only when
they add something, clean text (no echoed headings, list numbers kept, no purpose clause in the lead),
FAQ answers quoted from the 答, typos read as the domain term meant, long questions answered in parts,
follow-ups that keep their subject."""

from __future__ import annotations

import re

import pytest

from assistant.answer.parts import split_question
from assistant.answer.spelling import correct


def first_line(answer) -> str:
    return answer.answer.split("\n")[0]


def lead(answer) -> str:
    """The opening point: the first line, or the short list it introduces (…给予一次性奖励：（一）…)."""
    lines = []
    for line in answer.answer.split("\n"):
        if lines and (line.startswith(("- ", "来源：", "注意：")) or lines[-1].endswith("]")):
            break
        lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("question, fact", [("区长质量奖最多奖多少钱？", "50万元"),
                                            ("入选青岛优品有什么奖励", "20万元"),
                                            ("企业标准自我声明公开需要审批吗", "不需要审批")])
def test_the_first_line_answers_briefly(engine, question, fact):
    a = engine.ask(question)
    assert a.found and fact in lead(a)
    body = "\n".join(ln for ln in a.answer.split("\n") if not ln.startswith("来源："))
    assert len(first_line(a)) <= 160 and len(body) <= 300  # the lead and its points, without the 来源 line


def test_an_faq_answer_quotes_the_answer_not_the_question(engine):
    a = engine.ask("管理体系认证有补贴吗")
    body = [ln for ln in a.answer.split("\n") if not ln.startswith("来源：")]  # 来源 names the FAQ entry
    assert a.found and not first_line(a).startswith("问") and not any("问：" in ln for ln in body)
    assert "50%" in a.answer and "2万元" in a.answer


def test_a_purpose_clause_does_not_lead(engine):
    a = engine.ask("NQI一站式服务平台能提供什么服务")
    assert a.found and not re.match(r"^(为|根据)", first_line(a)) and "制定本办法" not in first_line(a)


def test_headings_that_repeat_themselves_are_not_points_and_list_numbers_stay(engine):
    for question in ("青岛优品怎么申报", "首席质量官培训有哪些内容", "企业标准自我声明公开在哪个平台做"):
        for line in engine.ask(question).answer.split("\n"):
            m = re.match(r"^(?:\d+\.\s*|- )?(?:《[^》]*》)?([^：:\[]{2,30})[：:]\s*(.*?)[。；]?(\[\d+\])?$", line)
            assert not (m and m.group(1).strip() == m.group(2).strip()), line
    conditions = engine.ask("首席质量官要什么条件")
    assert re.search(r"^\d+\. 担任或者拟担任企业高层管理职务", conditions.answer, re.M)
    assert "职务。：" not in conditions.answer


def test_a_typo_in_a_programme_name_is_corrected_and_said(engine):
    a = engine.ask("青岛忧品有什么奖励")
    assert "已按“青岛优品”理解“青岛忧品”。" in a.notices and a.answer.endswith("已按“青岛优品”理解“青岛忧品”。")
    assert a.found and "20万元" in a.answer and a.question == "青岛忧品有什么奖励"
    fixed, notices = correct(engine.index, "区长质量奖申保材料交到哪里")
    assert fixed == "区长质量奖申报材料交到哪里" and notices
    assert correct(engine.index, "区长质量奖最多奖多少钱？") == ("区长质量奖最多奖多少钱？", [])
    fixed, notices = correct(engine.index, "How do I apply for the Chief Quality Officer training?")
    assert "首席质量官" in fixed and notices


def test_words_glued_across_a_boundary_and_traditional_script_are_not_slips(engine):
    # jieba's HMM glues 亿|有 and 镇|为 into unknown two-character tokens that sound like 已有 and 镇委: a slip
    # that is less likely than the two characters as typed is not one (ncp: the one correction made was this).
    for question in ("营收第一次过10个亿有奖励吗", "山阳镇为做好沿街商铺复工工作设计了什么表格"):
        assert correct(engine.index, question) == (question, [])
    assert correct(engine.index, "首席質量官有什麼權利？") == ("首席質量官有什麼權利？", [])
    for slip, word in (("申保", "申报"), ("补帖", "补贴"), ("报明", "报名")):
        fixed, notices = correct(engine.index, f"首席质量官培训怎么{slip}")
        assert fixed == f"首席质量官培训怎么{word}" and notices == [f"已按“{word}”理解“{slip}”。"]


def test_a_fee_question_is_answered_by_what_the_guide_says_it_costs(engine):
    # 【收费标准】 不收费: the field's one short line is the answer, not the programme's reward amounts.
    a = engine.ask("企业标准自我声明公开收费吗")
    assert a.intent == "fee" and a.found and first_line(a).startswith("不收费")
    assert "【收费标准】" in a.answer  # the citation names the field
    b = engine.ask("首席质量官培训班收不收钱")
    assert b.intent == "fee" and "不收取培训费" in lead(b)
    # Other one-line fields that only name a document (【设定依据】) are not answers to a fee question.
    assert "设定依据" not in first_line(a)
    # Where the best sentence is about the programme but not its cost, the point that says the cost follows.
    c = engine.ask("报区长质量奖要交报名费吗")
    assert c.intent == "fee" and "不向申报组织和个人收取任何费用" in c.answer


def test_one_item_of_a_list_is_not_a_heading_whose_words_answer(engine):
    # （二）对不符合质量要求的原材料… is one of 首席质量官's rights: its word 要求 must not make it the 条件 list.
    a = engine.ask("CQO要具备什么条件")
    assert a.found and "5年以上" in a.answer and "有权决定停止" not in a.answer
    assert "第四条" in a.answer and "第六条" not in a.answer


def test_a_list_lead_in_opens_the_list_it_introduces(engine):
    # 第六条 首席质量官享有下列权利： looks like a bare heading (short, no comma) but it opens the list that answers.
    a = engine.ask("首席質量官有什麼權利？")
    assert a.found and first_line(a).startswith("首席质量官享有下列权利")
    assert "质量否决权" in lead(a) and "第六条" in a.answer


LONG = ("您好，我们是城阳区一家做食品机械的制造企业，成立8年了，去年营收大概3000万元，一直很重视质量管理。"
        "请问我们今年能不能申报区长质量奖？区长质量奖最多能奖多少钱？"
        "另外我们的产品想申报青岛优品，需要准备哪些材料？首席质量官培训班怎么报名？")


def test_a_long_question_with_several_asks_is_answered_part_by_part(engine):
    parts = split_question(LONG)
    assert len(parts) == 4 and parts[0].startswith("您好") and parts[-1] == "首席质量官培训班怎么报名？"
    assert split_question("区长质量奖奖多少钱？多久评一次？") == ["区长质量奖奖多少钱？多久评一次？"]
    assert split_question("区长质量奖奖多少钱？多久评一次？还能报吗？") == ["区长质量奖奖多少钱？", "多久评一次？", "还能报吗？"]
    a = engine.ask(LONG)
    assert a.found and [ln for ln in a.answer.split("\n") if ln.startswith("【问题")] == \
        [f"【问题{i}】{p}" for i, p in enumerate(parts, 1)]
    assert "50万元" in a.answer
    marks = {int(m) for m in re.findall(r"\[(\d+)\]", a.answer)}
    assert marks == {c.n for c in a.citations} and [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))


def test_a_question_asking_several_things_between_commas_is_answered_part_by_part(engine):
    q = "我们公司想申请青岛优品，请问需要满足哪些条件，要准备哪些材料，申报截止时间是什么时候，入选以后有没有奖励"
    assert split_question(q) == ["我们公司想申请青岛优品，请问需要满足哪些条件", "要准备哪些材料", "申报截止时间是什么时候",
                                 "入选以后有没有奖励"]
    assert split_question("第一次拿ISO9001认证有补贴吗，补多少") == ["第一次拿ISO9001认证有补贴吗，补多少"]  # two: one pass
    a = engine.ask(q)
    assert a.found  # asked whole, its four asks blurred into one refused query
    for fact in ("满2年", "营业执照复印件", "2027年1月15日", "20万元"):
        assert fact in a.answer


def test_a_follow_up_without_a_subject_keeps_the_conversations(engine):
    first = engine.ask("区长质量奖申报条件是什么")
    review = engine.ask("评审流程是怎样的？", history=[("区长质量奖申报条件是什么", first)])
    assert "区长质量奖" in review.resolved_question
    assert review.citations and "区长质量奖" in review.citations[0].title
    # It carries the subject, not what the first turn asked (申报条件): the answer is the review procedure.
    assert "申报条件" not in review.resolved_question
    body = review.answer.split("\n\n")[0]
    assert "现场评审" in body and "资格审查" in body and "登记注册满5年" not in review.answer
    other = engine.ask("那青岛优品呢？", history=[("区长质量奖申报条件是什么", first)])
    assert "青岛优品" in other.resolved_question and "区长质量奖" not in other.resolved_question


def test_a_follow_up_carries_the_words_that_narrow_the_subject(engine):
    # NQI一站式平台: "nqi" alone names two other NQI documents too; 一站式 (a distinguishing word) narrows it
    first = engine.ask("NQI一站式平台能办什么业务")
    where = engine.ask("在哪里？几点上班", history=[("NQI一站式平台能办什么业务", first)])
    assert "一站式" in where.resolved_question
    assert where.found and where.citations[0].source.endswith("城阳区NQI一站式服务平台运行管理办法.html")


def test_a_follow_up_keeps_the_noun_that_narrows_a_title_word(engine):
    # 奖励 is in titles, 国家标准 in none: carrying 奖励 alone sent 一年最多能拿多少 to the 区长质量奖 amounts.
    first = engine.ask("参与制定国家标准有没有奖励")
    cap = engine.ask("一年最多能拿多少", history=[("参与制定国家标准有没有奖励", first)])
    assert "国家标准" in cap.resolved_question
    assert "累计不超过100万元" in cap.answer and "区长质量奖" not in cap.answer
    # A turn the corpus did not answer lends no untitled noun: 业务 is what it lacked.
    refused = engine.ask("NQI一站式平台能办什么业务")
    where = engine.ask("在哪里？", history=[("NQI一站式平台能办什么业务", refused)])
    assert refused.found or "业务" not in where.resolved_question
    assert "春城路618号" in where.answer


POWER = {
    "用电.md": "# 关于阶段性降低企业用电成本的通知\n\n一、降价措施。自2020年2月1日起至6月30日止，电网企业在计收电力用户电费时，"
              "统一按原到户电价水平的95%结算。\n\n二、降价范围。现执行一般工商业及其它电价、大工业电价的电力用户，高耗能行业用户除外。\n",
    "试点.md": "# 标准化试点项目申报范围\n\n一、申报范围。本市注册的制造业企业、服务业企业可以申报标准化试点项目。\n\n"
              "二、申报时间。每年3月集中申报。\n",
    **{f"通知{i}.md": f"# 质量工作通知第{i}号\n\n一、工作要求。各单位要加强质量管理，落实主体责任{i}。\n\n二、工作安排。按季度报送质量工作情况。\n"
       for i in range(1, 5)},
}


def test_a_follow_up_with_a_word_of_its_own_is_read_in_the_conversation_when_that_answers_surer(engine_over):
    from assistant.answer import followup

    eng = engine_over("power", POWER)
    asked = "阶段性降低企业用电成本的降价措施是什么？"
    first = eng.ask(asked)
    # 范围 is in a title (申报范围): on its own the follow-up names a subject and lands on the pilot programme.
    assert followup.readings(eng.index, "范围是怎样规定的？", [(asked, first)])[0] == "范围是怎样规定的？"
    alone = eng.ask("范围是怎样规定的？")
    assert "试点" in alone.citations[0].title
    scope = eng.ask("范围是怎样规定的？", history=[(asked, first)])
    assert scope.found and "用电" in scope.resolved_question and "用电成本" in scope.citations[0].title
    assert "高耗能行业用户除外" in scope.answer


def test_an_asking_word_is_never_a_subject_term(engine):
    from assistant.answer.compose import question_terms

    terms = question_terms(engine.searcher.index, "团体标准由谁来制定？")
    assert "团体标准" in terms and not any("谁" in t for t in terms)


def test_a_unit_stays_with_its_number(engine):
    from assistant.answer.compose import question_terms

    # jieba alone cuts 1200万能补 into 万能 and 几天内交 into 内交: words the user never said, uncovered, refused.
    index = engine.searcher.index
    assert "万能" not in question_terms(index, "技改项目设备投资1200万能补多少")
    assert "内交" not in question_terms(index, "青岛优品纸质材料几天内交")
    a = engine.ask("技改项目设备投资1200万能补多少")
    assert a.found and "10%" in first_line(a)
    b = engine.ask("青岛优品纸质材料几天内交")
    assert b.found and "5个工作日内" in first_line(b)

def _line_at(index, title_part: str, starts: str):
    """(doc_id, start, end) of the document line of the shipped corpus that starts with `starts`."""
    for doc_id, rec in index.docs.items():
        if title_part in rec.meta.title:
            for s, e in rec.lines:
                if rec.text[s:e].strip().startswith(starts):
                    return doc_id, s, e
    raise AssertionError(f"no line {starts} in {title_part}")


def _sentence_at(index, title_part: str, starts: str):
    """That line as the composer's Sentence (the lead a test hands to one composer step)."""
    from assistant.answer.compose import Sentence

    doc_id, s, e = _line_at(index, title_part, starts)
    rec = index.docs[doc_id]
    return Sentence(doc_id, s, e, rec.text[s:e], 1, rec.section_for(s, e), 1.0)


def test_a_set_question_quotes_the_whole_enumeration_cited_within_the_cap(engine):
    from assistant.answer import compose
    from assistant.answer.citations import CitationList

    index = engine.index
    composer = compose.OfflineComposer(index, "区市场监管局")
    lead = _sentence_at(index, "一站式", "第九条")
    rec, s, e = index.docs[lead.doc_id], lead.start, lead.end
    wide = composer._set_extent("一站式平台推出了哪些国际NQI合作互认举措？", lead)
    quoted = rec.text[wide.start:wide.end]
    # The lead-in's items follow, whole items only, never past the cap.
    assert wide.start == s and wide.end > e and "（一）" in quoted and "（二）" in quoted
    assert len(quoted) <= compose.SET_EXTENT and quoted.rstrip()[-1] in "。；"
    # Cited as quoted: the citation's span is the quoted span, named by its article.
    citations = CitationList(index)
    lines = composer._short_answer("一站式平台推出了哪些国际NQI合作互认举措？", [lead], {}, {}, citations, brief=False)
    first = citations.items[0]
    assert first.start == s and first.end >= wide.end and "第九条" in first.section
    assert lines[0] == composer._strip_marker(rec.text[first.start:first.end]) + "[1]"
    # A tighter cap quotes fewer items and still ends on a whole item.
    old = compose.SET_EXTENT
    try:
        compose.SET_EXTENT = 80
        short = composer._set_extent("一站式平台推出了哪些国际NQI合作互认举措？", lead)
        assert short.end - short.start <= 80 and short.end < wide.end
    finally:
        compose.SET_EXTENT = old


def test_a_set_extent_stops_at_the_next_heading_and_keeps_the_first_number(engine):
    from assistant.answer import compose

    index = engine.index
    composer = compose.OfflineComposer(index, "区市场监管局")
    lead = _sentence_at(index, "市级标准化试点项目申报指南", "1.市级标准化试点项目申报书")
    rec = index.docs[lead.doc_id]
    wide = composer._set_extent("申报市级标准化试点要交哪些材料？", lead)
    quoted = rec.text[wide.start:wide.end]
    # 三、申报材料's five items, not 四、申报流程 after them (another numbering: the next heading)
    assert "5.信用承诺书" in quoted and "四、" not in quoted and "申报流程" not in quoted
    assert rec.section_for(wide.start, wide.end).startswith("三、申报材料")
    # items 2–5 keep their numbers, so the first keeps its own
    assert wide.text.startswith("1.市级标准化试点项目申报书")


def test_a_lead_starts_after_the_document_title_it_opens_with(engine):
    from assistant.answer import compose

    index = engine.index
    composer = compose.OfflineComposer(index, "区市场监管局")
    doc_id, s, e = _line_at(index, "市级标准化试点项目申报指南", "根据青岛市市场监督管理局")
    rec = index.docs[doc_id]
    assert rec.text.startswith(rec.meta.title)
    opening = compose.Sentence(doc_id, 0, e, rec.text[0:e], 1, "", 1.0)  # a headline run into its paragraph
    lead = composer._after_title(opening)
    assert lead.start > len(rec.meta.title) - 1 and lead.end == e
    assert not lead.text.startswith(rec.meta.title) and rec.meta.title not in lead.text
    # a lead that is the title alone, or does not open with it, stays as it is
    title_only = compose.Sentence(doc_id, 0, len(rec.meta.title), rec.meta.title, 1, "", 1.0)
    assert composer._after_title(title_only) is title_only
    body = compose.Sentence(doc_id, s, e, rec.text[s:e], 1, "", 1.0)
    assert composer._after_title(body) is body


def test_a_quote_of_several_items_keeps_every_number():
    from assistant.answer.compose import OfflineComposer

    strip = OfflineComposer._strip_marker
    # flattened text (items on one line) and one item per line alike
    assert strip("（1）服从统一管理。 （2）自觉遵守。 （3）积极移风易俗。").startswith("（1）服从")
    assert strip("1.申报书；\n2.实施方案；").startswith("1.申报书")
    # one item, or an article followed by its inner items: the citation names the number
    assert strip("（1）服从统一管理。") == "服从统一管理。"
    assert strip("第十四条 给予一次性奖励：\n（一）区长质量奖50万元；").startswith("给予一次性奖励")


def test_supporting_points_keep_to_the_programme_asked(engine):
    from assistant.answer import compose

    answer = engine.ask("青岛优品申报条件有哪些？")
    programmes = [set(engine.index.docs[c.doc_id].meta.programs) for c in answer.citations]
    assert answer.found and all("青岛优品" in p for p in programmes)
    # the rule itself: another programme's document, or a sentence naming only another programme, is off
    index = engine.index
    other = _sentence_at(index, "市级标准化试点项目申报指南", "1.申报单位在城阳区依法登记注册")
    assert compose.off_programme(index, other, {"青岛优品"})
    assert not compose.off_programme(index, other, {"标准化试点"}) and not compose.off_programme(index, other, set())
    assert compose.named_programmes(index, "优品怎么申报") == {"青岛优品"}


def test_a_one_fact_question_keeps_its_lead_short(engine):
    from assistant.answer import compose

    index = engine.index
    composer = compose.OfflineComposer(index, "区市场监管局")
    doc_id, s, _ = _line_at(index, "区长质量奖管理办法", "第四条")
    rec = index.docs[doc_id]
    end = s + rec.text[s:].index("。") + 1  # 第四条 区长质量奖每两年评选一次，在偶数年度组织开展。
    lead = compose.Sentence(doc_id, s, end, rec.text[s:end], 1, rec.section_for(s, end), 1.0)
    assert composer._set_extent("区长质量奖多久评一次？", lead) is lead
    a = engine.ask("区长质量奖多久评一次？")
    assert a.found and len(first_line(a)) <= 160


def test_a_point_the_ranker_is_sure_of_is_kept_though_it_adds_no_term_of_the_question(engine):
    """Supporting points must add something the lead lacks — a term of the question, a fact asked for — unless
    the sentence ranker's own probability says the point answers too (SUPPORT_SURE)."""
    from assistant.answer import compose
    from assistant.answer.citations import CitationList
    from assistant.text import split_sentences

    index = engine.index
    composer = compose.OfflineComposer(index, "区市场监管局")
    question = "区长质量奖评审有什么要求"
    terms = compose.question_terms(index, question)
    lead = _sentence_at(index, "区长质量奖管理办法", "第十四条")
    lead.score = lead.prob = 1.0
    rec = index.docs[lead.doc_id]
    plain = [(s, e) for s, e in split_sentences(rec.text, base=0)
             if 15 <= e - s <= 60 and not re.search(r"\d", rec.text[s:e]) and s > lead.end
             and not any(t in rec.text[s:e].lower() for t in terms) and "评审" not in rec.text[s:e]]
    assert len(plain) >= 2, "the test needs two sentences that add no term of the question"
    (s1, e1), (s2, e2) = plain[:2]
    sure = compose.Sentence(lead.doc_id, s1, e1, rec.text[s1:e1], 1, rec.section_for(s1, e1), 0.9, prob=0.9)
    unsure = compose.Sentence(lead.doc_id, s2, e2, rec.text[s2:e2], 1, rec.section_for(s2, e2), 0.9, prob=0.05)
    lines = composer._short_answer(question, [lead, sure, unsure], terms, {}, CitationList(index), brief=False)
    points = "\n".join(lines[1:])
    assert composer._strip_marker(sure.text) in points and composer._strip_marker(unsure.text) not in points
    old = compose.SUPPORT_SURE
    try:
        compose.SUPPORT_SURE = 0.0  # without the rule, a point that adds nothing is never kept
        lines = composer._short_answer(question, [lead, sure, unsure], terms, {}, CitationList(index), brief=False)
        assert len(lines) == 1
    finally:
        compose.SUPPORT_SURE = old


NOTICE = ("# 关于严格疫情信息报告的公告\n\n"
          "为做好疫情防控工作，现就有关事项公告如下。 一、相关单位和个人严格依法依规履行报告职责。"
          "对瞒报、谎报、迟报疫情的，依法依规从严处理。   示例市应对疫情应急指挥部 2020年2月9日\n")


@pytest.fixture(scope="module")
def notice_engine(engine_over):
    return engine_over("notice", {"公告.md": NOTICE})


def test_a_notice_s_sign_off_is_not_part_of_the_answer(notice_engine):
    from assistant.learn.sentences import is_sign_off

    assert is_sign_off("中国人民银行   财政部   银保监会   2020年1月31日") and is_sign_off("特此通告。")
    assert not is_sign_off("自2020年2月14日起实行扫码通行。")
    a = notice_engine.ask("对瞒报、谎报疫情的如何处置")
    assert a.found and "从严处理" in first_line(a)
    assert "2020年2月9日" not in a.answer and "应急指挥部 2020" not in a.answer


def test_a_reposted_copy_of_a_notice_is_neither_a_second_point_nor_a_second_source(engine_over):
    body = ("为进一步支持疫情防控工作，自2020年1月1日至3月31日，实行更优惠的进口税收政策，现公告如下：{gap}"
            "一、适度扩大免税进口范围，对捐赠用于疫情防控的进口物资，免征进口关税和进口环节增值税、消费税。\n")
    title = "# 财政部 海关总署 税务总局关于疫情防控进口物资免税政策的公告\n\n"
    eng = engine_over("reposted", {"公告.md": title + body.format(gap=" "), "转载.md": title + body.format(gap="   ")})
    a = eng.ask("对用于疫情防控的进口物资实行了什么进口税收政策？")
    assert a.found and "免征进口关税" in a.answer
    assert a.answer.count("免征进口关税") == 1
    sources = [ln for ln in a.answer.split("\n") if ln.startswith("来源：")]
    assert sources == ["来源：《财政部 海关总署 税务总局关于疫情防控进口物资免税政策的公告》"]


ROADS = ("# 关于恢复交通运输秩序的通知\n\n"
         "各区（市）疫情防控领导小组办公室：\n\n"
         "为贯彻落实恢复交通运输秩序电视电话会议精神，加快恢复我市交通运输秩序，保障道路交通安全畅通，"
         "经研究决定撤销我市所有交通卡口，现就有关事项通知如下：\n\n"
         "一、自2020年2月22日24时起，撤销全市火车站、高速公路、国省干线公路等交通卡口。\n\n"
         "二、各高速公路运营公司对已封堵的高速公路出口，要于2月22日24时前恢复正常通行。\n\n"
         "三、对拒不执行撤销决定、擅自设卡拦截的，依法依规追究有关人员责任。\n")
HOTLINE = ("# 应急运输保障服务专线公布\n\n"
           "连日来，各地交管部门设立应急运输保障服务专线电话，为应急运输车辆的通行保障提供帮助。"
           "此次公布的专线主要为两类车辆提供服务保障，一是持有应急运输车辆通行证的车辆；"
           "二是未持证，但经核实属于运输应急物资的车辆、运输民生物资的车辆。"
           "遇到问题可拨打服务保障专线电话获取帮助。\n")


@pytest.fixture(scope="module")
def notices_engine(engine_over):
    return engine_over("notices", {"交通.md": ROADS, "专线.md": HOTLINE})


def test_a_notice_answers_with_its_items_not_its_preamble(notices_engine):
    a = notices_engine.ask("恢复交通运输秩序的通知内容是什么？")
    assert a.found
    assert "撤销全市火车站" in first_line(a) and "追究有关人员责任" in a.answer
    # the addressees and the reasons (为贯彻落实…通知如下：) are neither the first line nor a point
    assert "为贯彻落实" not in a.answer and "领导小组办公室：" not in a.answer
    asked = notices_engine.ask("为什么要撤销我市所有交通卡口？")
    assert "为贯彻落实" in asked.answer


def test_a_list_opened_inside_the_lead_s_paragraph_is_quoted_whole(notices_engine):
    a = notices_engine.ask("应急运输保障服务专线为哪些车辆提供帮助？")
    assert a.found
    assert "一是持有应急运输车辆通行证的车辆" in a.answer and "二是未持证" in a.answer


SERVICE = ("# 关于提供免费健康申报证明服务的通知\n\n"
           "（一）服务对象。有外出务工需要的人员均可申报办理。\n\n"
           "（二）任务分工。\n\n"
           "县级人力资源社会保障部门负责收集汇总外出务工人员信息，县级卫生健康部门负责指定服务机构。\n\n"
           "（三）宣传动员。各县人民政府要将健康申报证明服务事宜告知外出人员。\n")


def test_a_label_as_a_point_brings_its_body(engine_over):
    from assistant.answer import compose
    from assistant.answer.citations import CitationList

    eng = engine_over("labels", {"通知.md": SERVICE})
    index = eng.index
    composer = compose.OfflineComposer(index, "区市场监管局")
    lead, label, item = (_sentence_at(index, "健康申报", start) for start in ("（一）", "（二）", "（三）"))
    # A label standing on its own line takes the next paragraph, and nothing of the next item.
    body = composer._with_body(label)
    assert body.text.startswith("任务分工。县级") and body.text.endswith("负责指定服务机构。")
    # A label with its body in the same paragraph takes that body; a sentence that says something is kept.
    assert composer._with_body(_sentence_at(index, "健康申报", "（三）")) is not item
    assert composer._with_body(lead).text == lead.text
    label.prob = 0.9
    lines = composer._short_answer("免费健康申报证明服务的各部门怎么分工？", [item, label], {"分工": 1.0}, {},
                                   CitationList(index), brief=False)
    assert lines[1].startswith("- 任务分工。县级人力资源社会保障部门负责") and "服务对象" not in "".join(lines)
    # Named in full, the heading leads with its body.
    lines = composer._short_answer("免费健康申报证明服务的任务分工是怎样的？", [item, label], {"任务分工": 1.0}, {},
                                   CitationList(index), brief=False)
    assert lines[0].startswith("任务分工。县级人力资源社会保障部门负责") and "服务对象" not in "".join(lines)


def _sentence_from(index, prefix: str, score: float = 1.0):
    """The sentence of the (one-document) index that starts with `prefix`, up to its 。."""
    from assistant.answer.compose import Sentence

    doc_id, rec = next(iter(index.docs.items()))
    s = rec.text.index(prefix)
    e = rec.text.index("。", s) + 1
    return Sentence(doc_id, s, e, rec.text[s:e], 1, rec.section_for(s, e), score)


FLAT = ("# 关于支持打赢疫情防控阻击战十二项措施的通知\n\n"
        "三、全速推进，以最快速度响应涉税诉求 9. 做好意见收集。通过12366、办税服务厅等多种渠道积极了解企业反映的税费问题。"
        " 10. 加速退税审批。对疫情防控物资生产企业优先予以支持。\n")


def test_a_label_run_on_from_headings_starts_at_the_label(engine_over):
    from assistant.answer import compose

    eng = engine_over("flat", {"通知.md": FLAT})
    composer = compose.OfflineComposer(eng.index, "区市场监管局")
    run = _sentence_from(eng.index, "三、")
    # Flattened text: the section heading and the label are one "sentence"; the label's body follows it.
    point = composer._with_body(composer._from_label("纳税人有何渠道上报意见？", run))
    assert point.text.startswith("做好意见收集。通过12366") and "全速推进" not in point.text
    assert "加速退税审批" not in point.text  # the next item is not this label's body
    # Asked on what basis, what runs before the label stays (it may be the preamble that says so).
    assert composer._from_label("这些措施是根据什么文件制定的？", run) is run


LEVELS = ("# 关于开展心理危机干预的通知\n\n"
          "疫情影响人群分为四级。第一级人群：确诊患者、一线医护人员。第二级人群：居家隔离的人员。"
          "第三级人群：与第一级、第二级人群有关的人，如家属、同事、朋友、志愿者等。\n")
HEADLINE = "# 教育部：教师在线教学计入工作量\n\n教育部：教师在线教学计入工作量。通知要求各校做好在线教学。\n"


def test_a_sentence_labelled_with_what_the_question_names_leads(engine_over):
    from assistant.answer import compose

    index = engine_over("levels", {"通知.md": LEVELS}).index
    composer = compose.OfflineComposer(index, "区市场监管局")
    third, second = _sentence_from(index, "第三级人群：", 0.9), _sentence_from(index, "第二级人群：", 0.5)
    # The third level mentions 第二级人群 in its text; the sentence whose label it is answers.
    assert composer._lead("第二级人群包括哪些？", [third, second]) is second
    assert composer._lead("干预对象有哪些人？", [third, second]) is third
    # A news headline 机构：… is the document's title, not a label of what is asked.
    news = engine_over("headline", {"新闻.md": HEADLINE}).index
    headline, body = _sentence_from(news, "教育部：", 0.4), _sentence_from(news, "通知要求", 0.9)
    assert compose.OfflineComposer(news, "区市场监管局")._lead("教育部对在线教学有什么要求？", [body, headline]) is body


def test_a_news_dateline_is_not_part_of_the_answer(engine_over):
    news = ("# 成都推出减税抗疫贷支持小微企业\n\n"
            "新华社成都2月24日电（记者 胡旭）成都推出减税抗疫贷，小微企业凭纳税信用可线上申请，单户最高可贷500万元。\n")
    a = engine_over("dateline", {"新闻.md": news}).ask("成都的减税抗疫贷最多能贷多少？")
    assert a.found and "500万元" in first_line(a)
    assert first_line(a).startswith("成都推出减税抗疫贷") and "记者" not in a.answer


def test_a_point_never_repeats_a_line_in_other_punctuation(engine):
    # The policy (…30万元；) and the FAQ quoting it (…30万元。) were two points saying the same thing.
    bare = lambda line: re.sub(r"\[\d+\]|^- |[\s，,。；;：:、！!？?“”（）()]", "", line)  # noqa: E731
    first = engine.ask("参与制定国家标准有没有奖励")
    for a in (first, engine.ask("一年最多能拿多少", history=[("参与制定国家标准有没有奖励", first)])):
        lines = [bare(ln) for ln in a.answer.split("\n") if not ln.startswith("来源")]
        assert not [x for i, x in enumerate(lines) for j, y in enumerate(lines) if i != j and x and x in y], a.answer


# A page that carries the issuer's sign-off run into the measures it publishes (no full stop after the date).
SIGNED = ("# 示例市支持中小企业发展政策措施\n\n"
          "示例市人民政府   2020年2月7日   （此件公开发布）   示例市支持中小企业发展政策措施   "
          "为深入贯彻落实上级关于支持中小企业的决策部署，支持中小企业平稳有序发展，结合本市实际，特制定如下政策措施。\n\n"
          "一、对运输疫情防控重点物资的中小企业，按运费的50%给予补贴。\n\n"
          "二、对中小企业2020年2月份的房租给予全额减免。\n\n"
          "示例省商务厅办公室 2020年2月7日 示例市商务局办公室2020年2月15日印发\n")


def test_a_sign_off_run_into_a_preamble_is_neither_lead_nor_point(engine_over):
    from assistant.learn.sentences import is_sign_off, sign_off_head

    assert sign_off_head("国家税务总局 2020年2月5日 第一部分 有关政策") == len("国家税务总局 2020年2月5日 ")
    assert not sign_off_head("自2020年2月1日起至6月30日止，电费按95%结算。")
    assert not sign_off_head("四川省应急委员会宣布自2020年2月26日0时起调整响应级别。")
    assert is_sign_off("示例市商务局办公室2020年2月15日印发") and not is_sign_off("本通知自2020年2月15日印发之日起施行。")
    eng = engine_over("signed", {"措施.md": SIGNED})
    for q in ("示例市支持中小企业发展有哪些政策措施？", "示例市对中小企业的房租有什么支持？"):
        a = eng.ask(q)
        assert a.found and "2020年2月7日" not in a.answer and "为深入贯彻" not in a.answer and "印发" not in a.answer, a.answer
    assert "50%" in eng.ask("示例市对运输疫情防控重点物资的企业有什么补贴？").answer


ADDRESSED = ("# 示例市关于支持中小企业渡过难关的意见\n\n"
             "各县市区人民政府，市直机关各单位，各人民团体： 根据上级关于坚决打赢疫情防控阻击战的决策部署，"
             "坚决贯彻落实支持中小企业渡过难关的要求，现就支持中小企业复工复产提出如下意见： "
             "一、帮助中小企业复工复产。由市工信局牵头，帮助中小企业解决务工人员返企、原材料供应等难题。\n\n"
             "二、减轻中小企业负担。对承租国有房产的中小企业，免收2月份房租。\n")


PASSED_ON = ("# 示例省人民政府办公厅关于印发支持中小微企业若干措施的通知\n\n"
             "各设区市人民政府，省人民政府各工作部门： 《示例省支持中小微企业稳定健康发展的若干措施》已经省政府同意，"
             "现印发给你们，请认真贯彻执行。\n\n"
             "一、实施援企稳岗政策。不裁员或少裁员的参保中小微企业，失业保险稳岗返还比例提高至上年度实际缴费的100%。\n")


@pytest.mark.parametrize("name, text, question, expected, absent", [
    # addressees, then a preamble that ends in 如下意见：
    ("addressed", ADDRESSED, "示例市帮助中小企业复工复产由哪个单位牵头？", "市工信局牵头", "各县市区人民政府"),
    # the notice that passes the measures on
    ("passed-on", PASSED_ON, "示例省在援企稳岗方面对中小微企业有哪些举措？", "稳岗返还比例提高至", "印发给你们"),
])
def test_what_frames_a_notice_does_not_lead(engine_over, name, text, question, expected, absent):
    a = engine_over(name, {"通知.md": text}).ask(question)
    assert a.found and expected in first_line(a) and absent not in a.answer, a.answer


FLATTENED = ("关于支持中小微企业渡过难关的若干措施\n"
             "为支持中小微企业渡过难关，制定以下措施。 一、减轻企业负担 5.降低展会成本。对于因疫情影响暂停举办的展会项目，"
             "如年内继续在本市举办的，按照不超过实际缴纳场租费用50%的标准给予支持。(责任单位：市商务局) "
             "二、加大金融支持力度 6.进一步增加信贷投放。全年普惠型小微企业贷款增速不低于20%。"
             "纳税人可以通过以下两种渠道网上办理发票申领： 1.登录省电子税务局； 2.关注省税务微信公众号。 "
             "三、优化纳税服务 7.延长申报期限。\n")


def test_a_quote_stops_at_a_heading_run_into_flattened_text(engine_over):
    from assistant.answer import compose

    eng = engine_over("flattened", {"措施.txt": FLATTENED})
    a = eng.ask("对因疫情暂停举办的展会项目有什么支持？")
    assert a.found and "50%" in first_line(a)
    # the responsibility note ends this item; 二、… is the next heading, 6. the next point
    assert "加大金融支持力度" not in first_line(a) and "信贷投放" not in first_line(a)
    # a list the lead itself holds goes on to its next item, and stops at the next heading
    composer = compose.OfflineComposer(eng.index, "区市场监管局")
    doc_id, rec = next(iter(eng.index.docs.items()))
    start = rec.text.index("纳税人可以通过")
    end = rec.text.index("；", start) + 1
    one = compose.Sentence(doc_id, start, end, rec.text[start:end], 1, "", 1.0)
    text = composer._finish_thought(one).text
    assert "2.关注省税务微信公众号。" in text and "优化纳税服务" not in text


def test_a_point_starts_at_its_own_item_not_the_note_and_headings_before_it(engine_over):
    text = ("关于支持企业复工复产的若干措施\n"
            "为支持企业复工复产，本省出台以下措施。对运输防疫物资的车辆免收通行费。（省交通运输厅牵头，各市政府配合） "
            "二、扶持实体企业渡难关 6.对承租国有资产类生产经营用房的企业，1个月房租免收、2个月租金减半。\n")
    eng = engine_over("run-in", {"措施.txt": text})
    a = eng.ask("承租国有资产类经营用房的企业房租怎么减免？")
    assert a.found and first_line(a).startswith("对承租国有资产类生产经营用房的企业")
    # asked who is responsible, the note is what answers
    from assistant.answer import compose

    composer = compose.OfflineComposer(eng.index, "区市场监管局")
    doc_id, rec = next(iter(eng.index.docs.items()))
    start = rec.text.index("（省交通运输厅")
    end = rec.text.index("减半。") + 3
    s = compose.Sentence(doc_id, start, end, rec.text[start:end], 1, "", 1.0)
    assert composer._own_start("房租减免怎么办", s).text.startswith("对承租国有资产类")
    assert composer._own_start("房租减免由哪个部门牵头", s) is s


FESTIVAL = ("关于倡导文明过节的倡议书\n"
            "为做好疫情防控，特发出如下倡议。 一、绿色健康过节。不要团拜、串门、走访，提倡用电话、微信相互拜年祝福。"
            " 二、移风易俗过节。自觉开展治陋习、兴家风活动，红白喜事一律从简。"
            " 三、文明和谐过节。孝老爱亲，尊老爱幼，孩子们多读书，大人们多陪伴父母和孩子。\n")


def test_a_heading_the_question_names_leads_with_its_body(engine_over, engine):
    eng = engine_over("festival", {"倡议.txt": FESTIVAL})
    a = eng.ask("文明和谐过节具体要求是什么？")
    assert a.found and "孝老爱亲" in first_line(a) and "团拜" not in first_line(a)
    # a heading on its own line over numbered items: the heading and its items, not the next heading
    a = engine.ask("“开门检测”是什么意思")
    assert a.found and lead(a).startswith("开门检测：\n1.抽样环节")
    assert "检验检测机构开放日" in lead(a) and "七、" not in lead(a) and "费用[1]" not in a.answer
