"""Sending: Messenger's window and tag rules, retries, permanent errors, a bad token, order and rate."""
from __future__ import annotations

import time

import pytest
import requests

from bot.messenger import simulator
from bot.messenger.outbox import enqueue, messaging_fields
from bot.messenger.replies import Outgoing, Text

HOUR = 3600


def queue_update(bot, psid: str, words: str, tag: str | None = None) -> None:
    """The bot speaks first (a reminder, an announcement): an UPDATE, not a reply."""
    with bot.runtime.store.write() as conn:
        enqueue(conn, psid, [Outgoing(Text(words), intent="UPDATE", tag=tag)])
    bot.runtime.wake_sender()


def user_wrote(bot, psid: str, hours_ago: float = 0.0) -> None:
    stamp = int((time.time() - hours_ago * HOUR) * 1000)
    bot.webhook.send(simulator.text(psid, "สวัสดี", timestamp=stamp))
    bot.wait_idle()


def outbox_rows(bot, psid: str) -> list:
    with bot.db() as conn:
        return conn.execute("SELECT * FROM outbox WHERE recipient_key = ? ORDER BY id", (psid,)).fetchall()


# -- the rules, as a table -----------------------------------------------------------------------------------
@pytest.mark.parametrize("intent,tag,hours_ago,expected", [
    ("RESPONSE", None, 1, {"messaging_type": "RESPONSE"}),
    ("UPDATE", None, 23.9, {"messaging_type": "UPDATE"}),
    ("UPDATE", None, 24.1, None),
    ("RESPONSE", None, 30, None),
    ("UPDATE", "CONFIRMED_EVENT_UPDATE", 48, None),  # retired on 27 April 2026: never sent under it
    ("UPDATE", "CONFIRMED_EVENT_UPDATE", 2, {"messaging_type": "UPDATE"}),
    ("UPDATE", "HUMAN_AGENT", 6 * 24, {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}),
    ("UPDATE", "HUMAN_AGENT", 8 * 24, None),
    ("UPDATE", None, None, None),  # never wrote to us
])
def test_messaging_type_follows_the_24_hour_window_and_tags(intent, tag, hours_ago, expected):
    now = 1_700_000_000.0
    last = None if hours_ago is None else now - hours_ago * HOUR
    assert messaging_fields(intent, tag, last, now) == expected


@pytest.mark.parametrize("tag", ["PROMOTION", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"])
def test_unknown_and_retired_tags_are_refused_when_queued(bot, tag):
    with pytest.raises(ValueError):
        queue_update(bot, "1", "ซื้อเลย!", tag=tag)


# -- the rules, end to end ------------------------------------------------------------------------------------
def test_a_reply_is_sent_as_response_and_a_bot_message_as_update(bot):
    user_wrote(bot, "1001")
    queue_update(bot, "1001", "ประกาศ: เริ่มไลฟ์แล้ว")
    messages = bot.graph.wait_for(2, "1001")
    assert [m["body"]["messaging_type"] for m in messages] == ["RESPONSE", "UPDATE"]


def test_outside_the_window_only_a_persons_reply_under_human_agent_goes_out(bot):
    user_wrote(bot, "1002", hours_ago=25)  # the reply to that old message is itself too late
    queue_update(bot, "1002", "ประกาศทั่วไป")
    queue_update(bot, "1002", "เจ้าหน้าที่ตอบคำถามของคุณค่ะ", tag="HUMAN_AGENT")
    bot.wait_idle()
    sent = bot.graph.messages("1002")
    assert len(sent) == 1
    assert sent[0]["body"]["messaging_type"] == "MESSAGE_TAG"
    assert sent[0]["body"]["tag"] == "HUMAN_AGENT"
    assert [r["status"] for r in outbox_rows(bot, "1002")] == ["outside_window", "outside_window", "sent"]


# -- temporary failures ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", [
    {"status": 500, "code": 2, "message": "service temporarily unavailable"},
    {"status": 400, "code": 1200, "message": "Temporary send message failure"},
    {"status": 503},
])
def test_temporary_failures_are_retried_until_delivered(bot, fault):
    user_wrote(bot, "1101")
    bot.graph.fault(**fault, count=2, recipient="1101")
    queue_update(bot, "1101", "ลองใหม่")
    bot.wait_idle()
    assert simulator.texts_of(bot.graph.messages("1101"))[-1] == "ลองใหม่"
    row = outbox_rows(bot, "1101")[-1]
    assert (row["status"], row["attempts"]) == ("sent", 3)


def test_a_timeout_is_retried(start_bot):
    bot = start_bot(graph_timeout_seconds=0.3)
    user_wrote(bot, "1102")
    bot.graph.fault(delay=1.0, count=1, recipient="1102")
    queue_update(bot, "1102", "หมดเวลา")
    bot.wait_idle(timeout=15)
    row = outbox_rows(bot, "1102")[-1]
    assert row["status"] == "sent" and row["attempts"] == 2
    assert "หมดเวลา" in simulator.texts_of(bot.graph.messages("1102"))


def test_throttling_slows_everyone_down_then_delivers(bot):
    bot.runtime.sender.throttle_floor = 0.5
    for psid in ("1103", "1104"):
        user_wrote(bot, psid)
    bot.graph.fault(status=400, code=613, message="Calls to this api have exceeded the rate limit.", count=1)
    started = time.time()
    queue_update(bot, "1103", "ช้าลงหน่อย")
    queue_update(bot, "1104", "ช้าลงหน่อย")
    bot.wait_idle()
    assert time.time() - started >= 0.5
    assert all(outbox_rows(bot, p)[-1]["status"] == "sent" for p in ("1103", "1104"))


