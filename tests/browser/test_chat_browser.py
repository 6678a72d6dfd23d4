"""The chat and help-desk pages in a real browser (Debian's chromium driven by Playwright) against a live
server on loopback, over the shipped corpus plus one hostile, repealed document. Screenshots of every page
go to test-output/browser/ for review."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3

import pytest
from playwright.sync_api import expect
from support import CORPUS, SHOTS, serve_in_thread

pytestmark = pytest.mark.browser

QUESTION = "区长质量奖的奖励标准是多少？"
TIMEOUT_MS = 20_000
DRAFT_START = re.compile(r"^尊敬的企业：")

# A repealed policy whose title and text try to run script: the pages must show all of it as text.
HOSTILE_TITLE = '城阳区质量信用<script>window.__xss=1</script>管理办法<img src=x onerror="window.__xss=2">'
HOSTILE_DOC = f"""---
title: '{HOSTILE_TITLE}'
doc_number: 城市监发〔2019〕3号
issuer: 青岛市城阳区市场监督管理局
issue_date: '2019-05-01'
effective_date: '2019-06-01'
status: 已废止
region: 青岛市城阳区
programs: [质量信用]
doc_type: 政策文件
sample: true
note: 本文件为示例文本，条款与金额为虚构，仅供演示
---

# 城阳区质量信用管理办法

第一条　为规范企业质量信用信息管理<script>window.__xss=3</script>，制定本办法。

第二条　企业质量信用等级评价结果分为A、B、C三级<img src=x onerror="window.__xss=4">，评价结果有效期为两年。

第三条　质量信用等级为A级的企业，优先推荐参加区长质量奖评选。
"""
HOSTILE_QUESTION = "企业质量信用等级评价结果分为几级？"


@pytest.fixture(scope="module")
def live_settings(shipped_index, make_settings, tmp_path_factory):
    """The shipped corpus plus the hostile document, indexed (the session's embedding cache makes it quick)."""
    from assistant.indexer import build_index

    tmp = tmp_path_factory.mktemp("browser")
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "policies" / "城阳区质量信用管理办法.md").write_text(HOSTILE_DOC, encoding="utf-8")
    settings = make_settings(tmp, corpus_dirs=[corpus])
    report = build_index(settings.corpus_dirs, settings.index_dir, settings)
    assert not report.skipped, report.skipped
    return settings


@pytest.fixture(scope="module")
def base_url(live_settings):
    from assistant.engine import Engine

    engine = Engine(live_settings)
    engine.load()
    yield from serve_in_thread(live_settings, engine)


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=base_url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield pg
    context.close()
    assert not errors, errors  # no script errors, no failed loads, no CSP violations


def shot(pg, name: str) -> None:
    if "/helpdesk" in pg.url:  # from the top, where the question, the first passages and the draft are
        pg.evaluate("() => { window.scrollTo(0, 0); document.querySelector('.hd-draft').scrollTop = 0; }")
    pg.screenshot(path=str(SHOTS / f"{name}.png"))


def ask_and_wait(pg, question: str, turn: int) -> None:
    pg.fill("#question", question)
    pg.press("#question", "Enter")
    pg.wait_for_selector(f"#turns > li:nth-child({turn}) .answer-footer")


