"""Structure-aware chunking: on real statutes (../shared/realdata), on guide-style numbering, and on
long articles; offsets always point at the chunk's own text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.ingest.chunking import Chunker, heading_label, section_at
from assistant.ingest.loaders import LoadError, guide_record_lines, load_file
from assistant.models import DocumentMeta, ParsedDocument

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"

LAWS = REALDATA / "quality-laws"
needs_laws = pytest.mark.skipif(not LAWS.exists(), reason="../shared/realdata/quality-laws not present")


def parsed(text: str) -> ParsedDocument:
    return ParsedDocument(meta=DocumentMeta(doc_id="d1", source="x.md", title="测试办法"), text=text)


@needs_laws
@pytest.mark.parametrize("name", sorted(p.name for p in LAWS.glob("*.md")) if LAWS.exists() else [])
def test_real_statutes_chunk_along_articles(name):
    doc = load_file(LAWS / name, LAWS)[0]
    chunker = Chunker(max_chars=420, overlap_chars=60, min_chars=80)
    chunks, outline, lines = chunker.split(doc)
    assert chunks
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        assert len(c.text) <= 420
    articles = re.findall(r"^第[一二三四五六七八九十百零]+条", doc.text, re.M)
    named = {o.path.rsplit(" > ", 1)[-1] for o in outline}
    assert set(articles) <= named  # every article of the statute is in the outline
    if re.search(r"^第[一二三四五六七八九十]+章", doc.text, re.M):
        assert any(re.match(r"第.+章 .+ > 第.+条", c.section) for c in chunks)


@needs_laws
def test_a_quoted_paragraph_is_named_down_to_the_clause():
    doc = load_file(LAWS / "产品质量法(2018-12-29).md", LAWS)[0]
    _, outline, lines = Chunker().split(doc)
    at = doc.text.index("本法所称产品是指")
    assert section_at(outline, lines, at, at + 10) == "第一章 总则 > 第二条第二款"
    at = doc.text.index("第十二条 产品质量应当检验合格")
    assert section_at(outline, lines, at, at + 20).endswith("第二章 产品质量的监督 > 第十二条")


def test_guide_numbering_nests_and_small_items_merge():
    text = ("青岛优品申报指南\n一、申报条件\n（一）企业条件\n1. 在城阳区登记注册满2年；\n2. 年销售额不低于2000万元；\n"
            "（二）产品条件\n1. 已进行标准自我声明公开；\n二、申报材料\n1. 申报书；\n2. 营业执照复印件。\n")
    chunks, outline, lines = Chunker(max_chars=60, overlap_chars=10, min_chars=40).split(parsed(text))
    paths = [o.path for o in outline]
    assert "一、申报条件 > （一）企业条件 > 1. 在城阳区登记注册满2年" in paths
    assert "二、申报材料 > 2. 营业执照复印件" in paths
    # the tiny list items of 二、申报材料 end up together, under their heading
    materials = [c for c in chunks if "申报书" in c.text]
    assert len(materials) == 1 and "营业执照复印件" in materials[0].text
    assert materials[0].section.startswith("二、申报材料")


def test_long_article_splits_at_sentences_with_overlap():
    sentences = [f"第{i}句规定了企业应当履行的第{i}项质量责任并留存相关记录。" for i in range(1, 40)]
    text = "第一章 总则\n第一条 " + "".join(sentences) + "\n第二条 本办法自发布之日起施行。"
    chunks, _, _ = Chunker(max_chars=200, overlap_chars=60, min_chars=50).split(parsed(text))
    article = [c for c in chunks if c.section.endswith("第一条")]
    assert len(article) > 3
    for c in article:
        assert len(c.text) <= 200
        assert c.text.endswith("。")  # cut at a sentence end
    assert article[1].start < article[0].end  # consecutive pieces overlap
    assert chunks[-1].section.endswith("第二条") or "第二条" in chunks[-1].text


def test_heading_labels():
    assert heading_label("第十二条 区长质量奖每两年评选一次。", 4) == "第十二条"
    assert heading_label("四、问：企业如何申报？", 5) == "四、问：企业如何申报"
    assert heading_label("二、申报条件", 5) == "二、申报条件"


GD = REALDATA / "gd-gov-services" / "policy.jsonl"


@pytest.mark.skipif(not GD.exists(), reason="../shared/realdata/gd-gov-services not present")
def test_real_service_guides_become_sections(tmp_path):
    records = [json.loads(line) for line in GD.read_text(encoding="utf-8").splitlines()[:50]]
    path = tmp_path / "gd.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    docs = load_file(path, tmp_path)
    assert len(docs) == 50
    doc = docs[0]
    assert doc.meta.title == records[0]["matter_name"]
    assert "【受理条件】" in doc.text and "【咨询电话】" in doc.text
    chunks, outline, _ = Chunker().split(doc)
    assert any(o.path == "【办理地点】" for o in outline)
    assert all(doc.text[c.start:c.end] == c.text for c in chunks)
    lines, title = guide_record_lines({"title": "x", "materials": ["a", "b"]})
    assert [line.text for line in lines] == ["x", "【申请材料】", "1. a", "2. b"]
    with pytest.raises(LoadError):
        (tmp_path / "e.jsonl").write_text("\n")
        load_file(tmp_path / "e.jsonl", tmp_path)


def test_question_and_answer_documents_are_chunked_as_pairs():
    text = ("常见问题\n一、区长质量奖\n一、问：区长质量奖多久评一次？\n答：每两年评选一次。\n"
            "二、问：奖金能发给员工吗？\n答：可以部分用于奖励对质量工作作出贡献的人员。\n"
            "问：没有编号的问题也成对吗？\n答：成对。\n问：第二个无编号问题？\n答：也成对。")
    chunks, _, _ = Chunker(max_chars=420, overlap_chars=60, min_chars=80).split(parsed(text))
    pairs = [c for c in chunks if "问：" in c.text]
    assert len(pairs) == 4
    for c in pairs:
        assert c.text.count("问：") == 1 and c.text.count("答：") == 1  # one question, with its own answer
        assert c.section.rsplit(" > ", 1)[-1].lstrip("一二、").startswith("问：")
    assert chunks[-1].text == "问：第二个无编号问题？\n答：也成对。"


def test_long_heading_labels_end_at_a_phrase():
    label = heading_label("二、支持企业开展质量管理体系认证、产品认证和国际互认、知识产权保护等工作的具体措施", 5)
    assert label == "二、支持企业开展质量管理体系认证、产品认证和国际互认…"


def test_numbered_parts_above_articles_hold_their_articles():
    # A policy's parts are numbered like list items (一、 二、) but hold articles: 二、 must not nest under the
    # article before it, and a chunk names the articles it holds.
    text = ("为支持企业发展，制定以下政策措施。\n一、支持企业扩容增量\n第一条 营业收入首次突破10亿元的，奖励100万元。\n"
            "第二条 技术改造项目按设备投资额的10%给予补助。\n二、支持企业提质升级\n第三条 主导制定国家标准的，每项奖励30万元。\n"
            "第四条 首次获得管理体系认证的，每张证书最高2万元。\n")
    chunks, outline, lines = Chunker(max_chars=120, overlap_chars=10, min_chars=20).split(parsed(text))
    paths = [o.path for o in outline]
    assert "二、支持企业提质升级 > 第三条" in paths
    assert not any(p.startswith("一、支持企业扩容增量 > 第二条 > ") for p in paths)
    at = text.index("营业收入")
    assert section_at(outline, lines, at, at + 4) == "一、支持企业扩容增量 > 第一条"
    first = next(c for c in chunks if "营业收入" in c.text)
    assert first.section == "一、支持企业扩容增量 > 第一条至第二条"
    assert "二、支持企业提质升级" not in first.text  # the next part's heading opens its own chunk


def test_list_items_inside_an_article_stay_items():
    # 一、 items that are sentences inside an article keep their list rank, even the last one before the
    # next article.
    text = ("第五条 生产者应当遵守下列规定：\n一、标明产品名称；\n二、标明生产厂厂名和厂址；\n"
            "第六条 销售者应当建立进货检查验收制度。\n")
    _, outline, _ = Chunker(max_chars=60, overlap_chars=10, min_chars=20).split(parsed(text))
    paths = [o.path for o in outline]
    assert "第五条 > 二、标明生产厂厂名和厂址" in paths
    assert "第六条" in paths
