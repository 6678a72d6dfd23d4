"""Jurisdiction on a small corpus of statutes in a temporary folder: applicable documents rank first, another
region's document is named as such, and a region the corpus does not cover is refused plainly."""

from __future__ import annotations

import pytest

DOCS = {
    "标准化法.md": "# 中华人民共和国标准化法\n\n第七届全国人民代表大会常务委员会通过\n\n## 第一章 总则\n\n"
                 "第一条 为了加强标准化工作，提升产品和服务质量，制定本法。\n\n"
                 "第二十七条 国家实行团体标准、企业标准自我声明公开和监督制度。企业应当公开其执行的强制性标准、推荐性标准、团体标准或者企业标准的编号和名称。\n",
    "山东省标准化条例.md": "# 山东省标准化条例\n\n山东省人民代表大会常务委员会通过\n\n## 第一章 总则\n\n"
                     "第二十条 企业应当按照国家规定公开其执行的企业标准的编号和名称，鼓励企业制定高于推荐性标准的企业标准。\n\n"
                     "第三十条 对主导制定国际标准、国家标准的企业，县级以上人民政府按照有关规定给予奖励。\n",
    "上海市标准化条例.md": "# 上海市标准化条例\n\n上海市人民代表大会常务委员会通过\n\n## 第一章 总则\n\n"
                     "第二十一条 企业应当公开其执行的企业标准的编号和名称，企业标准自我声明公开应当真实。\n\n"
                     "第三十一条 本市对主导制定国际标准、国家标准的企业给予资助。\n",
}


@pytest.fixture(scope="module")
def statutes_engine(engine_over):
    return engine_over("statutes", DOCS)


def test_documents_carry_regions(statutes_engine):
    regions = {rec.meta.title: rec.meta.region for rec in statutes_engine.index.docs.values()}
    assert regions == {"中华人民共和国标准化法": "全国", "山东省标准化条例": "山东省", "上海市标准化条例": "上海市"}


def test_applicable_documents_rank_first(statutes_engine):
    titles = list(dict.fromkeys(h.title for h in statutes_engine.search("企业标准的编号和名称要公开吗", 10)))
    assert titles.index("上海市标准化条例") > max(titles.index("中华人民共和国标准化法"), titles.index("山东省标准化条例"))


def test_a_named_region_the_corpus_holds_is_answered_and_named(statutes_engine):
    hits = statutes_engine.search("上海市对主导制定国际标准的企业有什么资助", 5)
    assert hits[0].title == "上海市标准化条例"
    answer = statutes_engine.ask("上海市对主导制定国际标准的企业有什么资助")
    if answer.found:  # the evidence answers it: the answer must say whose rule it is, once, briefly
        [note] = [n for n in answer.notices if "上海市" in n]
        shanghai = [c.n for c in answer.citations if c.title == "上海市标准化条例"]
        # The asked place is the region itself: no bracket repeating it.
        assert "是上海市的规定，本助手的服务地区为青岛市城阳区" in note
        assert note.startswith("注意：以上") if len(shanghai) == len(answer.citations) else f"[{shanghai[0]}]" in note
        assert "《" not in note  # the title is in the sources already


def test_a_district_asked_names_itself_beside_its_city(statutes_engine):
    # 浦东新区 is inside 上海市, whose rules apply there: the note says whose rule it is and where the asker is.
    answer = statutes_engine.ask("上海市浦东新区的企业标准要公开什么？")
    assert answer.found
    [note] = [n for n in answer.notices if "上海市" in n]
    assert "是上海市的规定（您询问的是上海市浦东新区），本助手的服务地区为青岛市城阳区" in note


def test_a_region_the_corpus_does_not_cover_is_refused(statutes_engine):
    answer = statutes_engine.ask("深圳市对主导制定国际标准的企业有什么奖励")
    assert not answer.found
    assert "未收录深圳市的相关规定" in answer.answer and "青岛市城阳区" in answer.answer
    assert "上海市标准化条例" not in answer.answer  # the closest documents offered are applicable ones
    assert any(s["title"] == "山东省标准化条例" for s in answer.suggestions)


def test_a_follow_up_keeps_the_region_of_the_conversation(statutes_engine):
    # Turn 1 names 上海市; the follow-up names no region: it is still about Shanghai's rules, not the
    # service region's (which would otherwise rank first).
    first = statutes_engine.ask("上海市的企业标准要公开什么？")
    follow = statutes_engine.ask("对主导制定国际标准的企业有什么资助？", [("上海市的企业标准要公开什么？", first)])
    assert "上海市" in follow.resolved_question
    assert follow.found and follow.citations[0].title == "上海市标准化条例"
    # A follow-up that names its own region is asked about that one.
    other = statutes_engine.ask("山东省对主导制定国际标准的企业有什么奖励？", [("上海市的企业标准要公开什么？", first)])
    assert "上海市" not in other.resolved_question
    same_ask = statutes_engine.ask("那山东省呢？", [("上海市对主导制定国际标准的企业有什么资助？", first)])
    assert "山东省" in same_ask.resolved_question and "上海市" not in same_ask.resolved_question


def test_a_lead_from_another_region_gives_way_to_the_same_rule_from_an_applicable_document(statutes_engine):
    from assistant.answer.compose import OfflineComposer

    index = statutes_engine.index
    question = "企业执行的企业标准的编号和名称要公开吗"
    hits = statutes_engine.search(question, 8)
    shanghai = [h for h in hits if h.title == "上海市标准化条例"]
    hits = shanghai + [h for h in hits if h.title != "上海市标准化条例"]  # another region's passage first
    region = {doc_id: rec.meta.region for doc_id, rec in index.docs.items()}
    composer = OfflineComposer(index, "")
    unaware = composer.compose(question, "general", hits)
    assert unaware.citations[0].title == "上海市标准化条例"  # without jurisdiction, Shanghai's rule leads
    served = composer.compose(question, "general", hits, applies=lambda doc_id: region[doc_id] != "上海市")
    assert served.found and served.citations[0].title in ("中华人民共和国标准化法", "山东省标准化条例")
    assert "编号和名称" in served.answer.split("\n")[0]
