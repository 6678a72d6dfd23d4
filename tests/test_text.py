"""assistant/text.py: the normalized document text every offset refers to."""

from assistant.text import normalize_document_text, split_sentences


def test_paragraph_breaks_flattened_into_blanks_are_restored():
    # A web page's paragraphs, indented with 　　 and run into one line by extraction.
    page = ("现将有关事项通知如下：　　一、服务对象和内容　　（一）服务对象。有外出务工需要的人员。"
            "　　（二）服务内容。免费出具健康申报证明。")
    text = normalize_document_text(page)
    assert text.split("\n") == ["现将有关事项通知如下：", "一、服务对象和内容", "（一）服务对象。有外出务工需要的人员。",
                                "（二）服务内容。免费出具健康申报证明。"]
    # so a heading is a sentence of its own, not the head of the next item's sentence
    assert "一、服务对象和内容" in [text[s:e] for s, e in split_sentences(text)]


def test_blanks_inside_a_line_stay():
    form = "账户名称：北京市丰台区红十字会 账    号：11001016200053005956 开 户 行：建设银行丰台支行"
    assert normalize_document_text(form) == form
    # a decimal or a date after blanks is not a list item
    assert "\n" not in normalize_document_text("增速不低于  20.5%，自  2020年2月起执行")
