"""The /check page in a real browser (Debian's chromium driven by Playwright) against a live server over
the shipped corpus: fill the form, see the verdicts with ✓ ✗ ? per condition, open a cited article, and keep
the profile in the browser only when the user asks for it."""

from __future__ import annotations

import re
import pytest
from playwright.sync_api import expect
from support import SHOTS, serve_in_thread

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def base_url(shipped_index, make_settings, tmp_path_factory, engine):
    settings = make_settings(tmp_path_factory.mktemp("check-browser"), index_dir=shipped_index.index_dir)
    yield from serve_in_thread(settings, engine)


@pytest.fixture
def context(browser, base_url):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=base_url)
    yield ctx
    ctx.close()


def _page(context):
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "422" not in msg.text else None)
    return pg, errors


def _card(pg, name: str):
    return pg.locator(f'.program-card[data-program="{name}"]')


def test_fill_form_see_verdicts_open_citation(context):
    pg, errors = _page(context)
    pg.goto("/")
    pg.click('a[href="/check"]')
    pg.wait_for_selector("#f-registered_on")
    # only the fields some rule uses are asked, grouped in plain Chinese
    expect(pg.locator("legend", has_text="信用与合规")).to_be_visible()
    pg.fill("#f-region", "青岛市城阳区")
    pg.fill("#f-registered_on", "2018-05-10")
    pg.select_option("#f-independent_legal_person", "true")
    pg.select_option("#f-business_type", "product")
    pg.fill("#f-annual_sales_wan", "2600")
    pg.select_option("#f-registered_trademark", "false")
    pg.select_option("#f-standard_self_declared", "true")
    pg.fill("#f-accidents", "无")
    pg.fill("#as-of", "2026-11-24")
    pg.click("#run-check")
    card = _card(pg, "青岛优品")
    expect(card).to_have_attribute("data-verdict", "not_eligible")
    expect(card.locator(".verdict")).to_have_text("不符合条件")
    unmet = card.locator('.condition[data-status="unmet"]')
    expect(unmet).to_have_count(1)
    expect(unmet.locator(".mark")).to_have_text("✗")
    expect(unmet.locator(".cond-text")).to_contain_text("有效注册商标")
    expect(card.locator('.condition[data-status="met"] .mark').first).to_have_text("✓")
    expect(card.locator('.condition[data-status="unknown"] .mark').first).to_have_text("?")
    # programmes are sorted by verdict: every eligible card comes before the first not_eligible one
    verdicts = pg.locator(".program-card").evaluate_all("cards => cards.map(c => c.dataset.verdict)")
    order = {"eligible": 0, "need_info": 1, "not_eligible": 2}
    assert [order[v] for v in verdicts] == sorted(order[v] for v in verdicts)
    pg.screenshot(path=str(SHOTS / "check-verdicts.png"))
    # the citation opens the same document viewer the chat uses, on the cited clause
    unmet.locator(".cite-link").click()
    expect(pg.locator("#viewer")).to_be_visible()
    expect(pg.locator("#viewer-title")).to_have_text("2026年“青岛优品”申报指南（城阳区）")
    expect(pg.locator("#cited-span")).to_have_text("申报产品拥有有效注册商标")
    pg.screenshot(path=str(SHOTS / "check-citation.png"))
    assert not errors, errors
    # nothing was kept in the browser without consent
    assert pg.evaluate("() => localStorage.getItem('qpa-check-profile')") is None


def test_bad_input_is_named_and_consent_keeps_the_profile(context):
    pg, errors = _page(context)
    pg.goto("/check")
    pg.wait_for_selector("#f-annual_sales_wan")
    pg.fill("#f-annual_sales_wan", "-5")
    pg.click("#run-check")
    expect(pg.locator("#form-error")).to_contain_text("annual_sales_wan")
    expect(pg.locator("#form-error")).to_contain_text("不能为负数")
    expect(pg.locator('.check-field[data-field="annual_sales_wan"]')).to_have_class("check-field invalid")
    pg.fill("#f-annual_sales_wan", "1500")
    pg.check("#remember")
    pg.click("#run-check")
    expect(pg.locator(".program-card").first).to_be_visible()
    assert '"annual_sales_wan":1500' in pg.evaluate("() => localStorage.getItem('qpa-check-profile')")
    pg.reload()
    expect(pg.locator("#f-annual_sales_wan")).to_have_value("1500")
    expect(pg.locator("#remember")).to_be_checked()
    pg.click("#clear-profile")
    assert pg.evaluate("() => localStorage.getItem('qpa-check-profile')") is None
    assert not errors, errors


def test_helpdesk_draft_carries_the_check(context):
    pg, errors = _page(context)
    pg.goto("/helpdesk")
    pg.fill("#hd-question", "来电企业2017年在城阳注册，去年销售额2600万，没有注册商标，能报青岛优品吗？")
    pg.click("#hd-search")
    expect(pg.locator(".eligibility-notice")).to_contain_text("青岛优品")
    draft = pg.locator("#draft")
    expect(draft).to_have_value(re.compile("不符合申报条件"))
    assert "申报产品拥有有效注册商标" in draft.input_value()
    assert not errors, errors
