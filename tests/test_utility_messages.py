"""Messenger as it is in late 2026: the retired event-update tags, utility message templates (created, approved,
sent, refused), the template status webhook, and a Page Facebook restricts from sending (10/1893063)."""
from __future__ import annotations

import json
import time

import requests

from bot.messenger import simulator
from conftest import TOKEN
from test_broadcasts import announce, cli, wait_for_state
from test_console import add_moderator, log_in
from test_registration import fill_in


def register_and_leave(bot, psid: str, hours: float = 30) -> None:
    """`psid` registers, then writes nothing for `hours`: outside the 24-hour window."""
    fill_in(bot, psid)
    bot.tap(psid, "✅ ยืนยัน", "REG:CONFIRM")
    with bot.db() as conn:
        conn.execute("UPDATE users SET last_interaction_at = ? WHERE psid = ?", (time.time() - hours * 3600, psid))


def outbox_of(bot, psid: str, batch_like: str = "%") -> list:
    with bot.db() as conn:
        return conn.execute("SELECT status, error, attempts, sent_as FROM outbox WHERE recipient_key = ? AND batch LIKE ? "
                            "ORDER BY id", (psid, batch_like)).fetchall()


def healthz(bot):
    return requests.get(f"{bot.url}/healthz", timeout=5)


# -- the fake tells the truth -----------------------------------------------------------------------------------
def test_the_fake_refuses_a_retired_tag_exactly_as_facebook_does(fake_graph):
    for tag in ("CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"):
        answer = requests.post(f"{fake_graph.url}/me/messages", params={"access_token": TOKEN}, json={
            "recipient": {"id": "123"}, "messaging_type": "MESSAGE_TAG", "tag": tag, "message": {"text": "อัปเดต"}})
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert (error["code"], error["message"], error["type"]) == (100, "(#100) Invalid parameter", "OAuthException")
        assert error["fbtrace_id"]
    still = requests.post(f"{fake_graph.url}/me/messages", params={"access_token": TOKEN}, json={
        "recipient": {"id": "123"}, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT", "message": {"text": "สวัสดี"}})
    assert still.status_code == 200


def test_the_fake_creates_lists_and_judges_templates_like_meta(fake_graph):
    url, auth = f"{fake_graph.url}/{simulator.PAGE_ID}/message_templates", {"access_token": TOKEN}
    template = {"name": "session_reminder_test", "language": "th", "category": "UTILITY", "components": [
        {"type": "BODY", "text": "ช่วง {{1}} เริ่ม {{2}}", "example": {"body_text": [["พิธีเปิด", "13:00"]]}}]}
    created = requests.post(url, params=auth, json=template).json()
    assert created["status"] == "PENDING" and created["category"] == "UTILITY"
    again = requests.post(url, params=auth, json=template)
    assert again.status_code == 400 and "already exists" in again.json()["error"]["error_user_msg"]
    no_samples = {**template, "name": "no_samples", "components": [{"type": "BODY", "text": "ช่วง {{1}}"}]}
    assert "SAMPLE_VALUES" in requests.post(url, params=auth, json=no_samples).json()["error"]["error_user_msg"]
    quick = {**template, "name": "quick", "components": [*template["components"],
                                                         {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "ok"}]}]}
    assert requests.post(url, params=auth, json=quick).json()["error"]["error_subcode"] == 2018416
    marketing = {**template, "name": "promo", "components": [{"type": "BODY", "text": "ส่วนลด 50% วันนี้"}]}
    requests.post(url, params=auth, json=marketing)
    time.sleep(0.6)  # "approval within seconds"
    listed = {t["name"]: t for t in requests.get(url, params=auth).json()["data"]}
    assert listed["session_reminder_test"]["status"] == "APPROVED"
    assert listed["promo"]["status"] == "REJECTED" and listed["promo"]["rejected_reason"] == "INCORRECT_CATEGORY"
    send = {"recipient": {"id": "123"}, "messaging_type": "UTILITY", "message": {"attachment": {"type": "template", "payload": {
        "template_type": "utility_messages", "name": "session_reminder_test", "language": {"code": "th"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "พิธีเปิด"}, {"type": "text", "text": "13:00"}]}]}}}}
    assert requests.post(f"{fake_graph.url}/me/messages", params=auth, json=send).status_code == 200
    assert simulator.texts_of(simulator.FakeGraph(fake_graph.url).messages("123")) == ["ช่วง พิธีเปิด เริ่ม 13:00"]
    wrong = json.loads(json.dumps(send))
    wrong["message"]["attachment"]["payload"]["components"][0]["parameters"].pop()
    refused = requests.post(f"{fake_graph.url}/me/messages", params=auth, json=wrong)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 100
    wrong["message"]["attachment"]["payload"]["name"] = "promo"
    assert requests.post(f"{fake_graph.url}/me/messages", params=auth, json=wrong).json()["error"]["code"] == 100


