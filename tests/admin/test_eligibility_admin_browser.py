"""The admin page shows a document's eligibility rules beside its source text and lets an admin mark one
`review` (real headless chromium against `assistant serve`)."""

from __future__ import annotations

import pytest

from .conftest import ROOT, sign_in_on_page
from .test_admin_browser import CHROMIUM, browser_page  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")]
MARK = "申报产品拥有有效注册商标"


def test_rules_beside_source_text(admin_settings, service_factory, browser_page):  # noqa: F811
    svc = service_factory(admin_settings)
    page = browser_page
    page.set_default_timeout(30_000)
    sign_in_on_page(page, svc.url)
    page.locator("#docs-body tr", has_text="青岛优品").locator("button", has_text="详情/编辑").click()
    page.wait_for_selector("#dlg-rules .rule-item")
    # the clause is marked in the source text, and its rule is listed beside it
    assert page.locator("#dlg-rules .rule-span", has_text=MARK).count() >= 1
    item = page.locator("#dlg-rules .rule-item", has_text=MARK).first
    assert "拥有有效注册商标" in item.locator(".rule-summary").inner_text()
    item.locator("button.mark-review").click()
    page.wait_for_selector(f"#dlg-rules .rule-item[data-kind=review]:has-text('{MARK}')")
    assert "人工更正" in page.locator("#dlg-rules .rule-item", has_text=MARK).first.inner_text()
    (ROOT / "test-output").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-output" / "admin-eligibility-rules.png"), full_page=True)
    assert not page.problems, page.problems
