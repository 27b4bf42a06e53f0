"""The console as a government team shows it (issue 18): plain words, a dashboard with charts and the open poll
above the fold, the report buttons, phone layouts with no sideways scrolling, the hand-over as a chat.

One event is seeded through the real webhook and the console's own forms (a registration, an FAQ miss, a
hand-over with a moderator's reply, broadcasts to everyone and to a session, an open poll with a vote); every
page is then read as a person reads it. Screenshots at 390 px and 1920×1080 go to test-output/screenshots/.
"""
from __future__ import annotations

import re
import time

import pytest
import requests

from bot.domain import subscriptions
from bot.messenger import simulator
from test_browser import PASSWORD, browser, shoot  # noqa: F401  (the shared Chromium fixture)
from test_console import add_moderator, csrf_of, log_in as http_log_in
from test_registration import fill_in

PAGES = {"dashboard": "/console/", "broadcasts": "/console/broadcasts", "broadcast": "/console/broadcasts/1",
         "polls": "/console/polls", "handover_list": "/console/handover", "handover": "/console/handover/8801",
         "registrations": "/console/registrations", "faq_misses": "/console/faq-misses", "audit": "/console/audit"}
CODES = [r"student: 1", r"\beveryone\b", r"\bdone\b", r"none / unsure", r"how_to_join", r"final-pitch",
         r"handover_reply", r"poll_open", r"broadcast_send", r"^\s*3: 1", r"sent to 1 people", r"\d{4}-\d\d-\d\d \d\d:\d\d [^\x00-\x7f]"]


