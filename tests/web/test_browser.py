"""The whole loop in a real browser: HQ sends a post, workers fan it out, a local manager approves it.

A real uvicorn server and a real arq worker run as subprocesses against the test database and
Redis; Debian's Chromium drives the UI through Playwright.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.factories import PASSWORD, make_network

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path("/tmp")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture
async def live_server(database, settings) -> AsyncIterator[str]:
    """A real web server and a real worker on the test database and Redis; their base URL."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    pytest.importorskip("playwright")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PIEUVRE_BASE_URL": base_url}
    logs = Path(tempfile.mkdtemp(prefix="pieuvre-browser-"))
    processes: list[subprocess.Popen] = []
    try:
        with open(logs / "server.log", "wb") as server_log, open(logs / "worker.log", "wb") as worker_log:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "hub.app:create_app", "--host", "127.0.0.1",
                 "--port", str(port)], cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT))
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "hub.cli", "worker"],
                cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    if (await client.get(f"{base_url}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or processes[0].poll() is not None:
                    pytest.fail(f"the web server did not start:\n{_tail(logs / 'server.log')}")
                await asyncio.sleep(0.2)
        if processes[1].poll() is not None:
            pytest.fail(f"the worker did not start:\n{_tail(logs / 'worker.log')}")
        yield base_url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _log_in(page, email: str) -> None:
    await page.goto("/login")
    await _submit_login(page, email)


async def _submit_login(page, email: str) -> None:
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("[data-testid=login-form] button[type=submit]")


async def log_in_in_english(page, email: str) -> None:
    """Open the login page, switch the UI to English (test users' own setting is French), log in."""
    from playwright.async_api import expect

    await page.goto("/login")
    # The switch redirects back to /login: wait for it, or the next navigation aborts it.
    async with page.expect_navigation():
        await page.click("a[hreflang=en]")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await _submit_login(page, email)


async def test_hq_sends_a_post_and_a_local_manager_approves_it_in_place(database, settings, live_server):
    from playwright.async_api import async_playwright, expect

    network = await make_network(database, settings, locations=5)
    local_location = network.locations[0]

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            # A CSP violation (inline style or script) or a failed request shows up as a console error.
            console_errors: list[str] = []
            page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))

            # --- HQ: log in (in English: the users' own setting is French), create a campaign and a post.
            await log_in_in_english(page, network.hq_email)
            await expect(page).to_have_url(f"{live_server}/campaigns")

            await page.fill("#campaign-name", "Printemps des vélos")
            await page.select_option("#campaign-objective", "promotion")
            await page.click("[data-testid=campaign-form] button[type=submit]")
            await expect(page.locator("h1")).to_have_text("Printemps des vélos")

            await page.fill("#post-body", "Le printemps arrive à {city} ! Réservez votre essai au {phone}.")
            await page.click("[data-testid=create-post]")
            await expect(page.locator("[data-testid=post]")).to_have_count(1)

            # --- Send it: the progress bar follows the worker's fan-out until every location has its proposal.
            await page.click("[data-testid=send]")
            progress = page.locator("[data-testid=distribution-progress]")
            await expect(progress).to_have_attribute("data-status", "done", timeout=30_000)
            await expect(progress.locator("[data-testid=distribution-count]")).to_have_text("5/5")
            await expect(page.locator("[data-testid=post-status] .badge")).to_have_attribute("data-status", "distributed")
            assert await progress.locator("progress").get_attribute("value") == "5"
            # The funnel below came along with the last poll (out-of-band swap).
            await expect(page.locator("[data-testid=funnel-table] tr[data-step=proposed] td.num").first).to_have_text("5")
            await expect(page.locator("[data-testid=proposals-grid] tbody tr")).to_have_count(5)
            await page.evaluate("window.scrollTo(0, 0)")
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-campaign.png"), full_page=True)

            await page.click("[data-testid=logout]")
            await expect(page).to_have_url(f"{live_server}/login")

            # --- The local manager: inbox, keyboard to the proposal, approve in place.
            await _log_in(page, network.local_emails[local_location.id])
            await expect(page).to_have_url(f"{live_server}/inbox")
            await expect(page.locator("[data-testid=inbox-item]")).to_have_count(1)
            await page.keyboard.press("j")
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"{live_server}/proposals/*")
            await expect(page.locator(".netcard--facebook")).to_contain_text("Le printemps arrive à Ville0")

            address = page.url
            await page.evaluate("window.pieuvreMarker = 'still the same page'")
            status = page.locator("[data-testid=proposal-status]")
            await expect(status).to_have_attribute("data-status", "pending")
            await page.click("[data-testid=approve]")
            await expect(status).to_have_attribute("data-status", "approved")
            assert page.url == address
            assert await page.evaluate("window.pieuvreMarker") == "still the same page"
            await expect(page.locator("[data-testid=publications]")).to_contain_text("Facebook")
            await page.evaluate("window.scrollTo(0, 0)")
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-proposal.png"), full_page=True)

            # --- The worker publishes it into the location's sandbox feed.
            await page.goto(f"/sandbox/{local_location.id}")
            await expect(page.locator("[data-testid=sandbox-flag]")).to_be_visible()
            feed = page.locator("[data-testid=sandbox-feed] li")
            # The publishing cron looks every 5 s; on a loaded CI machine the worker can lag far
            # behind, so wait up to two minutes before calling it a failure.
            for _ in range(240):
                if await feed.count() >= 2:
                    break
                await asyncio.sleep(0.5)
                await page.reload()
            await expect(feed).to_have_count(2)
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-sandbox.png"), full_page=True)

            assert not console_errors, console_errors
        finally:
            await browser.close()
