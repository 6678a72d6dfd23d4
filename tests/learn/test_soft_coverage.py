"""Soft coverage of the terms the best passages lack: a paraphrase the passages nearly spell (科室 / 质量发展科,
业务 / 服务, 营收 / 营业收入) counts for more than a word they do not hold at all (股票, 贷款)."""

from __future__ import annotations

from assistant.answer.intent import detect_intent
from assistant.learn.features import SOFT_CHAR, evidence_features
from assistant.learn.soft_coverage import char_idf, char_share, char_shares
from assistant.tokenize import normalize_query


def _features(engine, question: str) -> dict[str, float]:
    hits = engine.search(question, 8)
    return evidence_features(engine.index, question, detect_intent(normalize_query(question)), hits, soft=True)


def test_character_idf_weighs_rare_characters_most(engine):
    idf = char_idf(engine.index)
    assert idf["质"] < idf["盘"] < idf[""]  # 质 is in most chunks, 盘 in few, an unseen character weighs most
    assert char_idf(engine.index) is idf  # computed once per index
    assert char_share("营收", "企业营业收入首次突破", idf) == 1.0
    assert char_share("盘子", "人才科创金总规模", idf) == 0.0
    # 科室 against 质量发展科: one of two similar-weight characters; 桌子 against 子: the common one only.
    assert 0.3 < char_share("科室", "质量发展科", idf) < 0.7
    assert char_share("桌子", "子项目", idf) < char_share("科室", "质量发展科", idf)


def test_a_paraphrased_term_gets_more_soft_coverage_than_an_unrelated_one(engine):
    pairs = (("知识产权奖励找哪个科室咨询", "知识产权奖励找哪个股票咨询"),
             ("NQI一站式平台能办哪些业务", "NQI一站式平台能办哪些贷款"))
    for paraphrase, unrelated in pairs:
        p, u = _features(engine, paraphrase), _features(engine, unrelated)
        assert p["uncovered_char_share"] > 0.4 and u["uncovered_char_share"] == 0.0, (p, u)
        assert p["soft_cover_char"] > p["cover_top3_union"]  # the near match adds coverage …
        assert u["soft_cover_char"] == u["cover_top3_union"]  # … a word the passages lack adds none
        assert p["soft_cover_char"] > u["soft_cover_char"]


def test_a_fully_covered_question_keeps_its_coverage(engine):
    f = _features(engine, "区长质量奖最多奖多少钱？")
    assert f["uncovered_char_share"] == 1.0 and f["soft_cover_char"] == f["cover_top3_union"]
    assert set(SOFT_CHAR) <= set(f)


def test_shares_are_read_per_sentence_not_over_the_whole_passage(engine):
    hit = engine.search("营业收入首次突破10亿元有什么奖励", 1)[0]
    together = hit.model_copy(update={"title": "", "section": "", "text": "企业营业收入首次突破10亿元的，给予奖励。"})
    apart = hit.model_copy(update={"title": "", "section": "", "text": "营造良好环境。收取费用。"})
    assert char_shares(engine.index, ["营收"], [together])["营收"] == 1.0
    # Both characters are in the passage, but no one sentence holds them both.
    assert char_shares(engine.index, ["营收"], [apart])["营收"] < 0.7