def test_chat_streams_an_answer_with_citations_and_follow_up(page, live_settings):
    page.goto("/")
    assert page.locator("#welcome").is_visible()
    assert page.locator(".suggestion").count() >= 4
    assert page.locator("#sample-banner").is_visible()  # the shipped corpus is sample text
    shot(page, "chat-welcome")

    with page.expect_response(lambda r: r.url.endswith("/api/chat")) as response_info:
        page.locator(".suggestion", has_text=QUESTION).click()
    assert response_info.value.headers["content-type"].startswith("text/event-stream")
    turn = page.locator("#turns > li").nth(0)
    turn.locator(".answer-footer").wait_for()
    assert int(turn.get_attribute("data-deltas")) >= 2  # the text was shown piece by piece as it streamed
    assert not page.locator("#welcome").is_visible()

    answer = turn.locator(".answer-text")
    assert "50万元" in answer.inner_text()
    assert turn.locator(".cite").count() >= 2
    # One card per cited document, listing each place it is cited; as many places as citation marks.
    sources = turn.locator(".source")
    places = turn.locator(".source-place")
    assert places.count() == turn.locator(".cite").count()
    titles = [sources.nth(i).locator(".source-title").inner_text() for i in range(sources.count())]
    assert len(titles) == len(set(titles))
    first = sources.nth(0)
    assert "《城阳区区长质量奖管理办法》" in first.inner_text()
    assert "城政发〔2023〕12号" in first.inner_text() and "第十四条" in first.inner_text()
    assert first.locator(".badge.status-current").inner_text() == "现行"
    assert first.locator(".badge.sample").inner_text() == "示例"
    shot(page, "chat-answer")

    # A citation mark opens the document at the cited span, highlighted and in view.
    second_mark = turn.locator(".cite").nth(1)
    quote = turn.locator(f'.source-place[data-n="{second_mark.get_attribute("data-n")}"] .quote').inner_text()
    second_mark.click()
    mark = page.locator("#viewer mark.cited")
    mark.wait_for()
    assert mark.inner_text() == quote
    page.wait_for_function("""() => { const m = document.querySelector('#viewer mark.cited').getBoundingClientRect();
        const b = document.querySelector('#viewer .viewer-body').getBoundingClientRect();
        return m.top >= b.top && m.bottom <= b.bottom; }""")
    assert page.locator("#viewer .viewer-badges").inner_text().split() == ["现行", "示例"]
    shot(page, "chat-viewer")
    page.keyboard.press("Escape")
    assert page.locator("#viewer").is_hidden()

    # Copy answer puts the answer and its sources on the clipboard.
    turn.locator("button.copy").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(answer.inner_text().split("[")[0].strip()[:10]) and "参考来源：" in copied

    # A follow-up in the same conversation.
    conversation_id = page.evaluate("sessionStorage.getItem('qpa.conversation')")
    ask_and_wait(page, "那提名奖呢？", 2)
    second = page.locator("#turns > li").nth(1)
    assert "10万元" in second.locator(".answer-text").inner_text()
    assert page.evaluate("sessionStorage.getItem('qpa.conversation')") == conversation_id
    turns = page.request.get(f"/api/conversations/{conversation_id}").json()["turns"]
    assert [t["question"] for t in turns] == [QUESTION, "那提名奖呢？"]
    shot(page, "chat-follow-up")

    # Feedback is stored.
    second.locator(".fb-helpful").click()
    second.locator(".feedback-status", has_text="已收到反馈").wait_for()
    second.locator(".fb-correction").click()
    second.locator(".correction textarea").fill("提名奖每个奖励10万元，正确。")
    second.locator(".correction button[type=submit]").click()
    second.locator(".fb-correction.chosen").wait_for()
    with sqlite3.connect(live_settings.data_dir / "assistant.sqlite3") as conn:
        rows = conn.execute("SELECT rating, question, comment FROM feedback WHERE conversation_id = ?",
                            (conversation_id,)).fetchall()
    assert sorted(rows) == [("correction", "那提名奖呢？", "提名奖每个奖励10万元，正确。"), ("helpful", "那提名奖呢？", "")]

    # Reloading the page keeps the conversation.
    page.reload()
    page.locator("#turns > li:nth-child(2) .answer-footer").wait_for()
    assert page.locator("#turns > li").count() == 2


def test_helpdesk_draft_from_ticked_passages(page):
    page.goto("/helpdesk")
    page.fill("#hd-question", QUESTION)
    with page.expect_response(lambda r: r.url.endswith("/api/chat")):
        page.click("#hd-search")
    expect(page.locator("#draft")).to_have_value(DRAFT_START)
    passages = page.locator(".passage")
    assert passages.count() >= 5
    assert all(float(s) > 0 for s in passages.locator(".score").all_inner_texts())
    draft = page.input_value("#draft")
    assert draft.startswith("尊敬的企业：") and "依据《城阳区区长质量奖管理办法》" in draft and "第十四条" in draft
    shot(page, "helpdesk-draft")

    # Tick every passage, then untick the one the first draft was built on, and regenerate.
    page.click("#tick-all")
    cited = page.locator(".passage", has_text="第十四条").first
    unticked_chunk = cited.get_attribute("data-chunk")
    cited.locator(".tick").uncheck()
    with page.expect_response(lambda r: r.url.endswith("/api/chat")) as response_info:
        page.click("#regenerate")
    sent = json.loads(response_info.value.request.post_data)
    assert unticked_chunk not in sent["chunk_ids"] and len(sent["chunk_ids"]) == passages.count() - 1
    result = response_info.value.json()
    hits = page.request.post("/api/search", data={"query": QUESTION, "k": 10}).json()["hits"]
    ticked = [h for h in hits if h["chunk_id"] in sent["chunk_ids"]]
    for c in result["citations"]:  # every citation comes from a ticked passage
        assert any(h["doc_id"] == c["doc_id"] and h["start"] <= c["start"] and c["end"] <= h["end"] for h in ticked), c
    expect(page.locator("#draft-basis")).to_contain_text("已勾选")
    assert page.locator("#draft-citations .source").count() == len(result["citations"])

    # Staff edit the reply and copy it with its citation list.
    page.fill("#draft", page.input_value("#draft").replace("以上答复供参考", "以上答复经人工核对，供参考"))
    page.click("#copy-draft")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "经人工核对" in copied and "引用依据：\n[1] 《" in copied
    shot(page, "helpdesk-regenerated")


