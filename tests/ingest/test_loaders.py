"""Loaders per format, on files the tests create: text, metadata, headings, and refusals."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from assistant.ingest.loaders import LoadError, load_file


def write(tmp: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def test_markdown_front_matter_wins_and_headings_are_kept(tmp_path):
    path = write(tmp_path, "policies/办法.md", """---
title: 城阳区测试管理办法
doc_number: 城政发〔2026〕3号
status: 已修订
programs: [区长质量奖]
sample: true
---
# 城阳区测试管理办法

## 第一章 总则

第一条 为了**规范**管理，制定本办法。
""")
    [doc] = load_file(path, tmp_path)
    assert doc.meta.title == "城阳区测试管理办法"
    assert doc.meta.doc_number == "城政发〔2026〕3号"
    assert doc.meta.status == "已修订" and doc.meta.sample is True
    assert doc.meta.source == "policies/办法.md"
    assert "**" not in doc.text and "#" not in doc.text
    assert "第一条 为了规范管理，制定本办法。" in doc.text
    assert len(doc.headings) == 2  # the title and the chapter


def test_metadata_is_inferred_when_nothing_declares_it(tmp_path):
    path = write(tmp_path, "a.txt", "关于开展质量提升工作的通知\n青城政发〔2023〕12号\n各街道：\n"
                 "一、总体要求\n本通知自2023年4月1日起施行，有效期至2025年3月31日。\n青岛市城阳区人民政府\n2023年3月15日\n")
    [doc] = load_file(path, tmp_path)
    m = doc.meta
    assert m.title == "关于开展质量提升工作的通知"
    assert m.doc_number == "青城政发〔2023〕12号"
    assert m.issuer == "青岛市城阳区人民政府"
    assert (m.issue_date, m.effective_date, m.expiry_date) == ("2023-03-15", "2023-04-01", "2025-03-31")
    assert m.region == "青岛市城阳区" and "质量提升" in m.programs


def test_gbk_text_is_decoded_and_sidecar_metadata_applies(tmp_path):
    path = write(tmp_path, "指南.txt", "企业标准自我声明公开办事指南\r\n一、办理条件\r\n依法登记的企业。\r\n", encoding="gb18030")
    write(tmp_path, "指南.meta.yaml", "title: 自我声明指南\nstatus: 现行\nprograms: [企业标准自我声明公开]\n")
    [doc] = load_file(path, tmp_path)
    assert "依法登记的企业。" in doc.text and "\r" not in doc.text
    assert doc.meta.title == "自我声明指南" and doc.meta.programs == ["企业标准自我声明公开"]


def test_html_drops_page_furniture(tmp_path):
    path = write(tmp_path, "n.html", """<html><head><title>网页标题</title><script>alert(1)</script></head><body>
