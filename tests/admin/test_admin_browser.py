"""The admin page in a real browser (Debian chromium, headless): sign in, upload with inferred metadata,
watch the re-index progress, ask a question the new document answers, retire a document, read the log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import ADMIN_PASSWORD, ADMIN_USER, ROOT, policy_text, unique_tag

CHROMIUM = Path("/usr/bin/chromium")
GOLDEN = """
single:
  - id: b1
    question: 区长质量奖最多奖多少钱？
    expect_docs: [policies/城阳区区长质量奖管理办法.md]
    key_facts: ["50万元"]
  - id: b2
    question: 区里对火星基地建设有什么补贴？
    answerable: false
"""
OUT = ROOT / "test-output"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")]


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        # Expected 401s (signed out) aside, every request the page makes must succeed.
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and r.status != 401 else None)
        page.problems = problems
        yield page
        browser.close()


def test_admin_page_end_to_end(admin_settings, service_factory, browser_page, tmp_path):
    OUT.mkdir(exist_ok=True)
    golden = tmp_path / "golden.yaml"
    golden.write_text(GOLDEN, encoding="utf-8")
    svc = service_factory(admin_settings, ASSISTANT_REINDEX_EMBEDDING_BATCH_SIZE="2", ASSISTANT_REINDEX_EVAL="1",
                          ASSISTANT_EVAL_GOLDEN=str(golden))
    page = browser_page
    page.set_default_timeout(30_000)

    response = page.goto(svc.url + "/admin")
    assert response.status == 401  # the page is refused until an admin signs in…
    page.wait_for_selector("#signin-form", state="visible")  # …and offers the sign-in form
    assert page.locator("#app").is_hidden()

    page.fill("#username", ADMIN_USER)
    page.fill("#password", "wrong-password")
    page.click("#signin-submit")
    page.wait_for_selector("#signin-error:has-text('用户名或密码不正确')")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("#signin-submit")
    page.wait_for_selector("#app", state="visible")
    page.wait_for_selector("#docs-body tr")
    assert page.locator("#docs-body tr").count() == 6
    assert page.locator("#who").inner_text() == f"管理员：{ADMIN_USER}"
    # An index built with this version's dictionary raises no rebuild warning.
    assert page.locator("#flash").is_hidden() or "分词词典" not in page.locator("#flash").inner_text()
    # Dates are asked for the Chinese way, and 已索引 / dates never wrap inside their cells.
    assert "年-月-日" in page.locator("#f-from").get_attribute("placeholder")
    first_row = page.locator("#docs-body tr").first
    for col in (4, 6):
        cell = first_row.locator(f"td:nth-child({col})")
        assert cell.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
        assert cell.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    page.screenshot(path=str(OUT / "admin-1-documents.png"), full_page=True)

    # Upload: the form is prefilled from the text, the admin edits it, saves, and the re-index starts.
    tag = unique_tag()
    upload = tmp_path / f"{tag}扶持办法.md"
    upload.write_text(policy_text(tag, 10), encoding="utf-8")
    page.click(".tab[data-tab=upload]")
    page.set_input_files("#upload-files", str(upload))
    card = page.locator("#upload-cards .card").first
    card.wait_for()
    title = card.locator("input[name=title]")
    assert title.input_value() == f"城阳区{tag}专项扶持办法"
    assert card.locator("input[name=issue_date]").input_value() == "2024-03-01"
    assert card.locator("input[name=doc_number]").input_value().startswith("青城测发〔2024〕")
    title.fill(f"城阳区{tag}专项扶持办法（试行）")
    card.locator("label.check", has_text="质量提升").locator("input").check()
    page.screenshot(path=str(OUT / "admin-2-upload.png"), full_page=True)
    assert page.locator("#upload-reindex").is_checked()
    page.click("#upload-save")

    # Progress is visible while the build runs, then the job completes.
    page.wait_for_selector("#tab-index", state="visible")
    page.wait_for_selector("#job-count:has-text('/')", timeout=60_000)
    seen = page.locator("#job-count").inner_text()
    assert re.search(r"(解析文档|计算向量|写入索引)：\d+ / \d+", seen), seen
    page.screenshot(path=str(OUT / "admin-3-progress.png"), full_page=True)
    page.wait_for_selector("#job-stage:has-text('已完成')", timeout=120_000)
    assert "索引完成" in page.locator("#job-summary").inner_text()
    # The golden evaluation ran after the switch; its figures are shown (the first run has nothing to compare).
    page.wait_for_selector("#eval-body tr:has-text('召回率@5')")
    assert "第一次评测" in page.locator("#eval-note").inner_text()

    # The new document answers a question.
    page.fill("#try-question", f"{tag}项目第4类申报主体可以获得多少奖励？")
    page.click("#try-form button[type=submit]")
    page.wait_for_selector(f"#try-citations li:has-text('{tag}专项扶持办法（试行）')", timeout=60_000)
    assert "12万元" in page.locator("#try-answer").inner_text()
    page.screenshot(path=str(OUT / "admin-4-answer.png"), full_page=True)

    # Retire a document from the list (the page asks for a note), then read the audit log.
    page.on("dialog", lambda dialog: dialog.accept("测试废止"))
    page.click(".tab[data-tab=docs]")
    row = page.locator("#docs-body tr", has_text="城阳区知识产权促进资助办法")
    row.locator("button", has_text="废止").click()
    page.wait_for_selector("#flash:has-text('已废止')")
    page.wait_for_selector("#docs-body tr:has-text('城阳区知识产权促进资助办法') .badge:has-text('已废止')")
    page.wait_for_selector("#docs-body tr:has-text(\"%s\") td:has-text('已索引')" % f"{tag}专项扶持办法（试行）")

    # The document dialog: edit a field, replace with a new version, see both versions.
    new_title = f"{tag}专项扶持办法（试行）"
    page.locator("#docs-body tr", has_text=new_title).locator("button", has_text="详情/编辑").click()
    page.wait_for_selector("#doc-dialog[open]")
    page.wait_for_selector("#dlg-versions tr:has-text('v1（当前）')")
    page.locator("#dlg-meta textarea[name=note]").fill("浏览器测试备注")
    page.click("#dlg-save")
    page.wait_for_selector("#flash:has-text('已保存')")
    revised = tmp_path / f"{tag}扶持办法（修订）.md"
    revised.write_text(policy_text(tag, 4, title=f"城阳区{tag}专项扶持办法（修订）"), encoding="utf-8")
    page.set_input_files("#dlg-file", str(revised))
    page.wait_for_selector("#dlg-replace-actions", state="visible")
    assert page.locator("#dlg-replace input[name=title]").input_value() == f"城阳区{tag}专项扶持办法（修订）"
    assert page.locator("#dlg-replace textarea[name=note]").input_value() == "浏览器测试备注"  # kept from v1
    assert page.locator("#dlg-replace label.check", has_text="质量提升").locator("input").is_checked()
    page.click("#dlg-replace-save")
    page.wait_for_selector("#flash:has-text('已替换为新版本 v2')")
    page.wait_for_selector("#dlg-versions tr:has-text('v2（当前）')")
    assert page.locator("#dlg-versions tr", has_text="v1").locator(".badge").inner_text() == "已修订"
    page.screenshot(path=str(OUT / "admin-5-versions.png"), full_page=True)
    page.click("#doc-dialog .dialog-close button")

    page.click(".tab[data-tab=audit]")
    page.wait_for_selector("#audit-body tr:has-text('废止')")
    page.wait_for_selector("#audit-body tr:has-text('替换新版本')")
    assert page.locator("#audit-body tr", has_text="上传").count() >= 1
    assert page.locator("#audit-body tr", has_text=f"{tag}专项扶持办法（试行）").count() >= 1
    page.screenshot(path=str(OUT / "admin-6-audit.png"), full_page=True)

    # Sign out: the API refuses the browser again.
    page.click("#logout")
    page.wait_for_selector("#signin-form", state="visible")
    assert page.evaluate("fetch('/api/admin/me').then(r => r.status)") == 401
    assert page.problems == [], page.problems


def _mark_stale(index_dir: Path) -> None:
    """The served build as if cut with an older dictionary (an upgrade changed userdict.txt since)."""
    import json

    from assistant.store import current_build_dir

    manifest = current_build_dir(index_dir) / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["lexicon"] = "0" * 16
    manifest.write_text(json.dumps(data), encoding="utf-8")


def test_an_index_cut_with_another_dictionary_asks_the_admin_to_rebuild(admin_settings, service_factory, browser_page):
    _mark_stale(admin_settings.index_dir)
    svc = service_factory(admin_settings)
    page = browser_page
    page.set_default_timeout(30_000)
    page.goto(svc.url + "/admin")
    page.wait_for_selector("#signin-form", state="visible")
    page.fill("#username", ADMIN_USER)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("#signin-submit")
    page.wait_for_selector("#flash:has-text('分词词典')", state="visible")
    assert "重新索引" in page.locator("#flash").inner_text()
    assert page.locator("#docs-body tr").count() == 6  # the last good index is still served