def hostile_chunk_id(pg) -> str:
    hits = pg.request.post("/api/search", data={"query": HOSTILE_QUESTION, "k": 10}).json()["hits"]
    return next(h["chunk_id"] for h in hits if h["status"] == "已废止" and "<script>" in h["title"])


def assert_nothing_ran(pg) -> None:
    assert pg.evaluate("() => [window.__xss, window.xss]") == [None, None]
    made = "main img, main script, #viewer img, #viewer script, .hd-columns img, .hd-columns script"
    assert pg.locator(made).count() == 0


def test_hostile_text_stays_text_in_chat(page):
    # Typed markup is shown as the question, literally.
    page.goto("/")
    typed = '<img src=x onerror="window.__xss=9"><script>window.__xss=8</script>' + HOSTILE_QUESTION
    ask_and_wait(page, typed, 1)
    assert page.locator("#turns .question").inner_text() == typed
    assert_nothing_ran(page)

    # A conversation whose answer cites the hostile, repealed document (built from that passage through the
    # API, as the help desk does), reopened by the page: the title shows literally and the source is marked.
    turn = page.request.post("/api/chat", data={"message": typed, "stream": False,
                                                "chunk_ids": [hostile_chunk_id(page)]}).json()
    assert turn["citations"] and turn["citations"][0]["status"] == "已废止"
    page.evaluate("id => sessionStorage.setItem('qpa.conversation', id)", turn["conversation_id"])
    page.reload()
    repealed = page.locator("#turns .source.is-repealed").first
    repealed.wait_for()
    assert "<script>window.__xss=1</script>" in repealed.inner_text()
    assert repealed.locator(".badge.status-repealed").inner_text() == "已废止"
    assert repealed.locator(".source-title").evaluate("e => getComputedStyle(e).textDecorationLine") == "line-through"
    assert "该文件已废止" in repealed.inner_text()
    shot(page, "xss-chat")
    repealed.locator(".source-open").click()
    page.locator("#viewer mark.cited").wait_for()
    viewer_text = page.locator("#viewer").inner_text()
    assert "<script>window.__xss=1</script>" in viewer_text and "<img src=x onerror=" in viewer_text
    assert page.locator("#viewer .badge.status-repealed").is_visible()
    shot(page, "xss-viewer")
    assert_nothing_ran(page)


def test_hostile_passage_in_helpdesk(page):
    page.goto("/helpdesk")
    page.fill("#hd-question", HOSTILE_QUESTION)
    page.click("#hd-search")
    expect(page.locator("#draft")).to_have_value(DRAFT_START)
    hostile = page.locator(f".passage[data-chunk='{hostile_chunk_id(page)}']")
    assert "<script>window.__xss=1</script>" in hostile.inner_text()
    assert hostile.locator(".badge.status-repealed").inner_text() == "已废止"
    page.click("#tick-none")
    hostile.locator(".tick").check()
    page.click("#regenerate")
    expect(page.locator("#draft-basis")).to_contain_text("已勾选的 1 个段落")
    cited = page.locator("#draft-citations .source.is-repealed").first
    assert "<script>" in cited.inner_text() and cited.locator(".badge.status-repealed").is_visible()
    assert "<script>window.__xss=1</script>" in page.input_value("#draft")  # the reply names it literally
    shot(page, "xss-helpdesk")
    assert_nothing_ran(page)


def test_phone_width(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN", base_url=base_url)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    try:
        pg.goto("/")
        no_sideways_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
        assert pg.evaluate(no_sideways_scroll)
        shot(pg, "phone-welcome")
        pg.locator(".suggestion").first.tap()
        pg.locator("#turns > li:nth-child(1) .answer-footer").wait_for()
        assert pg.evaluate(no_sideways_scroll)
        assert pg.locator("#question").is_visible() and pg.locator("#send").is_visible()
        shot(pg, "phone-answer")
        pg.locator(".cite").first.tap()
        pg.locator("#viewer mark.cited").wait_for()
        box = pg.locator("#viewer").bounding_box()
        assert box["x"] == 0 and box["width"] == 390  # full screen on a phone
        shot(pg, "phone-viewer")
        pg.goto("/helpdesk")
        pg.fill("#hd-question", QUESTION)
        pg.locator("#hd-search").tap()
        expect(pg.locator("#draft")).to_have_value(DRAFT_START)
        assert pg.evaluate(no_sideways_scroll)
        shot(pg, "phone-helpdesk")
    finally:
        context.close()