# -- templates are content, synced idempotently ---------------------------------------------------------------
def test_templates_sync_creates_each_template_once_and_prints_every_status(bot):
    first = bot.sync_templates()
    assert first.count("created") == 6  # three templates, Thai and English
    assert "session_reminder" in first and "event_update" in first
    second = cli(bot, "templates", "sync")
    assert second.exit_code == 0 and "created" not in second.stdout and second.stdout.count("exists") == 6
    assert second.stdout.count("APPROVED") == 6
    assert len(bot.graph.templates()) == 6  # nothing made twice at Meta
    listing = cli(bot, "templates", "list").stdout
    assert listing.count("APPROVED") == 6
    report = healthz(bot).json()
    assert {t["status"] for t in report["message_templates"]} == {"APPROVED"} and report["warnings"] == []


def test_an_event_update_too_long_for_its_utility_template_is_refused_when_written(bot):
    refused = cli(bot, "broadcast", "--text", "ก" * 1500, "--event-update", "--draft")
    assert refused.exit_code != 0 and "utility message" in refused.stderr and "characters" in refused.stderr
    assert cli(bot, "broadcast", "--text", "ก" * 1500, "--draft").exit_code == 0  # not an event update: 2,000 is fine


def test_without_an_approved_template_nothing_goes_and_the_reason_is_recorded_everywhere(bot):
    register_and_leave(bot, "11001")
    preview = cli(bot, "broadcast", "--segment", "registered", "--text", "ย้ายห้องประชุม", "--event-update", "--draft")
    assert "1 registered outside it not sent: no approved template" in preview.stderr
    assert "no approved template" in " ".join(healthz(bot).json()["warnings"])
    broadcast_id = announce(bot, "--segment", "registered", "--text", "ย้ายห้องประชุม", "--event-update")
    assert wait_for_state(bot, broadcast_id)["skipped"] == 1
    assert not [m for m in bot.graph.messages("11001") if "ย้ายห้องประชุม" in json.dumps(m, ensure_ascii=False)]
    [row] = outbox_of(bot, "11001", "broadcast:%")
    assert row["status"] == "outside_window" and row["error"].startswith("no approved template (event_update_")
    add_moderator(bot)
    http = requests.Session()
    log_in(bot, http)
    page = http.get(f"{bot.url}/console/broadcasts/{broadcast_id}").text
    assert "no approved template" in page
    results = http.get(f"{bot.url}/console/broadcasts/{broadcast_id}.csv").text
    assert "11001" in results and "no approved template" in results
    dashboard = http.get(f"{bot.url}/console/").text
    assert "NOT_CREATED" in dashboard and 'id="no-template">1<' in dashboard