def visible(html: str) -> str:
    """The text a person reads: no tags, scripts, styles or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", "\n", html)


def post(http, bot, path, data, page="/console/broadcasts"):
    data = {**data, "csrf_token": csrf_of(http.get(f"{bot.url}{page}").text)}
    return http.post(f"{bot.url}{path}", data=data)


def seed(bot) -> requests.Session:
    """An event in progress, made as people make it; returns a logged-in console session."""
    fill_in(bot, "8801", name="สมชาย ใจดี")  # a student, topic 3
    bot.tap("8801", "✅ ยืนยัน", "REG:CONFIRM")
    bot.say("8802", "ราคาตั๋วเครื่องบินไปเชียงใหม่เท่าไหร่")  # an FAQ miss
    bot.say("8801", "ขอคุยกับเจ้าหน้าที่")
    bot.say("8801", "ทีมของเราส่งงานช้าได้ไหมคะ")
    add_moderator(bot)
    http = requests.Session()
    assert http_log_in(bot, http).status_code == 302
    post(http, bot, "/console/handover/8801/reply", {"text": "ได้ค่ะ ส่งภายในวันอาทิตย์นะคะ"}, "/console/handover/8801")
    for segment in ("everyone", "session:final-pitch"):
        made = post(http, bot, "/console/broadcasts", {"text_th": "📣 ไลฟ์เริ่มแล้ว", "text_en": "📣 We are live",
                                                       "segment": segment})
        number = re.search(r"/console/broadcasts/(\d+)", made.url).group(1)
        post(http, bot, f"/console/broadcasts/{number}/send", {})
    deadline = time.time() + 20
    while http.get(f"{bot.url}/console/broadcasts/1.json").json()["state"] != "done" and time.time() < deadline:
        time.sleep(0.1)
    with bot.db() as conn:  # one person asked for every poll
        subscriptions.subscribe(conn, "8801", "all", "", time.time())
    post(http, bot, "/console/polls", {"question_th": "ทีมไหนควรได้ทุนก่อน", "question_en": "Which team first?",
                                       "options": "AI Doctor\nQR ถุงข้าว | QR rice bag\nOcard", "allow_change": "1"},
         "/console/polls")
    http.opened = post(http, bot, "/console/polls/1/open", {}, "/console/polls").text
    bot.tap("8803", "2. QR ถุงข้าว", "VOTE:1:2")
    bot.wait_idle()
    return http


def test_the_console_speaks_in_plain_words_in_thai_and_english(bot):
    http = seed(bot)
    assert "ส่งถึง 1 คน / Poll #1 open, sent to 1 person" in http.opened
    seen = {}
    for name, path in PAGES.items():
        seen[name] = visible(http.get(f"{bot.url}{path}").text)
        for code in CODES:
            assert not re.search(code, seen[name], flags=re.M), (name, code)
    assert "นักเรียน" in seen["registrations"] and "นักเรียน" in seen["dashboard"]  # the role, in words
    assert "ส่งเสร็จแล้ว / Finished" in seen["broadcasts"] and "ทุกคน / Everyone" in seen["broadcasts"]
    assert "ผู้ติดตามช่วง" in seen["broadcasts"]  # the session's audience by the session's title
    assert "เจ้าหน้าที่ตอบแชท / Moderator replied in a chat" in seen["audit"]
    assert "ตอบไม่ได้ / No answer" in seen["faq_misses"] or "ไม่แน่ใจ / Unsure" in seen["faq_misses"]
    assert "กำลังส่ง / Sending" not in seen["broadcast"]  # no notice above a broadcast that is done
    # The log-in error in Thai and English.
    refused = http_log_in(bot, requests.Session(), password="not the password")
    assert "ชื่อหรือรหัสผ่านไม่ถูกต้อง" in refused.text and "Wrong name or password" in refused.text


def test_my_data_shows_the_consent_date_in_thai_inside_thai_text(bot):
    fill_in(bot, "8811")
    bot.tap("8811", "✅ ยืนยัน", "REG:CONFIRM")
    shown = " ".join(m["body"]["message"].get("text", "") for m in bot.say("8811", "ข้อมูลของฉัน"))
    consent = re.search(r"ยินยอมเมื่อ ([^\n]+)", shown).group(1)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", consent) and re.search(r"25\d\d", consent), consent  # Buddhist era


def logged_in_tab(browser, bot, viewport):  # noqa: F811
    context = browser.new_context(viewport=viewport, locale="th-TH", accept_downloads=True, bypass_csp=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.goto(f"{bot.url}/console/login")
    tab.fill("input[name=name]", "somsri")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{bot.url}/console/")
    return tab


def test_the_dashboard_shows_the_open_poll_with_bars_above_the_fold_charts_and_the_reports(bot, browser):  # noqa: F811
    seed(bot)
    tab = logged_in_tab(browser, bot, {"width": 1366, "height": 768})
    poll = tab.locator("#open-poll")
    assert poll.bounding_box()["y"] + poll.bounding_box()["height"] <= 768  # above the fold
    bars = tab.eval_on_selector_all("#open-poll .meter i", "es => es.map(e => e.getBoundingClientRect().width)")
    assert len(bars) == 3 and bars[1] > 0 and bars[0] == 0 and bars[2] == 0  # 1 vote; no stub for 0
    for key in ("activity", "registrations", "misses", "broadcasts"):  # drawn by the vendored Chart.js
        assert tab.eval_on_selector(f"#chart-{key}", "c => Chart.getChart(c) !== undefined && c.width > 0")
    assert tab.evaluate("[...document.scripts].every(s => !s.src || s.src.startsWith(location.origin))")  # no CDN
    tab.wait_for_timeout(300)
    shoot(tab, "dashboard", "1366x768")
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
        with tab.expect_download(timeout=120_000) as download:  # the PDF takes seconds on a busy machine
            tab.click(f"#report-{fmt}", no_wait_after=True)
        assert open(download.value.path(), "rb").read(4).startswith(magic)
    tab.context.close()


def test_every_console_page_fits_a_phone_and_a_full_hd_screen(bot, browser):  # noqa: F811
    seed(bot)
    for size, viewport in (("390", {"width": 390, "height": 844}), ("1920x1080", {"width": 1920, "height": 1080})):
        tab = logged_in_tab(browser, bot, viewport)
        for name, path in PAGES.items():
            tab.goto(f"{bot.url}{path}")
            tab.wait_for_timeout(200)
            shoot(tab, f"console_{name}", size)
            assert tab.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (name, size)
        tab.context.close()


def test_the_hand_over_reads_like_a_chat_with_the_reply_box_in_reach(bot, browser):  # noqa: F811
    seed(bot)
    for i in range(25):  # a long conversation (the bot is quiet while a person has the chat: nothing to wait for)
        bot.webhook.send(simulator.text("8801", f"ข้อความที่ {i} จากผู้ใช้"))
    bot.wait_idle()
    tab = logged_in_tab(browser, bot, {"width": 390, "height": 844})
    tab.goto(f"{bot.url}/console/handover/8801")
    box = tab.locator("#history").bounding_box()
    mine = tab.locator("#history .msg.mine")
    for i in range(mine.count()):  # the Page's messages: whole bubbles on the right, their text read left to right
        bubble = mine.nth(i).locator(".bubble")
        b = bubble.bounding_box()
        if b["y"] + b["height"] < box["y"] or b["y"] > box["y"] + box["height"]:
            continue  # scrolled out of the history box
        assert box["x"] + box["width"] - (b["x"] + b["width"]) < 40
        assert bubble.evaluate("e => getComputedStyle(e).textAlign") in ("left", "start")
    bot_colour = tab.eval_on_selector("#history .msg.bot .bubble", "e => getComputedStyle(e).backgroundColor")
    moderator = tab.locator("#history .msg.moderator")
    assert moderator.count() == 1 and "somsri" in moderator.inner_text()
    assert moderator.locator(".bubble").evaluate("e => getComputedStyle(e).backgroundColor") != bot_colour
    reply = tab.locator("textarea[name=text]").bounding_box()
    assert 0 <= reply["y"] and reply["y"] + reply["height"] <= 844  # in view when the page opens
    assert tab.evaluate("document.documentElement.scrollHeight") <= 2 * 844  # not at the foot of a 2,500 px page
    assert "ข้อความที่ 24" in tab.locator("#history .msg").last.inner_text()  # the newest in view
    shoot(tab, "handover_chat", "390")
    tab.context.close()
