"""The moderators' console: accounts, log-in and log-out, CSRF, rate-limited log-ins, the audit log, the dashboard."""
from __future__ import annotations

import re

import requests

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


def test_every_console_page_needs_a_logged_in_moderator(bot):
    answer = requests.get(f"{bot.url}/console/", allow_redirects=False)
    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]


def test_accounts_need_a_real_password_and_store_only_a_hash(bot):
    assert "at least 10 characters" in add_moderator(bot, password="short").output
    assert add_moderator(bot).exit_code == 0
    with bot.db() as conn:
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
    assert answer.status_code == 401 and "wrong name or password" in answer.text
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
    for _ in range(5):
        assert log_in(bot, http, password="guess").status_code == 401
    answer = log_in(bot, http)  # even the right password waits now
    assert answer.status_code == 429 and "too many" in answer.text


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
    assert re.search(r'id="registered">1<', page) and "student: 1" in page


def test_moderators_get_stats_in_messenger_and_others_an_ordinary_reply(start_bot):
    from bot import simulator

    bot = start_bot(moderator_psids=frozenset({"9400"}))
    bot.tap("9401", "🔔 ทุกช่วง", "REMIND:ALL")
    stats = simulator.texts_of(bot.say("9400", "/stats"))[0]
    assert stats.startswith("📊 Registered 0") and "Subscribers 1" in stats
    assert not simulator.texts_of(bot.say("9401", "/stats"))[0].startswith("📊")


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