<div id="sidebar"><h3>热点链接</h3><ul><li>12315投诉</li></ul></div>
<div id="main"><h1>首席质量官培训通知</h1><p class="source">来源：区市场监管局　浏览次数：1024</p><h2>一、培训对象</h2><p>企业质量负责人。</p>
<table><tr><td>时间</td><td>2026年12月9日</td></tr></table></div><div class="footer">版权所有</div></body></html>""")
    [doc] = load_file(path, tmp_path)
    assert doc.meta.title == "首席质量官培训通知"
    assert "热点链接" not in doc.text and "版权所有" not in doc.text and "alert" not in doc.text
    assert "浏览次数" not in doc.text
    assert "一、培训对象\n企业质量负责人。" in doc.text
    assert "时间 | 2026年12月9日" in doc.text


def test_docx_headings_paragraphs_and_tables(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("区长质量奖申报指南", level=0)
    d.add_heading("一、申报条件", level=1)
    d.add_paragraph("1.在城阳区依法登记注册满5年；")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "阶段", "时间"
    table.cell(1, 0).text, table.cell(1, 1).text = "组织申报", "2026年11月1日至12月31日"
    buf = io.BytesIO()
    d.save(buf)
    path = write(tmp_path, "g.docx", buf.getvalue())
    [doc] = load_file(path, tmp_path)
    assert doc.meta.title == "区长质量奖申报指南"
    assert "一、申报条件\n1.在城阳区依法登记注册满5年；" in doc.text
    assert "组织申报 | 2026年11月1日至12月31日" in doc.text


def test_pdf_text_is_extracted(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "p.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("STSong-Light", 12)
    c.drawString(72, 760, "市级标准化试点申报指南")
    c.drawString(72, 740, "第一条 申报截止时间为2026年12月18日。")
    c.save()
    [doc] = load_file(path, tmp_path)
    assert "第一条 申报截止时间为2026年12月18日。" in doc.text


def test_pdf_lines_wrapped_at_the_page_width_are_one_paragraph(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "wrapped.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("STSong-Light", 12)
    rows = ["管理体系认证补贴申领指南", "二、补贴标准",  # a title and a heading: short, never joined
            "  1.首次获得管理体系认证的，按照认证费用的50%给予补贴，每张证书最高2万元，同一",  # wrapped mid-sentence
            "企业每年最高6万元。",
            "  2.证书复评、监督审核、换证不属于首次获得，不予补贴，国际产品认证另行规定，详见",
            "三、申领条件",  # a heading after a line that ran to the margin still starts its own line
            "  1.在城阳区依法登记注册，具有独立法人资格。"]
    for i, row in enumerate(rows):
        c.drawString(72, 760 - 20 * i, row)
    c.save()
    [doc] = load_file(path, tmp_path)
    lines = [ln.strip() for ln in doc.text.split("\n")]
    assert "1.首次获得管理体系认证的，按照认证费用的50%给予补贴，每张证书最高2万元，同一企业每年最高6万元。" in lines
    assert "二、补贴标准" in lines and "三、申领条件" in lines and "管理体系认证补贴申领指南" in doc.text
    assert any(ln.endswith("详见") for ln in lines)


def test_jsonl_gives_one_document_per_record_with_fields_as_sections(tmp_path):
    lines = [
        {"id": "g1", "title": "青岛优品申报", "conditions": "登记注册满2年", "materials": ["申报书", "营业执照复印件"],
         "phone": "0532-87650001", "programs": ["青岛优品"], "sample": True},
        {"id": "g2", "title": "商标注册", "place": "正阳路188号"},
    ]
    path = write(tmp_path, "guides/办事.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines))
    docs = load_file(path, tmp_path)
    assert [d.meta.source for d in docs] == ["guides/办事.jsonl#g1", "guides/办事.jsonl#g2"]
    assert len({d.meta.doc_id for d in docs}) == 2
    first = docs[0]
    assert first.meta.title == "青岛优品申报" and first.meta.programs == ["青岛优品"] and first.meta.sample
    assert "【受理条件】\n登记注册满2年\n【申请材料】\n1. 申报书\n2. 营业执照复印件" in first.text


@pytest.mark.parametrize("name, data, reason", [
    ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "PDF"),
    ("fake.pdf", "这其实是文本".encode(), "不是有效的 PDF"),
    ("fake.docx", b"plain text, not a zip", "DOCX"),
    ("x.exe", b"MZ\x90\x00", "不支持的文件类型"),
    ("empty.md", b"   \n", "文件为空"),
    ("bad.jsonl", b'{"id": 1}\n{not json', "第 2 行"),
    ("binary.txt", b"\x00\x01\x02binary", "二进制"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path, name, data, reason):
    path = write(tmp_path, name, data)
    with pytest.raises(LoadError) as err:
        load_file(path, tmp_path)
    assert reason in str(err.value)


def test_docx_zip_bomb_is_refused_before_decompressing(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", "<w:document/>")
        zf.writestr("word/media/bomb.bin", b"\0" * (60 * 1024 * 1024))
    path = write(tmp_path, "bomb.docx", buf.getvalue())
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(LoadError, match="压缩炸弹"):
        load_file(path, tmp_path)