def test_a_template_meta_disables_without_telling_is_refused_once_then_not_used_and_the_operators_are_alerted(start_bot):
    # One send at a time: with more in flight, those already sent when the first refusal comes back are refused too.
    bot = start_bot(moderator_psids=frozenset({"11010"}), send_concurrency=1)
    bot.sync_templates()
    bot.say("11010", "สวัสดี")  # the moderator is inside the window: alerts reach them
    register_and_leave(bot, "11011")
    register_and_leave(bot, "11012")
    disabled = [t for t in bot.graph.templates() if t["name"].startswith("event_update_") and t["language"] == "th"][0]
    bot.graph.configure(webhook=None)  # Meta's webhook does not get through this time
    bot.graph.set_template_status(disabled["id"], "DISABLED")
    before = bot.graph.stats()["send_attempts"]
    broadcast_id = announce(bot, "--segment", "registered", "--text", "ประกาศผลรอบแรก", "--event-update")
    done = wait_for_state(bot, broadcast_id)
    assert (done["failed"], done["skipped"]) == (1, 1)  # the first refused by Facebook, the next not even tried
    rows = [outbox_of(bot, p, "broadcast:%")[0] for p in ("11011", "11012")]
    refused = [r for r in rows if r["status"] == "failed"][0]
    assert refused["attempts"] == 1 and refused["error"].startswith("refused by Facebook (utility template event_update_")
    held = [r for r in rows if r["status"] == "outside_window"][0]
    assert "no approved template" in held["error"] and "REFUSED" in held["error"]
    assert bot.graph.stats()["send_attempts"] - before == 1 + 1  # the refused one, and the moderator's alert
    alert = simulator.texts_of(bot.graph.wait_for(2, "11010"))[-1]
    assert "refused" in alert and "templates sync" in alert
    assert any("refused by Facebook" in a["message"] for a in healthz(bot).json()["alerts_last_day"])
    assert "REFUSED" in cli(bot, "templates", "list").stdout


def test_the_status_webhook_keeps_the_bot_informed_and_a_rejection_alerts_the_moderators(start_bot):
    bot = start_bot(moderator_psids=frozenset({"11020"}))
    bot.say("11020", "สวัสดี")
    bot.sync_templates()
    reminder = [t for t in bot.graph.templates() if t["name"].startswith("session_reminder_") and t["language"] == "en_US"][0]
    bot.graph.set_template_status(reminder["id"], "REJECTED", "INCORRECT_CATEGORY")
    deadline = time.time() + 10
    while "REJECTED" not in cli(bot, "templates", "list").stdout:
        assert time.time() < deadline, "the webhook did not reach the bot"
        time.sleep(0.1)
    alert = simulator.texts_of(bot.graph.wait_for(2, "11020"))[-1]
    assert "REJECTED" in alert and reminder["name"] in alert
    assert any(reminder["name"] in w for w in healthz(bot).json()["warnings"])
    with bot.db() as conn:  # Meta talking is recorded, never answered
        assert conn.execute("SELECT status FROM inbox WHERE kind = 'template_status' ORDER BY id DESC").fetchone()[0] == "done"


# -- a restricted Page ------------------------------------------------------------------------------------------
def test_a_restricted_page_pauses_all_sending_without_burning_anything_and_resumes_after_a_check(start_bot):
    bot = start_bot(token_recheck_seconds=0.5)
    bot.graph.fault(kind="page_restricted")
    bot.webhook.send(simulator.text("11030", "สวัสดี"))
    bot.webhook.send(simulator.text("11031", "สวัสดี"))
    deadline = time.time() + 10
    while healthz(bot).status_code != 503:
        assert time.time() < deadline, "healthz did not report the restriction"
        time.sleep(0.05)
    report = healthz(bot).json()
    assert any("restricted" in p and "10/1893063" in p for p in report["problems"])
    time.sleep(1.5)  # several checks while the restriction holds
    assert bot.graph.messages("11030") == [] and bot.graph.messages("11031") == []
    with bot.db() as conn:
        rows = conn.execute("SELECT status, attempts FROM outbox WHERE recipient_key IN ('11030', '11031')").fetchall()
    # Every reply still waiting (one may be the check in flight), none counted as an attempt.
    assert rows and {r["status"] for r in rows} <= {"queued", "sending"} and {r["attempts"] for r in rows} == {0}
    attempts = bot.graph.stats()["send_attempts"]
    assert attempts <= 2 + 4  # one message tried per check, not everything at once
    bot.graph.clear_faults()  # Facebook lifts the restriction
    bot.wait_idle(timeout=15)
    assert simulator.texts_of(bot.graph.messages("11030")) and simulator.texts_of(bot.graph.messages("11031"))
    assert healthz(bot).status_code == 200
