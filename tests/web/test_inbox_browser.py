"""The inbox in a real browser: a manager of two locations moves with j/k, selects with x, Shift-click
and "select all", approves one row with "a" and the selection with Shift+A, all in place.

Uses test_browser.py's live server (a real uvicorn and arq worker) and Debian's Chromium.
"""

from __future__ import annotations

import pytest

from tests.web.test_browser import (  # noqa: F401
    log_in_in_english,
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    live_server,
)
from tests.web.test_inbox import MANAGER, build_inbox

pytestmark = pytest.mark.browser


async def test_a_manager_decides_from_the_keyboard_without_leaving_the_inbox(database, settings, live_server):  # noqa: F811
    from playwright.async_api import async_playwright, expect

    # Nothing overdue: the live worker's deadline cron (second 0 of each minute) would expire it mid-test.
    inbox = await build_inbox(database, settings, overdue=False)
    first, second, _ = inbox.locations
    order = [inbox.summer[first.id], inbox.summer[second.id], inbox.spring[first.id], inbox.spring[second.id]]

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                                locale="en-GB")
            page = await context.new_page()
            console_errors: list[str] = []
            page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
            await log_in_in_english(page, MANAGER)
            await expect(page).to_have_url(f"{live_server}/inbox")
            rows = page.locator("[data-testid=inbox-row]")
            await expect(rows).to_have_count(4)
            assert [await rows.nth(index).get_attribute("data-id") for index in range(4)] == order
            await page.evaluate("window.pieuvreMarker = 'same page'")

            # "?" shows the shortcuts, again hides them.
            await page.keyboard.press("?")
            await expect(page.locator("[data-testid=shortcuts]")).to_be_visible()
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-inbox-shortcuts.png"))
            await page.keyboard.press("?")
            await expect(page.locator("[data-testid=shortcuts]")).to_be_hidden()

            # j twice: the second row is the current one; x selects it.
            await page.keyboard.press("j")
            await page.keyboard.press("j")
            await expect(rows.nth(1)).to_have_class("inbox-row inbox-row--todo is-current")
            await page.keyboard.press("x")
            await expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
            await expect(page.locator("[data-testid=bulk-approve]")).to_have_text("Approve 1 selected")
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-inbox.png"), full_page=True)

            # j then a: the third row is approved in place, its badge changes and it stays current.
            await page.keyboard.press("j")
            await page.keyboard.press("a")
            third = page.locator(f"#row-{order[2]}")
            await expect(third.locator(".badge")).to_have_attribute("data-status", "approved")
            await expect(third).to_have_class("inbox-row is-current")
            await expect(third.locator("[data-select-row]")).to_have_count(0)

            # Select all the pending ones, unselect all, then pick a range with Shift-click.
            select_all = page.locator("[data-testid=select-all]")
            await select_all.check()
            await expect(page.locator("[data-select-row]:checked")).to_have_count(3)
            await select_all.uncheck()
            await expect(page.locator("[data-select-row]:checked")).to_have_count(0)
            await rows.nth(0).locator("[data-select-row]").click()
            await rows.nth(3).locator("[data-select-row]").click(modifiers=["Shift"])
            await expect(page.locator("[data-select-row]:checked")).to_have_count(3)
            await expect(select_all).to_be_checked()

            # Shift+A approves the selection: the rows come back approved, a toast says how many.
            await page.keyboard.press("Shift+A")
            await expect(page.locator("[data-testid=inbox-toast]")).to_contain_text("3 proposal(s) approved.")
            for index in range(4):
                await expect(rows.nth(index).locator(".badge")).to_have_attribute("data-status", "approved")
            assert page.url == f"{live_server}/inbox"
            assert await page.evaluate("window.pieuvreMarker") == "same page"
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-inbox-approved.png"), full_page=True)

            # The filter bar swaps the rows only.
            await page.select_option("#network-filter", "instagram")
            await expect(rows).to_have_count(2)
            await expect(page).to_have_url(f"{live_server}/inbox?status=&campaign=&network=instagram")
            assert await page.evaluate("window.pieuvreMarker") == "same page"

            # Enter opens the current row's proposal.
            await page.keyboard.press("j")
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"{live_server}/proposals/{inbox.spring[first.id]}")
            assert not console_errors, console_errors
        finally:
            await browser.close()
