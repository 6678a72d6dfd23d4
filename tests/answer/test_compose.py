"""Offline answers on the shipped corpus: direct, cited to the article, organised by intent; honest
refusals; superseded policies never presented as current; follow-ups resolved."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from assistant.answer import QuestionError
from assistant.answer.intent import detect_intent

from support import ROOT


def cited_text(engine, answer, n):
    c = answer.citations[n - 1]
    return engine.index.docs[c.doc_id].text[c.start:c.end]


def test_amount_answer_cites_the_article_that_holds_the_figure(engine):
    a = engine.ask("区长质量奖最多奖多少钱？")
    assert a.found and a.intent == "amount"
    assert "50万元" in a.answer
    first = a.citations[0]
    assert first.source == "policies/城阳区区长质量奖管理办法.md" and "第十四条" in first.section
    assert first.doc_number == "城政发〔2023〕12号"
    # every citation mark in the text exists and its span really is that quote
    marks = {int(m) for m in __import__("re").findall(r"\[(\d+)\]", a.answer)}
    assert marks == {c.n for c in a.citations}
    for c in a.citations:
        assert cited_text(engine, a, c.n).startswith(c.quote.rstrip("…"))


def test_conditions_come_as_a_list_from_the_conditions_section(engine):
    a = engine.ask("青岛优品要什么条件？")
    assert a.intent == "eligibility" and a.found
    lines = a.answer.splitlines()
    assert "申报需满足以下条件" in lines[0]
    items = [ln for ln in lines[1:] if ln[:2] in {f"{i}." for i in range(1, 10)}]
    assert len(items) >= 4
    assert all("申报条件" in a.citations[i].section for i in range(len(items)))
    assert "2000万元" in a.answer


def test_materials_and_steps_follow_the_document_order(engine):
    a = engine.ask("区长质量奖申报要准备哪些材料？")
    assert a.intent == "materials"
    assert "申报表" in a.answer and "营业执照复印件" in a.answer
    starts = [c.start for c in a.citations if "申报材料" in c.section]
    assert starts == sorted(starts) and len(starts) >= 5


def test_the_stages_of_a_plan_come_as_its_steps(engine):
    # 质量强国区 is one word of the domain dictionary (not 质量强国 + 区分 …), and 分几个阶段 asks for the steps.
    a = engine.ask("创建质量强国区分几个阶段")
    assert a.found and a.intent == "steps"
    assert all(stage in a.answer for stage in ("动员部署阶段", "全面创建阶段", "验收总结阶段"))
    # Each stage heading and its one line are one numbered step, not two items.
    steps = [ln for ln in a.answer.split("\n") if ln[:1].isdigit()]
    assert len(steps) == 3
    assert steps[0].startswith("1. 动员部署阶段（2023年6月—2023年7月）：制定创建方案")
    # The page's info table (索引号 | 发布机构) is not a point of the answer.
    assert "索引号" not in a.answer


def test_a_page_info_row_answers_only_who_published(engine):
    a = engine.ask("质量强国区工作方案是哪个单位发布的")
    assert a.found and "发布机构：青岛市城阳区人民政府办公室" in a.answer.split("\n")[0]


def test_a_difference_question_puts_each_thing_beside_the_other(engine):
    # Neither duties article is among the passages the question retrieves; each is the line of a retrieved
    # document whose subject the thing is, with the list of duties it introduces.
    a = engine.ask("质量安全总监和质量安全员有什么区别？")
    assert a.found
    lines = a.answer.split("\n")
    assert lines[0] == "【质量安全总监】" and "【质量安全员】" in lines
    assert "协助企业主要负责人" in a.answer and "每日检查" in a.answer
    assert [c.section.rsplit(" > ", 1)[-1] for c in a.citations] == ["第五条", "第六条"]


def test_named_article_is_quoted_whole(engine):
    a = engine.ask("区长质量奖管理办法第十条说了什么？")
    assert a.found and "第十条" in a.answer.splitlines()[0]
    assert all("第十条" in c.section for c in a.citations)
    assert "不得申报区长质量奖" in a.answer


@pytest.mark.parametrize("question", ["新能源汽车购置补贴怎么领？", "个人所得税专项附加扣除怎么填报", "城阳区公租房怎么申请"])
def test_questions_the_corpus_cannot_answer_are_refused(engine, question):
    a = engine.ask(question)
    assert not a.found and not a.citations
    assert a.answer.startswith("未在现行政策中找到")
    assert "0532-87651201" in a.answer  # the help-desk contact (the corpus's own 质量发展科 number)
    assert "万元" not in a.answer  # nothing invented from unrelated passages


def test_a_refusal_names_the_asked_words_the_closest_documents_lack(engine):
    # The topic matched (区长质量奖, 申报) but not the thing asked: the asker learns which word the documents lack.
    a = engine.ask("区长质量奖申报系统的登录密码忘了怎么重置")
    assert not a.found and "最相关的文件都没有提到" in a.answer and "“密码”" in a.answer
    assert "区长质量奖”" not in a.answer  # a word the documents use is not listed as missing
    # Nothing of the question matched (all its words are missing): no list, the documents are simply off-topic.
    b = engine.ask("城阳区公租房怎么申请")
    assert not b.found and "没有提到" not in b.answer


def test_a_refusal_points_to_the_rule_in_force_before_the_version_it_replaced(engine):
    from assistant.answer.refusal import refusal

    hits = engine.search("区长质量奖评审", 8)
    old = [h for h in hits if h.status != "现行"]
    assert old, "the 2019 version should be among the passages"
    hits = old + [h for h in hits if h.status == "现行"]  # the replaced version ranked first
    a = refusal(engine.index, "区长质量奖评审有几个环节", "general", hits, "质量发展科", "青岛市城阳区")
    titles = [d["title"] for d in a.suggestions]
    assert titles[0] == "城阳区区长质量奖管理办法"
    # Still listed when there is room, then marked as replaced.
    assert old[0].title not in titles or f"《{old[0].title}》（{old[0].status}）" in a.answer


def test_current_policy_is_preferred_and_the_old_one_is_named_as_superseded(engine):
    current = engine.ask("区长质量奖多久评一次")
    assert "每两年评选一次" in current.answer
    assert all(c.status == "现行" for c in current.citations)
    still_valid = engine.ask("2019年那个区长质量奖管理办法现在还有效吗？")
    assert "废止" in still_valid.answer and still_valid.citations[0].status == "现行"
    old = engine.ask("2019年版的区长质量奖管理办法规定奖励多少")
    old_cites = [c for c in old.citations if c.status == "已修订"]
    assert old_cites and old_cites[0].replaced_by_title == "城阳区区长质量奖管理办法"
    assert any("已修订" in n and "现行文件为《城阳区区长质量奖管理办法》" in n for n in old.notices)
    assert "现行文件为《城阳区区长质量奖管理办法》" in old.answer


def test_follow_ups_are_resolved_against_the_conversation(engine):
    first = engine.ask("青岛优品要什么条件？")
    materials = engine.ask("那要交哪些材料？", history=[("青岛优品要什么条件？", first)])
    assert "青岛优品" in materials.resolved_question and materials.intent == "materials"
    assert materials.citations[0].source == "guides/青岛优品申报指南.md"
    switched = engine.ask("那区长质量奖呢？", history=[("青岛优品要什么条件？", first)])
    assert "区长质量奖" in switched.resolved_question and switched.intent == "eligibility"
    assert "区长质量奖" in switched.citations[0].title


def test_intents():
    assert detect_intent("青岛优品在哪个网站上报？") == "contact"
    assert detect_intent("要交哪些材料") == "materials"
    assert detect_intent("截止到哪天") == "deadline"
    assert detect_intent("奖多少钱") == "amount"
    assert detect_intent("怎么报名") == "steps"
    assert detect_intent("能不能报") == "eligibility"
    assert detect_intent("什么是首席质量官") == "definition"


def test_bad_questions(engine):
    for q in ("", "   \n", "\x00\x01"):
        with pytest.raises(QuestionError, match="不能为空"):
            engine.ask(q)
    with pytest.raises(QuestionError, match="过长"):
        engine.ask("质" * 10_000)


def test_ask_cli_json_contract_and_batch(shipped_index):
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "ASSISTANT_EMBEDDING_CACHE": str(shipped_index.embedding_cache)}
    proc = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", "--index", str(shipped_index.index_dir)],
                          input="首席质量官培训怎么报名\n跨境电商补贴\n", capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["found"] for r in rows] == [True, False]
    assert set(rows[0]) >= {"answer", "found", "intent", "citations"}
    fields = {"n", "doc_id", "source", "title", "doc_number", "section", "quote", "start", "end", "status"}
    assert rows[0]["citations"] and all(fields <= set(c) for c in rows[0]["citations"])


def test_compound_question_is_answered_part_by_part(engine):
    a = engine.ask("我们公司能不能申报青岛优品？需要什么条件、什么材料、在哪里报、什么时候截止？")
    assert a.found
    parts = [ln for ln in a.answer.splitlines() if ln.startswith("【")]
    assert parts == ["【申报条件】", "【所需材料】", "【办理地点与咨询】", "【时间要求】"]
    assert "2000万元" in a.answer and "2027年1月15日" in a.answer
    # citations stay numbered once across the parts
    assert [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))
    specific = engine.ask("区长质量奖奖多少钱？多久评一次？获过市长质量奖还能报吗？")
    assert "50万元" in specific.answer and "市长质量奖满5年" in specific.answer


def test_an_article_that_opens_with_its_list_answers_how_to_apply(engine):
    # 第十一条 “人才科创金”按照以下程序开展投资：（一）项目申报…（五）公示签约: the steps are that article's
    # items, though its label (第十一条) names no 流程; before, the answer quoted the lead-in without its list.
    a = engine.ask("人才科创金怎么申请")
    assert a.found
    steps = [line for line in a.answer.split("\n") if line[:2] in {f"{i}." for i in range(1, 10)}]
    assert [line.split("。")[0][3:] for line in steps[:5]] == ["项目申报", "初步筛选", "尽职调查", "投资决策", "公示签约"]
    assert "按照以下程序开展投资：[" not in a.answer


def test_a_note_after_a_list_item_is_its_own_line_not_a_body_glued_to_the_item(engine):
    # 7. 质量信用承诺书。 / 以上材料一式2份…: the outline reads the numbered line as a heading over the note; joined
    # as heading：body it read 7. 质量信用承诺书。：以上材料一式2份….
    a = engine.ask("青岛优品要准备哪些材料")
    assert "。：" not in a.answer
    lines = a.answer.split("\n")
    item = next(i for i, ln in enumerate(lines) if ln.startswith("7. 质量信用承诺书。["))
    assert lines[item + 1].startswith("以上材料一式2份")


def test_after_a_list_no_point_only_announces_another(engine):
    # 首席质量官应当具备下列条件： (another document's lead-in, without its items) or 现将…告知如下。 after the
    # conditions said nothing; they were quoted as 另据…：… points.
    for question in ("首席质量官要具备什么条件", "市级标准化试点申报条件"):
        a = engine.ask(question)
        assert a.found and "1. " in a.answer
        extra = [ln for ln in a.answer.split("\n") if ln.startswith("另据")]
        assert not any(re.search(r"(?:[：:]|如下。?)\[\d+\]$", ln) for ln in extra), extra


def test_a_heading_answer_stops_before_the_next_heading_and_reads_label_then_body(engine):
    # 一、活动主题 / 2023年…活动主题为… / 二、活动时间: the next section's bare heading was quoted as the lead's
    # next item, and the label ran into its body without a break (活动主题2023年…).
    a = engine.ask("质量月活动主题是啥")
    assert a.found and "质量强国建设" in a.answer.split("\n")[0]
    assert "活动时间" not in a.answer and "活动主题2023" not in a.answer


def test_an_answer_from_the_rule_in_force_takes_no_point_from_the_replaced_one(engine):
    # The current 办法's 第十一条 answers; the 2019 办法's 第十一条 was added as a point under a 已修订 warning.
    a = engine.ask("区长质量奖现场评审几天")
    assert a.found and "2天" in a.answer.split("\n")[0]
    assert "2019年" not in a.answer and not any("（2019年）" in c.title for c in a.citations)
    # … unless the question asks about that version by its year.
    old = engine.ask("2019年的区长质量奖办法奖金多少")
    assert any("（2019年）" in c.title for c in old.citations)
