"""The console and the simulator in a real browser: Debian's Chromium, headless, driven by Playwright.

Every step saves a screenshot under test-output/screenshots/ so a person can look at what the moderators and
citizens see (Thai included: the fonts-thai-tlwg package). Outside CI, a machine without Chromium skips these
tests and says why; under CI=true a missing browser fails them (`make test` installs it).
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from bot.messenger import simulator
from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "screenshots"
PASSWORD = "correct horse battery"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed (make test installs it)")
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing at /usr/bin/chromium: make test installs it (apt-get install chromium)")
        pytest.skip("Chromium is missing: apt-get install chromium fonts-thai-tlwg (make test does it as root)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser profile per test, phone-sized: moderators run events from their phones."""
    context = browser.new_context(viewport={"width": 412, "height": 915}, locale="th-TH")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.shoot = lambda step, target=None: shoot(target or tab, request.node.name, step)
    yield tab
    context.close()


def shoot(tab, test: str, step: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{test.removeprefix('test_')}-{step}.png"), full_page=True)


def add_moderator(bot, name="somsri"):
    result = bot.app.test_cli_runner().invoke(args=["add-moderator", name], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output


def log_in(page, bot, name="somsri", password=PASSWORD):
    page.goto(f"{bot.url}/console/")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_log_in_refuses_a_wrong_password_then_shows_the_dashboard(bot, page):
    add_moderator(bot)
    bot.say("8201", "สวัสดี")
    page.goto(f"{bot.url}/console/")
    assert "/console/login" in page.url
    page.shoot("1-login")
    log_in(page, bot, password="not the password")
    assert page.locator("[role=alert]").inner_text() == "wrong name or password"
    page.shoot("2-wrong-password")
    log_in(page, bot)
    page.wait_for_url(f"{bot.url}/console/")
    assert page.locator("h1").inner_text() == "ภาพรวม / Dashboard"
    assert page.locator("text=อยู่ในช่วง 24 ชม.").count() == 1
    page.shoot("3-dashboard")
    page.click("text=ออกจากระบบ / Log out")
    assert "/console/login" in page.url


def test_a_broadcast_composed_in_the_console_reaches_100_percent(start_bot, page):
    bot = start_bot(send_rate=40)  # slow enough to watch the bar move
    add_moderator(bot)
    people = [f"821{i:02d}" for i in range(60)]
    bot.webhook.send(*[simulator.text(p, "สวัสดี") for p in people[:30]])
    bot.webhook.send(*[simulator.text(p, "English") for p in people[30:]])
    bot.wait_idle(timeout=20)
    log_in(page, bot)
    page.click("nav >> text=ประกาศ / Broadcasts")
    page.fill("textarea[name=text_th]", "📣 ไลฟ์เริ่มแล้ว! เข้ามาโหวตทีมที่ชอบได้เลย")
    page.fill("textarea[name=text_en]", "📣 We are live! Vote for your favourite team")
    page.fill("input[name=link_url]", "https://www.facebook.com/Opengovthailand")
    page.fill("input[name=link_title_th]", "ดูไลฟ์")
    page.fill("input[name=link_title_en]", "Watch live")
    page.shoot("1-compose")
    page.click("text=ดูตัวอย่างและจำนวนผู้รับ / Preview and reach")
    assert page.locator("#reachable").inner_text() == "60"
    page.shoot("2-preview")
    page.click("#send-now")
    from playwright.sync_api import expect

    # A locator, not wait_for_function: the console's Content-Security-Policy forbids the eval Playwright's
    # function polling runs in the page (only our own scripts, with the page's nonce, run there).
    expect(page.locator("#bar-fill")).to_have_text("100%", timeout=30_000)
    assert page.locator("#sent").inner_text() == "60" and page.locator("#state").inner_text() == "done"
    page.shoot("3-sent-100-percent")
    english = [m["body"] for m in bot.graph.messages(people[-1]) if "attachment" in m["body"].get("message", {})]
    assert english[-1]["message"]["attachment"]["payload"]["text"] == "📣 We are live! Vote for your favourite team"


def test_a_poll_opened_in_the_console_shows_a_vote_on_the_results_page(bot, browser, page):
    add_moderator(bot)
    log_in(page, bot)
    page.click("nav >> text=โหวต / Polls")
    page.fill("input[name=question_th]", "ทีมไหนควรได้ทุนก่อน")
    page.fill("input[name=question_en]", "Which team should be funded first?")
    page.fill("textarea[name=options]", "AI Doctor\nQR ถุงข้าว | QR rice bag\nOcard")
    page.click("text=สร้าง / Create")
    page.click("#open-1")
    assert "Poll #1 open" in page.locator(".flash").inner_text()
    page.shoot("1-poll-open")
    results = browser.new_page(viewport={"width": 1280, "height": 720})
    results.goto(f"{bot.url}/live/1")
    assert "ทีมไหนควรได้ทุนก่อน" in results.content()
    shoot(results, "poll_results", "2-before-vote")
    page.click("nav >> text=ภาพรวม / Dashboard")
    assert page.locator("#open-poll").inner_text().count(": 0") == 3
    bot.webhook.send(simulator.quick_reply("8301", "2. QR ถุงข้าว", "VOTE:1:2"))
    # The results page updates itself through Server-Sent Events: no reload.
    results.wait_for_function("document.body.innerText.includes('100%')", timeout=10_000)
    results.wait_for_timeout(800)  # the bars animate on the stream; let them settle for the screenshot
    shoot(results, "poll_results", "3-after-vote")
    results.close()
    # So does the dashboard's open poll (every 2 seconds).
    from playwright.sync_api import expect

    expect(page.locator("#open-poll strong").nth(1)).to_have_text("1", timeout=10_000)
    page.shoot("4-dashboard-live-count")
    page.click("nav >> text=โหวต / Polls")
    assert re.search(r"QR rice bag\s*— 1", page.locator("#poll-1").inner_text())


def test_a_moderator_replies_from_the_hand_over_inbox_and_hands_back(bot, page):
    add_moderator(bot)
    bot.say("8401", "ขอคุยกับเจ้าหน้าที่")
    bot.say("8401", "ทีมของเราส่งงานช้าได้ไหมคะ")
    log_in(page, bot)
    page.click("nav >> text=รอเจ้าหน้าที่ / Hand-over")
    page.shoot("1-waiting")
    page.click("a[href='/console/handover/8401']")
    assert "ทีมของเราส่งงานช้าได้ไหมคะ" in page.locator("#history").inner_text()
    page.fill("textarea[name=text]", "ได้ค่ะ ส่งภายในวันอาทิตย์นะคะ")
    before = len(bot.graph.messages("8401"))
    page.click("#reply")
    reply = bot.graph.wait_for(before + 1, "8401")[-1]["body"]
    assert reply["message"]["text"] == "ได้ค่ะ ส่งภายในวันอาทิตย์นะคะ" and reply["messaging_type"] == "RESPONSE"
    page.wait_for_selector("text=ได้ค่ะ ส่งภายในวันอาทิตย์นะคะ")
    bot.webhook.send(simulator.text("8401", "ขอบคุณค่ะ"))  # the person answers: it appears without a reload
    page.wait_for_selector("#history >> text=ขอบคุณค่ะ", timeout=10_000)
    page.shoot("2-replied")
    page.click("#release")
    assert "ไม่มีใครรอ" in page.content()
    page.shoot("3-released")


def test_the_local_simulator_chats_like_messenger(start_bot, page):
    bot = start_bot(page_access_token=None)  # local mode: the bot runs its own fake Graph API
    page.goto(f"{bot.url}/simulator?psid=8501")
    page.click("#start")
    page.wait_for_selector("#quick button")
    page.fill("#text", "งานจัดวันไหนคะ")
    page.press("#text", "Enter")
    page.wait_for_function("document.getElementById('log').innerText.includes('กรกฎาคม 2563')", timeout=10_000)
    page.shoot("1-faq-answer")
    page.fill("#text", "English")
    page.press("#text", "Enter")
    page.wait_for_function("document.getElementById('log').innerText.includes('English')", timeout=10_000)
    time.sleep(0.5)
    page.shoot("2-english")
