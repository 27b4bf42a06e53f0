"""The console against abuse: sessions revoked on the server, idle and absolute timeouts, a lock-out one address
cannot turn against a moderator elsewhere, a bounded audit of refused log-ins, security headers on every page."""
from __future__ import annotations

import re

import requests

from bot.domain.moderators import ADDRESS_FAILURE_LIMIT, AUDITED_REFUSALS, FAILED_LOGIN_LIMIT
from test_console import PASSWORD, add_moderator, csrf_of, log_in, logged_in, post_form


def copy_of(http: requests.Session) -> requests.Session:
    """Someone who copied the moderator's cookie (a shared computer, a stolen laptop)."""
    thief = requests.Session()
    thief.cookies.update(http.cookies)
    return thief


def opens(bot, http, path="/console/registrations") -> bool:
    answer = http.get(f"{bot.url}{path}", allow_redirects=False)
    assert answer.status_code in (200, 302), answer.status_code
    return answer.status_code == 200


def audit_actions(bot, action: str) -> list:
    with bot.db() as conn:
        return conn.execute("SELECT moderator, detail, address FROM audit_log WHERE action = ? ORDER BY id",
                            (action,)).fetchall()


# -- revocation -----------------------------------------------------------------------------------------------------
def test_a_cookie_copied_before_log_out_no_longer_opens_the_console(bot):
    http = logged_in(bot)
    thief = copy_of(http)
    assert opens(bot, thief)  # the copy works while the session lives...
    page = http.get(f"{bot.url}/console/").text
    http.post(f"{bot.url}/console/logout", data={"csrf_token": csrf_of(page)})
    assert not opens(bot, thief)  # ...and not after log-out: the session is gone on the server
    assert not opens(bot, thief, "/console/registrations.csv")


def test_a_password_reset_ends_every_session_of_that_moderator_and_no_other(bot):
    http = logged_in(bot)
    thief = copy_of(http)
    add_moderator(bot, name="malee")
    colleague = requests.Session()
    assert log_in(bot, colleague, name="malee").status_code == 302
    result = add_moderator(bot, password="a brand new passphrase")  # somsri's password is reset
    assert "1 sessions ended" in result.output
    assert not opens(bot, thief, "/console/registrations.csv") and not opens(bot, http)
    assert opens(bot, colleague)
    assert log_in(bot, requests.Session(), password="a brand new passphrase").status_code == 302


def test_remove_moderator_ends_the_account_and_its_sessions(bot):
    http = logged_in(bot)
    result = bot.app.test_cli_runner().invoke(args=["remove-moderator", "somsri"])
    assert result.exit_code == 0 and "removed" in result.output
    assert not opens(bot, http)
    assert log_in(bot, requests.Session()).status_code == 401
    missing = bot.app.test_cli_runner().invoke(args=["remove-moderator", "nobody"])
    assert missing.exit_code != 0 and "no moderator named 'nobody'" in missing.output
    assert [r["detail"] for r in audit_actions(bot, "account")][-1].startswith("removed")


# -- timeouts -------------------------------------------------------------------------------------------------------
def age_session(bot, minutes: float, column="last_seen_at") -> None:
    with bot.db() as conn:
        conn.execute(f"UPDATE console_sessions SET {column} = {column} - ?", (minutes * 60,))


def test_an_idle_session_ends_and_a_page_refreshing_itself_does_not_keep_it_alive(bot):
    assert bot.settings.console_idle_minutes == 30
    http = logged_in(bot)
    age_session(bot, 20)
    assert opens(bot, http, "/console/")  # a click: the session is fresh again
    age_session(bot, 25)  # 25 minutes after that click: still inside 30
    assert http.get(f"{bot.url}/console/handover/8000.json").status_code == 200  # the hand-over page's script
    age_session(bot, 10)  # 35 minutes since the last click; the script's requests do not count
    answer = http.get(f"{bot.url}/console/", allow_redirects=False)
    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]
    assert "Your session ended" in http.get(f"{bot.url}/console/login").text
    assert [r["detail"] for r in audit_actions(bot, "session_ended")] == ["idle"]


def test_a_session_ends_12_hours_after_log_in_however_busy(bot):
    http = logged_in(bot)
    age_session(bot, 12 * 60 + 1, column="created_at")
    assert not opens(bot, http, "/console/")


# -- lock-out -------------------------------------------------------------------------------------------------------
def from_address(address: str) -> requests.Session:
    http = requests.Session()
    http.headers["X-Forwarded-For"] = address  # behind one trusted proxy (TRUSTED_PROXIES=1)
    return http


