"""Titles inferred for documents that declare none: the headline, never a run of body text."""

from __future__ import annotations

from assistant.ingest.metadata import TITLE_MAX, display_title, infer_metadata, infer_title


def test_a_flattened_news_item_gets_its_headline():
    text = ("【新华网】成都推出减税抗疫贷支持小微企业渡难关 新华社成都2月24日电（记者胡旭）日前，四川某医药公司"
            "获得了成都银行发放的减税抗疫贷，单户最高可贷500万元。")
    assert infer_metadata(text)["title"] == "【新华网】成都推出减税抗疫贷支持小微企业渡难关"


def test_short_headline_runs_are_joined_and_body_runs_are_not():
    assert infer_title("上海：筑牢“两张网” 确保“两手硬” 2月18日，上海又有16例确诊") == "上海：筑牢“两张网” 确保“两手硬”"
    assert infer_title("关于稳定商务发展有关措施的通知 各有关单位： 为做好疫情防控") == "关于稳定商务发展有关措施的通知"
    assert infer_title("财政部 海关总署 税务总局关于防控疫情进口物资免税政策的公告 为支持疫情防控") \
        == "财政部 海关总署 税务总局关于防控疫情进口物资免税政策的公告"


def test_a_long_first_sentence_is_cut_at_a_clause_and_never_exceeds_the_limit():
    line = "30个省区市一级响应、1230人医疗救治队驰援武汉、1.4万件防护服紧急调用……最新进展" + "详情" * 40
    title = infer_title(line)
    assert title == "30个省区市一级响应、1230人医疗救治队驰援武汉、1.4万件防护服紧急调用"
    assert len(infer_title("很" * 200)) <= TITLE_MAX + 1


def test_display_title_keeps_real_titles_and_shortens_body_runs():
    assert display_title("城阳区区长质量奖管理办法") == "城阳区区长质量奖管理办法"
    old = "成都推出减税抗疫贷支持小微企业渡难关 新华社成都2月24日电（记者胡旭）日前，四川铭维医药获得贷款，单户最高可贷"
    assert display_title(old) == "成都推出减税抗疫贷支持小微企业渡难关"
