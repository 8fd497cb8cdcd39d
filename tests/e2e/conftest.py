"""Browser journeys in real headless Chromium (Debian's package), checked with axe-core.

    page = browser_page(); sign_in_as(page, user); page.goto(live_server.url + "/...")
    assert_accessible(page)  # no WCAG 2.2 A/AA violations
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, sync_playwright

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM = os.environ.get("NRM_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make setup-test` (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    contexts = []

    def make(**options: Any) -> Page:
        options.setdefault("bypass_csp", True)  # lets the test inject axe-core; pages keep their CSP
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(browser_page: Callable[..., Page]) -> Page:
    return browser_page()


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page; fail listing every WCAG 2.2 A/AA violation."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    violations = result["violations"]
    assert not violations, "Accessibility violations on " + page.url + ":\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in violations
    )


def sign_in_as(page: Page, live_server: Any, user: Any) -> None:
    """Sign in through the real pages, entering a TOTP code where the role needs one."""
    device = None
    if user.requires_second_factor:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="e2e", defaults={"confirmed": True})
    page.goto(live_server.url + "/sign-in")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    if device is not None:
        page.wait_for_url("**/sign-in/code*")
        page.fill("#code", f"{totp(device.bin_key):06d}")
        page.click("button:has-text('Continue')")
    page.wait_for_load_state()