def test_wrong_passwords_from_one_address_do_not_lock_the_moderator_out_elsewhere(start_bot):
    bot = start_bot(trusted_proxies=1)
    add_moderator(bot)
    attacker = from_address("203.0.113.9")
    for _ in range(FAILED_LOGIN_LIMIT):
        assert log_in(bot, attacker, password="guess").status_code == 401
    assert log_in(bot, attacker).status_code == 429  # this (name, address) waits, even with the right password
    assert log_in(bot, from_address("198.51.100.7")).status_code == 302  # the moderator, elsewhere, does not
    assert log_in(bot, from_address("198.51.100.8"), name="somsri", password="typo").status_code == 401


def test_one_address_guessing_many_names_is_stopped_and_only_that_address(start_bot):
    bot = start_bot(trusted_proxies=1)
    add_moderator(bot)
    attacker = from_address("203.0.113.10")
    for i in range(ADDRESS_FAILURE_LIMIT):
        assert log_in(bot, attacker, name=f"guess{i % 7}", password="guess").status_code == 401
    assert log_in(bot, attacker, name="somebody-else").status_code == 429
    assert log_in(bot, from_address("198.51.100.9")).status_code == 302


def test_a_flood_of_refused_log_ins_writes_a_bounded_audit_with_a_summary(start_bot):
    bot = start_bot(trusted_proxies=1)
    http = logged_in(bot)
    attacker = from_address("203.0.113.11")
    token = csrf_of(attacker.get(f"{bot.url}/console/login").text)
    refused = 200
    for i in range(refused):
        answer = attacker.post(f"{bot.url}/console/login", data={"name": "somsri", "password": f"guess{i}",
                                                                 "csrf_token": token}, allow_redirects=False)
        assert answer.status_code in (401, 429)
    itemised = audit_actions(bot, "login_failed")
    summary = audit_actions(bot, "login_failed_summary")
    assert len(itemised) == AUDITED_REFUSALS and len(summary) == 1  # was: one row per refused request
    assert summary[0]["detail"].startswith(f"{refused - AUDITED_REFUSALS} more refused log-ins in the 15 minutes")
    assert "from 1 address;" in summary[0]["detail"] and summary[0]["address"] == "203.0.113.11"
    post_form(bot, http, "/console/polls", "/console/polls", question_th="ทดสอบ", options="ก\nข")
    audit_page = http.get(f"{bot.url}/console/audit").text
    assert "poll_create" in audit_page and "login_failed_summary" in audit_page  # actions stay in sight


# -- headers --------------------------------------------------------------------------------------------------------
def test_every_console_page_sends_the_security_headers_and_its_scripts_carry_the_nonce(bot):
    bot.say("8700", "ขอคุยกับเจ้าหน้าที่")
    http = logged_in(bot)
    post_form(bot, http, "/console/polls", "/console/polls", question_th="ทดสอบ", options="ก\nข")
    post_form(bot, http, "/console/polls", "/console/polls/1/open")
    rules = [r for r in bot.app.url_map.iter_rules() if r.rule.startswith("/console") and "GET" in r.methods]
    assert len(rules) >= 12
    pages_with_scripts = 0
    for rule in rules:
        path = re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if "int:" in m.group(0) else "8700", rule.rule)
        for client in (http, requests.Session()):  # logged in, and a stranger (redirected to log in)
            answer = client.get(f"{bot.url}{path}", allow_redirects=False)
            headers = answer.headers
            policy = headers.get("Content-Security-Policy", "")
            assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, path
            assert re.search(r"script-src 'nonce-[\w-]+'", policy) and "unsafe-inline' " not in policy.split("style-src")[0]
            assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff", path
            assert headers["Referrer-Policy"] == "same-origin" and headers["Cache-Control"] == "no-store", path
            scripts = re.findall(r"<script([^>]*)>", answer.text) if answer.status_code == 200 else []
            if scripts:
                pages_with_scripts += 1
                nonce = re.search(r"'nonce-([\w-]+)'", policy).group(1)
                assert all(f'nonce="{nonce}"' in s for s in scripts), path
    assert pages_with_scripts >= 2  # the dashboard (with an open poll), a hand-over conversation


def test_the_right_password_still_logs_in_and_the_session_works(bot):
    add_moderator(bot)
    http = requests.Session()
    assert log_in(bot, http, password=PASSWORD).status_code == 302
    assert opens(bot, http) and opens(bot, http, "/console/registrations.csv")
