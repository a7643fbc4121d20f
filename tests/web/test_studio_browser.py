"""The brand studio in a real browser: HQ sets the brand kit, fills the library, writes a post while the
preview follows (counter, findings, rendered image), and a location sees its own wording checked live.

Uses test_browser.py's live server (a real uvicorn and arq worker) and Debian's Chromium.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from hub.media.samples import logo_png, photo_png
from tests.factories import make_network
from tests.web.test_browser import (  # noqa: F401
    log_in_in_english,
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    _log_in,
    live_server,
)

pytestmark = pytest.mark.browser


def _file(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


async def test_hq_writes_a_post_and_the_preview_follows_without_reloading(database, settings, live_server):  # noqa: F811
    from playwright.async_api import async_playwright, expect

    network = await make_network(database, settings, locations=3, networks=("facebook", "instagram", "x"))
    files = Path(tempfile.mkdtemp(prefix="pieuvre-studio-"))
    photo = _file(files, "vélo-au-soleil.png", photo_png(1600, 1200))
    logo = _file(files, "logo.png", logo_png())

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(base_url=live_server, viewport={"width": 1360, "height": 900})
            page = await context.new_page()
            console_errors: list[str] = []
            page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))

            await log_in_in_english(page, network.hq_email)
            await expect(page).to_have_url(f"{live_server}/campaigns")

            # --- The brand kit: a banned term, a limit, the logo.
            await page.click("nav.mainnav a[href='/brand-kit']")
            await expect(page.locator("h1")).to_have_text("Brand kit")
            await page.set_input_files("#logo input[type=file]", logo)
            await page.click("#logo button[type=submit]")
            await expect(page.locator("[data-testid=logo] img")).to_be_visible()
            await page.fill("#banned-0-term", "pas cher")
            await page.fill("#banned-0-replacement", "petit prix")
            await page.fill("#banned-0-languages", "fr")
            await page.click("[data-add-row=banned]")  # one more row, added in place
            await expect(page.locator("[data-testid=banned-row]")).to_have_count(3)
            await page.fill("#banned-2-term", "promo")
            await page.fill("#banned-2-replacement", "offre")
            await page.fill("#mention-0-text", "#VeloLumiere")
            await page.click("label.chipcheck--instagram:has(input[name=mention-0-networks])")
            await page.fill("#max_exclamation_marks", "1")
            await page.select_option("#formality-fr", "vous")
            await page.fill("#palette-primary", "#1D3557")
            await expect(page.locator("input.swatch[data-colour-for=palette-primary]")).to_have_value("#1d3557")
            await page.click("[data-testid=save-kit]")
            await expect(page.locator("[data-testid=kit-notice]")).to_be_visible()
            await expect(page.locator("#banned-1-term")).to_have_value("promo")  # saved rows are numbered again
            await expect(page.locator("[data-testid=kit-sample]")).to_be_visible()
            await page.evaluate("window.scrollTo(0, 0)")
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-studio-brandkit.png"))
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-studio-brandkit-full.png"), full_page=True)

            # --- The library: one photo, and an SVG refused in place.
            await page.click("nav.mainnav a[href='/media']")
            await page.set_input_files("#media-file", photo)
            await page.click("[data-testid=upload]")
            await expect(page.locator("[data-testid=library-item]")).to_have_count(2)  # the photo and the logo
            await page.set_input_files("#media-file", _file(files, "dessin.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"))
            await page.click("[data-testid=upload]")
            await expect(page.locator("[data-testid=upload-refused]")).to_contain_text("SVG and other formats are refused")
            console_errors.remove("Failed to load resource: the server responded with a status of 415 (Unsupported Media Type)")
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-studio-media.png"), full_page=True)

            # --- A campaign, then the editor: the preview follows the typing.
            await page.goto("/campaigns")
            await page.fill("#campaign-name", "Printemps des vélos")
            await page.click("[data-testid=campaign-form] button[type=submit]")
            await expect(page.locator("h1")).to_have_text("Printemps des vélos")
            await expect(page.locator("[data-testid=post-preview] .empty")).to_be_visible()
            await page.evaluate("document.getElementById('new-post').scrollIntoView()")
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-studio-editor-empty.png"))
            await page.evaluate("window.pieuvreMarker = 'no reload'")
            await page.check("input[name=networks][value=x]")
            await page.click("#post-body")
            await page.keyboard.type("Le printemps arrive à {city} ! Vélos pas cher, essais gratuits !! #VeloLumiere")
            facebook = page.locator("[data-testid=preview-facebook]")
            await expect(facebook.locator("mark.finding--error")).to_have_text("pas cher")
            await expect(facebook.locator("mark.var")).to_have_text("Ville0")
            await expect(page.locator("[data-testid=preview-for]")).to_contain_text("Vélo Lumière 0")
            await expect(page.locator("[data-testid=preview-findings-facebook]")).to_contain_text("petit prix")
            x_counter = page.locator("[data-testid=usage-x] .usage-count")
            await expect(x_counter).to_contain_text("/ 280")
            before = await x_counter.inner_text()
            await page.keyboard.type(" Rendez-vous en boutique.")
            await expect(x_counter).not_to_have_text(before)

            # A banned term is fixed in one click, and the preview follows.
            await page.click("[data-testid=preview-findings-facebook] .fix-btn")
            await expect(page.locator("#post-body")).to_have_value(re.compile("Vélos petit prix, essais"))
            await expect(facebook.locator("mark.finding--error")).to_have_count(0)
            await expect(facebook.locator("mark.finding--warning")).to_have_text("!!")

            # The photo and the image texts: each network gets its rendered image.
            await page.click(".editor-image > summary")
            await page.click(".photo-choice:not(.photo-choice--none)")
            await page.fill("#image-headline", "Le printemps à {city}")
            await page.fill("#image-cta", "Réservez un essai")
            x_image = page.locator("[data-testid=preview-x] img[data-testid=preview-image]")
            await expect(x_image).to_have_attribute("src", re.compile(r"^/renders/[0-9a-f]{64}\.jpg$"))
            await page.wait_for_function(
                "() => { const i = document.querySelector('[data-testid=preview-x] img[data-testid=preview-image]');"
                " return i && i.complete && i.naturalWidth === 1200 && i.naturalHeight === 675; }")
            instagram_image = page.locator("[data-testid=preview-instagram] img[data-testid=preview-image]")
            await expect(instagram_image).to_have_attribute("src", re.compile(r"^/renders/"))
            assert await page.evaluate("window.pieuvreMarker") == "no reload"
            await page.evaluate("document.getElementById('new-post').scrollIntoView()")
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-studio-editor.png"))

            # Fix the findings, and the form creates the post with its image.
            await page.fill("#post-body", "Le printemps arrive à {city}. Essais gratuits en boutique. #VeloLumiere")
            await expect(facebook.locator("mark.finding")).to_have_count(0)
            await expect(facebook.locator(".pill--ok")).to_be_visible()
            await page.click("[data-testid=create-post]")
            await expect(page.locator("[data-testid=post]")).to_have_count(1)

            # --- Send it; a location adapts the X text and sees it checked while typing.
            await page.click("[data-testid=send]")
            await expect(page.locator("[data-testid=distribution-progress]")).to_have_attribute(
                "data-status", "done", timeout=30_000)
            await page.click("[data-testid=logout]")
            location = network.locations[0]
            await _log_in(page, network.local_emails[location.id])
            await page.click("[data-testid=inbox-item]")
            await page.wait_for_url(f"{live_server}/proposals/*")
            await expect(page.locator(".netcard--x img[data-testid=preview-image]")).to_be_visible()
            await page.click(".decision-more summary >> text=Adapt the wording")
            await page.fill("#text_x", "")
            await page.click("#text_x")
            await page.keyboard.type("Chez nous à {city} " + "très " * 60)
            live = page.locator("[data-testid=live-x]")
            await expect(live.locator(".usage")).to_have_class(re.compile("usage--over"))
            await expect(live).to_contain_text("X accepts 280 weighted characters")
            await expect(page.locator(".netcard--x mark.finding--error").last).to_be_visible()
            await page.evaluate("window.scrollTo(0, 0)")
            await page.screenshot(path=str(SCREENSHOTS / "pieuvre-studio-proposal.png"), full_page=True)

            assert not console_errors, console_errors
        finally:
            await browser.close()
