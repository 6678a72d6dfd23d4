"""Kinds of request: the trained classifier on clear examples, and the brief reply through the engine."""

from __future__ import annotations

import pytest

from assistant.answer.scope import EXAMPLES, GREETING, OUT_OF_SCOPE, POLICY, request_kind


@pytest.mark.parametrize("text", ["帮我写一首关于春天的诗", "把这句话翻译成英文：质量第一", "给我讲个笑话",
                                  "用Python写一个冒泡排序", "明天青岛天气怎么样"])
def test_tasks_and_chit_chat_are_out_of_scope(text):
    assert request_kind(text)[0] == OUT_OF_SCOPE


@pytest.mark.parametrize("text", ["你好", "您好，在吗", "谢谢"])
def test_greetings(text):
    assert request_kind(text)[0] == GREETING


@pytest.mark.parametrize("text", ["区长质量奖最多奖多少钱？", "申报青岛优品需要什么条件", "自我声明公开怎么操作？",
                                  "北京市对于因疫情影响暂停举办的展会项目有何支持政策？"])
def test_policy_questions(text):
    assert request_kind(text)[0] == POLICY


def test_engine_declines_a_task_with_pointers(engine):
    answer = engine.ask("帮我写一首关于春天的诗")
    assert not answer.found and answer.kind == OUT_OF_SCOPE and not answer.citations
    assert all(q in answer.answer for q in EXAMPLES)
    greeting = engine.ask("你好")
    assert not greeting.found and greeting.kind == GREETING and greeting.answer.startswith("您好")
    assert engine.ask("区长质量奖最多奖多少钱？").kind == POLICY
    # The classifier is unsure of this one (p(out of scope) ≈ 0.65 < SURE): the corpus answers it, so it is
    # answered as the policy question it is.
    unsure = engine.ask("企业标准自我声明公开怎么操作")
    assert unsure.found and unsure.kind == POLICY and unsure.citations


def test_a_message_that_names_nothing_is_asked_what_it_is_about(engine):
    # 怎么申请？ asked first names no programme: the passages retrieved for it fit by accident, so no cited
    # answer; asked after a question about a programme, it is that programme's question.
    from assistant.answer.scope import UNCLEAR

    bare = engine.ask("怎么申请？")
    assert not bare.found and bare.kind == UNCLEAR and not bare.citations
    assert bare.answer.startswith("请问您想了解哪个项目或政策的申报流程") and all(q in bare.answer for q in EXAMPLES)
    named = engine.ask("区长质量奖", history=[("怎么申请？", bare)])  # the reply to the clarifying question
    assert named.found and named.intent == "steps" and "区长质量奖" in named.citations[0].title
    first = engine.ask("区长质量奖申报条件是什么")
    follow = engine.ask("怎么申请？", history=[("区长质量奖申报条件是什么", first)])
    assert follow.found and follow.kind == POLICY and "区长质量奖" in follow.resolved_question
    # A pleasantry the classifier is unsure of (greeting 0.80 < SURE) is asked what it is about, not answered.
    hello = engine.ask("你好，我想咨询一下")
    assert not hello.found and not hello.citations and hello.kind == UNCLEAR
