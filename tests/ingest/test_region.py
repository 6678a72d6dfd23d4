"""Document regions inferred from titles, issuers and opening lines; the service region's chain."""

from __future__ import annotations

from assistant.ingest.metadata import infer_metadata
from assistant.ingest.region import applies, chain, infer_region, mentioned_regions


def test_infer_region_from_title_issuer_and_head():
    assert infer_region("城阳区区长质量奖管理办法") == "青岛市城阳区"
    assert infer_region("上海市标准化条例") == "上海市"
    assert infer_region("山东省标准化条例") == "山东省"
    assert infer_region("中华人民共和国标准化法") == "全国"
    assert infer_region("标准化法", head="1988年12月29日 第七届全国人民代表大会常务委员会第五次会议通过") == "全国"
    assert infer_region("临时价格干预范围事项提价申报", issuer="广东省发展和改革委员会") == "广东省"
    assert infer_region("关于做好复工复产的通知") == ""


def test_a_news_dateline_and_a_national_addressee_list_are_not_the_documents_region():
    # Where the story was filed is not whose rules it reports; the city the story names still counts.
    assert infer_region("医用物资够不够？", head="新华社北京2月13日电 题：医用物资够不够？新华社记者陈炜伟") == ""
    assert infer_region("医保参保缴费期", head="新华社兰州2月8日电（记者李杰）甘肃省医疗保障局、甘肃省财政厅联合下发通知") \
        == "甘肃省"
    # Addressed to every province: a central body's document, though the list names 新疆.
    assert infer_region("关于阶段性减免企业社会保险费的通知",
                        head="各省、自治区、直辖市人民政府，新疆生产建设兵团：为纾解企业困难") == "全国"
    assert infer_region("通知", head="各省（自治区、直辖市）财政厅（局），新疆生产建设兵团财政局：") == "全国"
    assert infer_region("关于做好复工的通知", head="各市、县（区）人民政府：浙江省人民政府办公厅") == "浙江省"


def test_metadata_carries_the_inferred_region():
    meta = infer_metadata("重庆市产品质量条例\n\n第一条 为了加强产品质量监督管理……")
    assert meta["region"] == "重庆市"


def test_chain_and_applicability():
    assert chain("青岛市城阳区") == ["青岛市城阳区", "青岛市", "山东省", "全国"]
    assert chain("深圳") == ["深圳市", "广东省", "全国"]
    assert applies("山东省", "青岛市城阳区") and applies("全国", "青岛市城阳区") and applies("", "青岛市城阳区")
    assert not applies("上海市", "青岛市城阳区") and not applies("青岛市黄岛区", "青岛市城阳区")


def test_regions_named_in_a_question():
    assert mentioned_regions("天津市对主导制定标准的企业有什么奖励") == ["天津市"]
    assert mentioned_regions("深圳和广州的政策一样吗") == ["深圳市", "广州市"]
    assert mentioned_regions("区长质量奖最多奖多少钱") == []


def test_every_prefecture_level_city_is_a_region_by_its_full_name():
    # Not in the curated list of large cities: the national division codes know them and their provinces.
    assert infer_region("内江市人民政府行政复议委员会办公室关于疫情防控期间行政复议相关工作的通告") == "内江市"
    assert chain("铜川市") == ["铜川市", "陕西省", "全国"]
    assert mentioned_regions("本溪市如何减轻企业负担？") == ["本溪市"]
    assert not applies("本溪市", "青岛市城阳区")
    # Their short forms are ordinary words too often (来宾, 安康, 长治久安): only the full name counts.
    assert mentioned_regions("欢迎来宾，祝大家安康，长治久安") == []
    # The curated chains are not overridden by the codes' older assignments (重庆市 was once under 四川).
    assert chain("重庆市") == ["重庆市", "全国"] and chain("吉林市") == ["吉林市", "吉林省", "全国"]
