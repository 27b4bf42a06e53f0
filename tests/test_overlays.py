"""The results screens in front of the stream's audience, measured in a real browser (issue 18's findings).

Before: white type with no backing panel (unreadable over a bright frame), a total with no shadow, only the top
of a 1920×1080 frame used, a zero-vote bar with a stub, and on a phone the count run into the name
("1. ทีม AI Doctor9 (56.2%)"). Screenshots go to test-output/screenshots/ (overlays at 1920×1080, over a white
and a black frame, and the page at 390 px) for a person to look at.
"""
from __future__ import annotations

import re

import pytest

from bot.messenger import simulator
from test_browser import browser, shoot  # noqa: F401  (the shared Chromium fixture)
from bot.domain import polls
from bot.store import Store
from test_public_screens import wait_public

FRAME = {"width": 1920, "height": 1080}
SAFE_X, SAFE_Y = 0.05 * 1920, 0.05 * 1080  # EBU R 95: graphics-safe area, 5% on each side
LONG = "ทีม AI Doctor ระบบคัดกรองผู้ป่วยทางไกลสำหรับโรงพยาบาลชุมชน"


def luminance(rgb) -> float:
    """WCAG 2.1's relative luminance of an sRGB colour (0-255 channels)."""
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def colour(css: str) -> tuple[list[float], float]:
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 0.5)' -> ([r, g, b], alpha)."""
    parts = [float(x) for x in re.findall(r"[\d.]+", css)]
    return parts[:3], parts[3] if len(parts) > 3 else 1.0


def over(css: str, frame) -> list[float]:
    """The colour `css` composited over an opaque frame colour."""
    rgb, alpha = colour(css)
    return [alpha * c + (1 - alpha) * f for c, f in zip(rgb, frame)]


@pytest.fixture
def poll_with_votes(bot):
    """An open poll: 'QR ถุงข้าว' has 2 votes, AI Doctor 1, and a long-named third option none."""
    store = Store(bot.settings.database_path)
    try:
        with store.write() as conn:
            poll_id = polls.create(conn, {"th": "ทีมไหนควรได้ทุนก่อน", "en": "Which team first?"},
                                   [{"th": "AI Doctor", "en": "AI Doctor"}, {"th": "QR ถุงข้าว", "en": "QR rice bag"},
                                    {"th": LONG, "en": "Remote triage for community hospitals"}])
            polls.set_state(conn, poll_id, "open")
    finally:
        store.close()
    for psid, option in (("18001", 2), ("18002", 2), ("18003", 1)):
        bot.webhook.send(simulator.quick_reply(psid, str(option), f"VOTE:{poll_id}:{option}"))
    bot.wait_idle()
    wait_public(bot.url, poll_id)
    return poll_id


def open_overlay(browser, bot, poll_id, layout, frame_colour):  # noqa: F811
    """The overlay as OBS composites it: the page's transparent background over a frame of one colour."""
    tab = browser.new_page(viewport=FRAME)
    tab.goto(f"{bot.url}/live/{poll_id}?overlay={layout}")
    tab.wait_for_function("document.body.innerText.includes('66.7%')", timeout=10_000)
    tab.wait_for_timeout(600)  # the bars' transition
    tab.evaluate(f"document.documentElement.style.background = {frame_colour!r}")
    return tab


def box(tab, selector):
    return tab.locator(selector).first.bounding_box()


@pytest.mark.parametrize("layout", ["full", "lower"])
def test_overlays_keep_their_contrast_margins_type_and_shadows_over_any_frame(bot, browser, poll_with_votes, layout):  # noqa: F811
    for name, frame in (("white", (255, 255, 255)), ("black", (0, 0, 0))):
        tab = open_overlay(browser, bot, poll_with_votes, layout, f"rgb{frame}")
        shoot(tab, f"overlay_{layout}", f"over-{name}-frame")
        panel = tab.eval_on_selector("#panel", "e => getComputedStyle(e).backgroundColor")
        background = over(panel, frame)
        for selector in ("#title", ".name", ".count", "#total"):
            text, _ = colour(tab.eval_on_selector(selector, "e => getComputedStyle(e).color"))
            assert contrast(text, background) >= 4.5, (layout, name, selector)  # WCAG 1.4.3 AA
        bar, _ = colour(tab.eval_on_selector(".bar", "e => getComputedStyle(e).backgroundColor"))
        assert contrast(bar, background) >= 3  # WCAG 1.4.11, non-text contrast
        tab.close()
    tab = open_overlay(browser, bot, poll_with_votes, layout, "transparent")
    p = box(tab, "#panel")
    assert p["x"] >= SAFE_X and p["y"] >= SAFE_Y
    assert p["x"] + p["width"] <= 1920 - SAFE_X and p["y"] + p["height"] <= 1080 - SAFE_Y
    if layout == "full":
        assert p["height"] >= 0.8 * 1080  # the whole frame, not its top
    else:
        assert p["y"] >= 0.6 * 1080  # a band at the foot: the video above stays visible
    sizes = tab.eval_on_selector_all("#panel *", "es => es.filter(e => e.childElementCount === 0 && e.textContent.trim())"
                                                 ".map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert min(sizes) >= 44, sizes
    for selector in (".count", "#total"):
        assert tab.eval_on_selector(selector, "e => getComputedStyle(e).textShadow") != "none"
    t = box(tab, "#total")
    for r in tab.locator("#rows .row").all():  # the total overlaps no option
        b = r.bounding_box()
        assert t["y"] >= b["y"] + b["height"] or t["y"] + t["height"] <= b["y"] or t["x"] >= b["x"] + b["width"] \
            or t["x"] + t["width"] <= b["x"]
    widths = tab.eval_on_selector_all(".bar", "es => es.map(e => e.getBoundingClientRect().width)")
    assert widths[2] == 0 and widths[1] > widths[0] > 0  # the option with no vote has no stub
    tab.close()


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_results_page_on_a_phone_keeps_every_name_apart_from_its_count(bot, browser, poll_with_votes, lang):  # noqa: F811
    tab = browser.new_page(viewport={"width": 390, "height": 844})
    tab.goto(f"{bot.url}/live/{poll_with_votes}?lang={lang}")
    tab.wait_for_timeout(600)
    shoot(tab, "results_phone", lang)
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    rows = tab.locator("#rows .row")
    for i in range(rows.count()):
        name, count = rows.nth(i).locator(".name").bounding_box(), rows.nth(i).locator(".count").bounding_box()
        assert count["x"] >= name["x"] + name["width"] + 8  # a gap between them, never touching
        line = float(tab.eval_on_selector(".count", "e => parseFloat(getComputedStyle(e).lineHeight)"))
        assert count["height"] <= line * 1.2  # the count on one line, never wrapped
    assert rows.nth(2).locator(".bar").bounding_box()["width"] == 0
    tab.close()
