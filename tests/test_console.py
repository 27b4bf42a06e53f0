"""The moderators' console: accounts, log-in and log-out, CSRF, rate-limited log-ins, the audit log, the dashboard."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import requests

from bot.messenger import simulator
from bot.domain.moderators import ADDRESS_FAILURE_LIMIT
from conftest import eventually

PASSWORD = "correct horse battery"


def add_moderator(bot, name="somsri", password=PASSWORD):
    return bot.app.test_cli_runner().invoke(args=["add-moderator", name], input=f"{password}\n{password}\n")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(bot, http, name="somsri", password=PASSWORD, token=True):
    form = {"name": name, "password": password}
    if token:
        form["csrf_token"] = csrf_of(http.get(f"{bot.url}/console/login").text)
    return http.post(f"{bot.url}/console/login", data=form, allow_redirects=False)


def test_every_console_page_and_action_needs_a_logged_in_moderator(bot):
    rules = [r for r in bot.app.url_map.iter_rules() if r.rule.startswith("/console")
             and r.endpoint not in ("console.login", "console.static")]  # static: the vendored chart library
    assert len(rules) >= 15
    http = requests.Session()
    for rule in rules:
        path = re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if "int:" in m.group(0) else "8999", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            answer = http.request(method, f"{bot.url}{path}", allow_redirects=False)
            if method == "POST":  # no session, no CSRF token: refused before anything happens
                assert answer.status_code in (302, 400), (method, path, answer.status_code)
            else:
                assert answer.status_code == 302 and "/console/login" in answer.headers["Location"], (method, path)
    # Logged in, a POST without the CSRF token is still refused.
    add_moderator(bot)
    log_in(bot, http)
    assert http.post(f"{bot.url}/console/broadcasts", data={"text_th": "x"}).status_code == 400
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM broadcasts").fetchone()[0] == 0


def test_accounts_need_a_real_password_and_store_only_a_hash(chat):
    assert "at least 10 characters" in add_moderator(chat, password="short").output
    assert add_moderator(chat).exit_code == 0
    with chat.db() as conn:
        stored = conn.execute("SELECT password_hash FROM moderators WHERE name = 'somsri'").fetchone()[0]
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_log_in_shows_the_dashboard_with_a_hardened_cookie_and_log_out_ends_it(bot):
    add_moderator(bot)
    http = requests.Session()
    answer = log_in(bot, http)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    dashboard = http.get(f"{bot.url}/console/")
    assert dashboard.status_code == 200 and "Dashboard" in dashboard.text and "somsri" in dashboard.text
    out = http.post(f"{bot.url}/console/logout", data={"csrf_token": csrf_of(dashboard.text)}, allow_redirects=False)
    assert out.status_code == 302
    assert http.get(f"{bot.url}/console/", allow_redirects=False).status_code == 302
    with bot.db() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE moderator = 'somsri' ORDER BY id")]
    assert actions == ["account", "login", "logout"]


def test_a_wrong_password_is_refused_and_recorded(bot):
    add_moderator(bot)
    http = requests.Session()
    answer = log_in(bot, http, password="not the password")
    assert answer.status_code == 401 and "Wrong name or password" in answer.text and "ชื่อหรือรหัสผ่านไม่ถูกต้อง" in answer.text
    assert log_in(bot, http, name="nobody").status_code == 401
    assert http.get(f"{bot.url}/console/", allow_redirects=False).status_code == 302
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'login_failed'").fetchone()[0] == 2


def test_forms_without_the_csrf_token_are_refused(bot):
    add_moderator(bot)
    assert log_in(bot, requests.Session(), token=False).status_code == 400


def test_log_ins_are_rate_limited(bot):
    add_moderator(bot)
    http = requests.Session()
    for i in range(ADDRESS_FAILURE_LIMIT):  # one address guessing many names
        http.headers["X-Forwarded-For"] = f"203.0.113.{i}"  # no trusted proxy: a made-up address changes nothing
        assert log_in(bot, http, name=f"guess{i}", password="guess").status_code == 401
    answer = log_in(bot, http)  # even the right password waits now, from this address
    assert answer.status_code == 429 and "Too many failed log-ins" in answer.text


def test_behind_a_trusted_proxy_the_limits_and_the_audit_log_see_the_persons_address(start_bot):
    bot = start_bot(trusted_proxies=1)
    add_moderator(bot)
    attacker = requests.Session()
    attacker.headers["X-Forwarded-For"] = "203.0.113.9"
    for _ in range(5):
        assert log_in(bot, attacker, name="nobody", password="guess").status_code == 401
    assert log_in(bot, attacker, name="nobody").status_code == 429
    colleague = requests.Session()  # same proxy, another person: not locked out by the attacker
    colleague.headers["X-Forwarded-For"] = "198.51.100.7"
    assert log_in(bot, colleague).status_code == 302
    with bot.db() as conn:
        assert conn.execute("SELECT address FROM audit_log WHERE action = 'login'").fetchone()[0] == "198.51.100.7"


def test_the_dashboard_counts_what_happened(bot):
    add_moderator(bot)
    bot.say("9301", "ลงทะเบียน")
    bot.tap("9301", "✅ ยินยอม", "REG:CONSENT:yes")
    for words in ("สมชาย ใจดี", "0812345678"):
        bot.say("9301", words)
    bot.tap("9301", "role", "REG:ROLE:student")
    bot.tap("9301", "topic", "REG:TOPIC:2")
    bot.tap("9301", "skip", "REG:TEAM:skip")
    bot.tap("9301", "ok", "REG:CONFIRM")
    http = requests.Session()
    log_in(bot, http)
    page = http.get(f"{bot.url}/console/").text
    assert re.search(r'id="registered">1<', page) and "นักเรียน/นักศึกษา / Student: <strong>1</strong>" in page


def test_moderators_get_stats_in_messenger_and_others_an_ordinary_reply(start_chat):
    chat = start_chat(moderator_psids=frozenset({"9400"}))
    chat.tap("9401", "🔔 ทุกช่วง", "REMIND:ALL")
    cli = chat.app.test_cli_runner()
    cli.invoke(args=["poll", "create", "--question", "ชอบไหม", "--option", "ชอบ", "--option", "ไม่ชอบ"])
    cli.invoke(args=["poll", "open", "1"])
    chat.tap("9401", "1", "VOTE:1:1")
    stats = simulator.texts_of(chat.say("9400", "/stats"))[0]
    assert stats.startswith("📊 Registered 0") and "Subscribers 1" in stats and "Open poll 1: ชอบ 1, ไม่ชอบ 0" in stats
    assert not simulator.texts_of(chat.say("9401", "/stats"))[0].startswith("📊")


def test_today_on_the_dashboard_starts_at_midnight_in_bangkok_not_utc(start_chat):
    """Before: "FAQ misses today" counted from midnight UTC, 07:00 in Bangkok: a question asked at 06:59 on the
    morning of the event was "yesterday", one asked at 23:59 the night before was "today" until 07:00."""
    chat = start_chat(moderator_psids=frozenset({"9410"}))
    assert chat.settings.tz.key == "Asia/Bangkok"
    chat.say("9411", "ขอสูตรแกงเขียวหวาน")  # questions the bot cannot answer: misses
    chat.say("9412", "หวยออกวันไหน")
    midnight = datetime.now(chat.settings.tz).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    with chat.db() as conn:
        first, second = [r[0] for r in conn.execute("SELECT id FROM faq_misses ORDER BY id")]
        conn.execute("UPDATE faq_misses SET at = ? WHERE id = ?", (midnight + 30, first))  # 00:00:30 in Bangkok
        conn.execute("UPDATE faq_misses SET at = ? WHERE id = ?", (midnight - 30, second))  # 23:59:30 the day before
    stats = simulator.texts_of(chat.say("9410", "/stats"))[0]
    assert "FAQ misses today 1 " in stats, stats


def test_registrations_are_searchable_and_exported_with_an_audit_entry(bot):
    add_moderator(bot)
    for psid, name in (("9501", "สมชาย ใจดี"), ("9502", "John Smith")):
        bot.say(psid, "ลงทะเบียน")
        bot.tap(psid, "✅", "REG:CONSENT:yes")
        bot.say(psid, name)
        bot.say(psid, "0812345678")
        bot.tap(psid, "r", "REG:ROLE:citizen")
        bot.tap(psid, "t", "REG:TOPIC:1")
        bot.tap(psid, "s", "REG:TEAM:skip")
        bot.tap(psid, "ok", "REG:CONFIRM")
    http = requests.Session()
    log_in(bot, http)
    page = http.get(f"{bot.url}/console/registrations").text
    assert "สมชาย ใจดี" in page and "John Smith" in page
    found = http.get(f"{bot.url}/console/registrations", params={"q": "สมชาย"}).text
    assert "สมชาย ใจดี" in found and "John Smith" not in found
    export = http.get(f"{bot.url}/console/registrations.csv")
    assert export.content.startswith(b"\xef\xbb\xbf") and "John Smith" in export.content.decode("utf-8-sig")
    with bot.db() as conn:
        assert conn.execute("SELECT detail FROM audit_log WHERE action = 'export_registrations'").fetchone()[0] == "2 rows"
    assert requests.get(f"{bot.url}/console/registrations.csv", allow_redirects=False).status_code == 302


def test_faq_misses_page_lists_unanswered_questions(bot):
    add_moderator(bot)
    bot.say("9510", "ร้านก๋วยเตี๋ยวอร่อยแถวนี้")
    http = requests.Session()
    log_in(bot, http)
    assert "ร้านก๋วยเตี๋ยวอร่อยแถวนี้" in http.get(f"{bot.url}/console/faq-misses").text


# -- broadcasts, polls and the hand-over inbox from the console ---------------------------------------------------
def logged_in(bot):
    add_moderator(bot)
    http = requests.Session()
    assert log_in(bot, http).status_code == 302
    return http


def post_form(bot, http, page: str, action: str, **form):
    """Submit a form the way a browser does: the CSRF token from the page it is on."""
    form["csrf_token"] = csrf_of(http.get(f"{bot.url}{page}").text)
    return http.post(f"{bot.url}{action}", data=form)


def test_a_broadcast_from_the_console_previews_its_reach_then_sends_and_reports_progress(bot):
    bot.say("8101", "สวัสดี")
    bot.say("8102", "English")
    bot.say("8103", "สวัสดี")
    with bot.db() as conn:
        conn.execute("UPDATE users SET last_interaction_at = last_interaction_at - 90000 WHERE psid = '8103'")
    http = logged_in(bot)
    preview = post_form(bot, http, "/console/broadcasts", "/console/broadcasts", text_th="ไลฟ์เริ่มแล้ว",
                        text_en="We are live", segment="everyone", link_url="https://www.facebook.com/Opengovthailand",
                        link_title_th="ดูไลฟ์", link_title_en="Watch")
    assert preview.status_code == 200 and "/console/broadcasts/" in preview.url
    page = preview.text
    assert "ไลฟ์เริ่มแล้ว" in page and "We are live" in page and "ดูไลฟ์" in page
    assert re.search(r'id="reachable">2<', page) and re.search(r'id="outside">1<', page)
    assert not bot.graph.messages("8101")[1:]  # a preview sends nothing
    broadcast_id = int(preview.url.rsplit("/", 1)[1])
    sent = post_form(bot, http, f"/console/broadcasts/{broadcast_id}", f"/console/broadcasts/{broadcast_id}/send")
    assert re.search(r'id="state">(ตั้งเวลาส่งไว้ / Scheduled|กำลังส่ง / Sending|ส่งเสร็จแล้ว / Finished)<', sent.text)
    progress = {}
    for _ in range(100):
        progress = http.get(f"{bot.url}/console/broadcasts/{broadcast_id}.json").json()
        if progress["state"] == "done":
            break
        time.sleep(0.1)
    assert progress == {"state": "done", "audience": 3, "sent": 2, "failed": 0, "skipped": 1, "pending": 0, "percent": 100}
    reasons = re.search(r'<ul id="reasons">(.*?)</ul>', http.get(f"{bot.url}/console/broadcasts/{broadcast_id}").text, re.S)
    assert "นอกช่วง 24 ชั่วโมง" in reasons[1] and "no permitted tag" not in reasons[1]  # in words, not the log's
    english = bot.graph.messages("8102")[-1]["body"]["message"]["attachment"]["payload"]
    assert english["text"] == "We are live" and english["buttons"][0]["title"] == "Watch"
    report = http.get(f"{bot.url}/console/broadcasts/{broadcast_id}.csv")
    assert report.text.startswith("\ufeffpsid,language,result")
    rows = {line.split(",")[0]: line.split(",")[1:3] for line in report.text.splitlines()[1:]}
    assert rows == {"8101": ["th", "sent"], "8102": ["en", "sent"], "8103": ["th", "skipped"]}
    with bot.db() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE moderator = 'somsri' ORDER BY id")]
    assert actions == ["account", "login", "broadcast_draft", "broadcast_send", "broadcast_export"]


def test_a_broadcast_over_messenger_limits_is_refused_with_the_reason_and_the_form_kept(bot):
    http = logged_in(bot)
    answer = post_form(bot, http, "/console/broadcasts", "/console/broadcasts", text_th="ก" * 700,
                       link_url="https://example.org", segment="everyone")
    assert answer.status_code == 400 and "Messenger allows 640" in answer.text and "ก" * 700 in answer.text


def test_polls_are_created_opened_and_closed_from_the_console_with_live_counts_and_the_overlay_link(bot):
    http = logged_in(bot)
    made = post_form(bot, http, "/console/polls", "/console/polls", question_th="ทีมไหนดีที่สุด",
                     question_en="Which team is best?", options="AI Doctor\nQR ถุงข้าว | QR rice bag", allow_change="1")
    assert "Poll #1 created" in made.text and "/live/1?overlay=1" in made.text
    opened = post_form(bot, http, "/console/polls", "/console/polls/1/open")
    assert "Poll #1 open" in opened.text
    bot.tap("8111", "2", "VOTE:1:2")
    page = http.get(f"{bot.url}/console/polls").text
    assert re.search(r'QR rice bag</span> — <strong class="count">1<', page)
    closed = post_form(bot, http, "/console/polls", "/console/polls/1/close")
    assert "Poll #1 closed" in closed.text
    assert "ปิดโหวตแล้ว" in simulator.texts_of(bot.tap("8112", "1", "VOTE:1:1"))[0]


def test_the_hand_over_inbox_shows_the_conversation_replies_as_the_page_and_hands_back(bot):
    bot.say("8121", "ขอคุยกับเจ้าหน้าที่")
    bot.say("8121", "อยากถามเรื่องทุนค่ะ")
    http = logged_in(bot)
    waiting = http.get(f"{bot.url}/console/handover").text
    assert "/console/handover/8121" in waiting and "อยากถามเรื่องทุนค่ะ" in waiting
    conversation = http.get(f"{bot.url}/console/handover/8121").text
    assert "ขอคุยกับเจ้าหน้าที่" in conversation and "อยากถามเรื่องทุนค่ะ" in conversation
    before = len(bot.graph.messages("8121"))
    post_form(bot, http, "/console/handover/8121", "/console/handover/8121/reply", text="สวัสดีค่ะ เจ้าหน้าที่ ก.พ.ร. ค่ะ")
    reply = bot.graph.wait_for(before + 1, "8121")[-1]["body"]
    assert reply["message"]["text"] == "สวัสดีค่ะ เจ้าหน้าที่ ก.พ.ร. ค่ะ" and reply["messaging_type"] == "RESPONSE"
    with bot.db() as conn:  # two days later, the moderator may still answer, under HUMAN_AGENT
        conn.execute("UPDATE users SET last_interaction_at = last_interaction_at - 2 * 86400 WHERE psid = '8121'")
    post_form(bot, http, "/console/handover/8121", "/console/handover/8121/reply", text="ตามมาตอบค่ะ")
    late = bot.graph.wait_for(before + 2, "8121")[-1]["body"]
    assert late["messaging_type"] == "MESSAGE_TAG" and late["tag"] == "HUMAN_AGENT"
    with bot.db() as conn:
        conn.execute("UPDATE users SET last_interaction_at = ? WHERE psid = '8121'", (time.time(),))
    released = post_form(bot, http, "/console/handover/8121", "/console/handover/8121/release")
    assert "Back with the bot" in released.text and "/console/handover/8121" not in released.text
    assert bot.graph.wait_for(before + 3, "8121")  # the person is told the bot is back
    assert simulator.texts_of(bot.say("8121", "งานจัดวันไหน"))  # and the bot answers again
    with bot.db() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE moderator = 'somsri' ORDER BY id")]
    assert actions == ["account", "login", "handover_reply", "handover_reply", "handover_release"]


def test_the_web_simulator_exists_only_in_local_mode(start_bot, tmp_path):
    production = start_bot()
    assert requests.get(f"{production.url}/simulator").status_code == 404
    assert requests.post(f"{production.url}/simulator/send", json={"psid": "1", "text": "x"}).status_code in (400, 404)
    local = start_bot(page_access_token=None, database_path=tmp_path / "local.sqlite3")  # its own bot, not a standby
    http = requests.Session()
    page = http.get(f"{local.url}/simulator?psid=8601")
    assert page.status_code == 200 and "Messenger simulator" in page.text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    assert http.post(f"{local.url}/simulator/send", json={"psid": "8601", "kind": "text", "text": "สวัสดี"}).status_code == 400
    sent = http.post(f"{local.url}/simulator/send", json={"psid": "8601", "kind": "text", "text": "สวัสดี"},
                     headers={"X-CSRFToken": token})
    assert sent.status_code == 200
    seen: list[str] = []
    last = {"id": 0}

    def greeted() -> bool:  # the greeting, however split
        batch = http.get(f"{local.url}/simulator/messages", params={"psid": "8601", "after": last["id"], "wait": 2}).json()
        for m in batch["messages"]:
            last["id"] = max(last["id"], m["id"])
            seen.append(m["body"].get("message", {}).get("text", ""))
        return any("ยินดีต้อนรับ" in t for t in seen)

    eventually(greeted, 10, 0, lambda: f"no greeting in {seen}")
    after = last["id"]
    # The 👍 button sends a like in the 2026 shape, and it is thanked.
    assert http.post(f"{local.url}/simulator/send", json={"psid": "8601", "kind": "sticker"},
                     headers={"X-CSRFToken": token}).status_code == 200
    thanked = http.get(f"{local.url}/simulator/messages", params={"psid": "8601", "after": after, "wait": 5}).json()
    assert "ขอบคุณค่ะ 👍" in [m["body"].get("message", {}).get("text") for m in thanked["messages"]]
    # Numbers in the query string are range-checked: no 500 for a NaN wait or a 40-digit cursor.
    odd = http.get(f"{local.url}/simulator/messages", params={"psid": "8601", "after": "9" * 40, "wait": "nan"})
    assert odd.status_code == 400 and "whole numbers" in odd.json()["error"]


def test_a_broadcast_scheduled_from_the_console_waits_for_its_time_and_can_be_cancelled(bot):
    bot.say("8131", "สวัสดี")
    http = logged_in(bot)
    draft = post_form(bot, http, "/console/broadcasts", "/console/broadcasts", text_th="พรุ่งนี้เจอกัน", segment="everyone")
    page = draft.url.removeprefix(bot.url)
    tomorrow = (datetime.now(bot.settings.tz) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    scheduled = post_form(bot, http, page, f"{page}/send", at=tomorrow)
    assert "Scheduled for" in scheduled.text and tomorrow.replace("T", " ") in scheduled.text
    time.sleep(1.5)  # the sweep runs twice a second: nothing goes before its time
    assert not any("พรุ่งนี้เจอกัน" in t for t in simulator.texts_of(bot.graph.messages("8131")))
    cancelled = post_form(bot, http, page, f"{page}/cancel")
    assert "Cancelled" in cancelled.text and 'id="state">ยกเลิกแล้ว / Cancelled<' in cancelled.text
    past = post_form(bot, http, "/console/broadcasts", "/console/broadcasts", text_th="เมื่อวาน", segment="everyone")
    late = post_form(bot, http, past.url.removeprefix(bot.url), f"{past.url.removeprefix(bot.url)}/send",
                     at=(datetime.now(bot.settings.tz) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    assert "that time has passed" in late.text
