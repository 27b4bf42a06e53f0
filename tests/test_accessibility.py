"""WCAG 2.1 AA, checked by axe-core in the browser: every console page, the results page and its OBS overlays, the
web simulator. No serious or critical violation (axe's impact levels); keyboard users reach every form field.

axe-core is vendored in tests/vendor/axe-core/ (npm package `axe-core`, MPL-2.0, unmodified; VERSION there) and
injected into each page by the test: the app never serves it. The browser context bypasses the console's
Content-Security-Policy only so that the injected script may run.
"""
from __future__ import annotations

import json

from conftest import ROOT
from test_browser import PASSWORD, browser, shoot  # noqa: F401  (the shared Chromium fixture)
from test_console_screens import PAGES, seed

AXE = (ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js").read_text()
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(tab) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    tab.add_script_tag(content=AXE)
    found = tab.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
                         ".then(r => JSON.stringify(r.violations))", RULES)
    return [f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
            for v in json.loads(found) if v["impact"] in ("serious", "critical")]


def test_console_public_pages_and_overlays_have_no_serious_or_critical_violations(bot, browser):  # noqa: F811
    seed(bot)
    found = {}
    for size, viewport in (("phone", {"width": 390, "height": 844}), ("desktop", {"width": 1366, "height": 768})):
        context = browser.new_context(viewport=viewport, locale="th-TH", bypass_csp=True)
        tab = context.new_page()
        tab.goto(f"{bot.url}/console/login")
        found[f"login-{size}"] = violations(tab)
        tab.fill("input[name=name]", "somsri")
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(f"{bot.url}/console/")
        for name, path in PAGES.items():
            tab.goto(f"{bot.url}{path}")
            tab.wait_for_timeout(150)
            found[f"{name}-{size}"] = violations(tab)
        for name, path in (("results", "/live/1"), ("results-en", "/live/1?lang=en"), ("overlay-full", "/live/1?overlay=full"),
                           ("overlay-lower", "/live/1?overlay=lower"), ("simulator", "/simulator")):
            tab.goto(f"{bot.url}{path}")
            tab.wait_for_timeout(150)
            found[f"{name}-{size}"] = violations(tab)
        context.close()
    assert {page: v for page, v in found.items() if v} == {}


def test_the_log_in_and_poll_forms_are_usable_with_the_keyboard_alone(bot, browser):  # noqa: F811
    from test_console import add_moderator

    add_moderator(bot)
    tab = browser.new_page(viewport={"width": 390, "height": 844})
    tab.goto(f"{bot.url}/console/login")
    tab.keyboard.press("Tab")  # the log-out-less header has no control: the first stop is the name
    focused = []
    for _ in range(3):
        focused.append(tab.evaluate("document.activeElement.name || document.activeElement.type"))
        tab.keyboard.press("Tab")
    assert focused == ["name", "password", "submit"]
    tab.focus("input[name=name]")
    tab.keyboard.type("somsri")
    tab.keyboard.press("Tab")
    tab.keyboard.type(PASSWORD)
    tab.keyboard.press("Enter")
    tab.wait_for_url(f"{bot.url}/console/")
    tab.goto(f"{bot.url}/console/polls")
    tab.focus("input[name=question_th]")
    order = []
    for _ in range(8):
        order.append(tab.evaluate("document.activeElement.name || document.activeElement.type"))
        tab.keyboard.press("Tab")
    assert order == ["question_th", "question_en", "options", "session_id", "video_id", "close_after", "allow_change",
                     "submit"]
    tab.keyboard.press("Shift+Tab")  # back on the submit button: a keyboard user sees where they are
    assert tab.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    shoot(tab, "keyboard", "polls-form")
    tab.close()