def test_it_gives_up_after_repeated_failures_and_records_why(bot):
    bot.runtime.sender.backoff_base = 0.002
    user_wrote(bot, "1105")
    bot.graph.fault(status=500, recipient="1105")  # forever
    queue_update(bot, "1105", "ไม่มีวันถึง")
    bot.wait_idle(timeout=20)
    row = outbox_rows(bot, "1105")[-1]
    assert row["status"] == "failed"
    assert row["attempts"] == 8
    assert "gave up" in row["error"]


# -- permanent failures -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fault,status", [
    ({"status": 400, "code": 551, "subcode": 1545041, "message": "This person isn't available right now."}, "user_unavailable"),
    ({"status": 400, "code": 100, "subcode": 2018001, "message": "No matching user found"}, "no_matching_user"),
    ({"status": 400, "code": 10, "subcode": 2018278, "message": "outside of allowed window"}, "outside_window"),
    ({"status": 400, "code": 100, "message": "(#100) Invalid parameter"}, "failed"),
])
def test_permanent_errors_stop_at_once(bot, fault, status):
    psid = "1201"
    user_wrote(bot, psid)
    sends_before = bot.graph.stats()["send_attempts"]
    bot.graph.fault(**fault, recipient=psid)
    queue_update(bot, psid, "ถึงไหม")
    bot.wait_idle()
    row = outbox_rows(bot, psid)[-1]
    assert row["status"] == status and row["attempts"] == 1
    assert bot.graph.stats()["send_attempts"] == sends_before + 1  # no retry
    with bot.db() as conn:
        unreachable = conn.execute("SELECT unreachable FROM users WHERE psid = ?", (psid,)).fetchone()[0]
    assert unreachable == (status if status in ("user_unavailable", "no_matching_user") else None)


def test_an_invalid_token_pauses_all_sending_keeps_everything_and_resumes_when_fixed(bot):
    for i in range(5):
        user_wrote(bot, f"13{i:02d}")
    bot.graph.configure(token="a-token-the-bot-does-not-have")
    for i in range(5):
        queue_update(bot, f"13{i:02d}", f"ข่าว {i}")
    deadline = time.time() + 5
    while requests.get(f"{bot.url}/healthz").status_code != 503 and time.time() < deadline:
        time.sleep(0.05)
    health = requests.get(f"{bot.url}/healthz")
    assert health.status_code == 503
    assert "token" in " ".join(health.json()["problems"])
    time.sleep(0.5)
    with bot.db() as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM outbox WHERE intent = 'UPDATE'")]
    assert statuses == ["queued"] * 5  # nothing burnt, nothing given up
    bot.graph.configure(token=None)  # the operator fixes the token
    bot.wait_idle(timeout=10)
    assert requests.get(f"{bot.url}/healthz").status_code == 200
    for i in range(5):
        assert f"ข่าว {i}" in simulator.texts_of(bot.graph.messages(f"13{i:02d}"))


# -- order and rate ---------------------------------------------------------------------------------------
def test_each_person_gets_their_messages_in_order(bot):
    people = [f"14{i:02d}" for i in range(5)]
    for psid in people:
        user_wrote(bot, psid)
    bot.graph.fault(status=500, count=3)  # some early failures force retries in the middle of the sequence
    with bot.runtime.store.write() as conn:
        for n in range(12):
            for psid in people:
                enqueue(conn, psid, [Outgoing(Text(f"ข้อความ {n}"), intent="UPDATE")])
    bot.runtime.wake_sender()
    bot.wait_idle(timeout=20)
    for psid in people:
        texts = simulator.texts_of(bot.graph.messages(psid))[1:]  # after the greeting
        assert texts == [f"ข้อความ {n}" for n in range(12)], psid


def test_sending_never_exceeds_send_rate(start_bot):
    bot = start_bot(send_rate=20.0)
    people = [f"15{i:02d}" for i in range(40)]
    with bot.runtime.store.write() as conn:
        for psid in people:  # people inside their window
            conn.execute("INSERT INTO users (psid, first_seen, last_seen, last_interaction_at) VALUES (?, ?, ?, ?)",
                         (psid, time.time(), time.time(), time.time()))
            enqueue(conn, psid, [Outgoing(Text("ทดสอบอัตรา"), intent="UPDATE")])
    bot.runtime.wake_sender()
    bot.wait_idle(timeout=20)
    stamps = sorted(m["received_at"] for m in bot.graph.messages() if m["recipient"] in people)
    assert len(stamps) == 40
    busiest = max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)
    assert busiest <= 20 + 1  # the rate plus the bucket's one-message burst


def test_messages_in_flight_are_never_sent_twice_by_the_crash_recovery_sweep(bot):
    """The sweep that requeues rows of dead processes runs while this process is sending."""
    bot.runtime.sender.recover_every = 0.05
    people = [f"16{i:02d}" for i in range(10)]
    for psid in people:
        user_wrote(bot, psid)
    bot.graph.configure(latency=0.3)  # each send is in flight across several sweeps
    for psid in people:
        queue_update(bot, psid, "ครั้งเดียว")
    bot.wait_idle(timeout=20)
    bot.graph.configure(latency=0.0)
    for psid in people:
        assert simulator.texts_of(bot.graph.messages(psid)).count("ครั้งเดียว") == 1, psid
