"""Broadcasts: segments, each person's language, Messenger's window and tag rules, scheduling, cancelling,
progress, "/broadcast" for Messenger moderators, and replies to citizens not waiting behind a broadcast."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from bot.domain import broadcasts
from bot.messenger import simulator
from test_registration import fill_in
from conftest import eventually, texts

BANGKOK_FMT = "%Y-%m-%d %H:%M:%S"


def cli(bot, *args):
    return bot.app.test_cli_runner().invoke(args=list(args))


def status(bot, broadcast_id) -> dict:
    return json.loads(cli(bot, "broadcast-status", str(broadcast_id), "--json").stdout)


def wait_for_state(bot, broadcast_id, states=("done",), timeout=20.0) -> dict:
    seen: dict = {}

    def reached() -> dict | None:
        seen.update(status(bot, broadcast_id))
        return dict(seen) if seen["state"] in states else None

    return eventually(reached, timeout, 0.1, lambda: f"broadcast {broadcast_id} still {seen}")


def wait_until_sending(bot, broadcast_id, at_least=1, timeout=10.0) -> None:
    eventually(lambda: status(bot, broadcast_id)["sent"] >= at_least, timeout, 0.05, "the broadcast did not start")


def announce(bot, *args) -> int:
    result = cli(bot, "broadcast", *args)
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return int(result.stdout.strip())


def age_window(bot, psid, hours=30):
    """`psid` last wrote `hours` ago (outside the 24-hour window when over 24)."""
    with bot.db() as conn:
        conn.execute("UPDATE users SET last_interaction_at = ? WHERE psid = ?", (time.time() - hours * 3600, psid))


def bodies(bot, psid, words):
    return [m["body"] for m in bot.graph.messages(psid) if words in json.dumps(m["body"], ensure_ascii=False)]


def test_everyone_gets_it_in_their_language_and_outside_the_window_only_registered_as_a_utility_message(bot):
    bot.sync_templates()
    bot.say("8001", "สวัสดี")  # Thai, inside the window
    bot.say("8002", "English")  # switches to English
    bot.say("8003", "สวัสดี")  # outside the window, not registered: skipped
    fill_in(bot, "8004")
    bot.tap("8004", "✅ ยืนยัน", "REG:CONFIRM")  # registered, then outside the window
    age_window(bot, "8003")
    age_window(bot, "8004")
    broadcast_id = announce(bot, "--text", "ไลฟ์เริ่มแล้ว", "--text-en", "We are live", "--event-update")
    done = wait_for_state(bot, broadcast_id)
    assert (done["audience"], done["sent"], done["skipped"], done["failed"], done["percent"]) == (4, 3, 1, 0, 100)
    assert bodies(bot, "8001", "ไลฟ์เริ่มแล้ว")[0]["messaging_type"] == "UPDATE"
    english = bodies(bot, "8002", "We are live")
    assert english and english[0]["messaging_type"] == "UPDATE" and not bodies(bot, "8002", "ไลฟ์เริ่มแล้ว")
    utility = bodies(bot, "8004", "ไลฟ์เริ่มแล้ว")[0]
    assert utility["messaging_type"] == "UTILITY" and "tag" not in utility
    payload = utility["message"]["attachment"]["payload"]
    assert payload["name"].startswith("event_update_") and payload["language"] == {"code": "th"}
    assert payload["components"][0]["parameters"] == [{"type": "text", "text": "ไลฟ์เริ่มแล้ว"}]
    assert not bodies(bot, "8003", "ไลฟ์เริ่มแล้ว")
    with bot.db() as conn:  # a recorded result for every recipient
        results = dict(conn.execute("SELECT psid, status FROM outbox WHERE batch = ?", (f"broadcast:{broadcast_id}",)))
    assert results == {"8001": "sent", "8002": "sent", "8003": "outside_window", "8004": "sent"}


def test_someone_who_writes_english_gets_it_in_english_though_their_facebook_locale_is_thai(bot):
    """Field report: a person who only ever typed English (their Facebook locale is Thai) got every reply in English
    and every announcement in Thai. The language a person reads: chosen, else their words', else their locale's."""
    bot.say("8011", "hello, when is the event?")  # typed English; never chose a language
    bot.say("8012", "ภาษาไทย")  # chose Thai ...
    bot.say("8012", "when is the event?")  # ... then typed English: the choice wins
    broadcast_id = announce(bot, "--text", "ไลฟ์เริ่มแล้ว", "--text-en", "We are live")
    wait_for_state(bot, broadcast_id)
    assert bodies(bot, "8011", "We are live") and not bodies(bot, "8011", "ไลฟ์เริ่มแล้ว")
    assert bodies(bot, "8012", "ไลฟ์เริ่มแล้ว") and not bodies(bot, "8012", "We are live")
    with bot.db() as conn:
        assert conn.execute("SELECT language FROM users WHERE psid = '8011'").fetchone()[0] == "th"  # the locale's


def test_without_the_event_update_mark_nobody_outside_the_window_gets_it(bot):
    fill_in(bot, "8011")
    bot.tap("8011", "✅ ยืนยัน", "REG:CONFIRM")
    age_window(bot, "8011")
    preview = cli(bot, "broadcast", "--segment", "registered", "--text", "โปรโมชันพิเศษ", "--draft")
    assert "0 inside the 24-hour window" in preview.stderr and "1 outside it (skipped)" in preview.stderr
    broadcast_id = announce(bot, "--segment", "registered", "--text", "โปรโมชันพิเศษ")
    assert wait_for_state(bot, broadcast_id)["skipped"] == 1
    assert not bodies(bot, "8011", "โปรโมชันพิเศษ")


def test_segments_pick_their_people(bot):
    bot.say("8021", "สวัสดี")
    bot.say("8022", "English")
    bot.tap("8023", "topic", "REMIND:TOPIC:2")
    topic_two = announce(bot, "--segment", "topic:2", "--text", "หัวข้อ 2 เท่านั้น")
    english = announce(bot, "--segment", "language:en", "--text", "ภาษาไทย", "--text-en", "English only")
    wait_for_state(bot, topic_two)
    wait_for_state(bot, english)
    assert [p for p in ("8021", "8022", "8023") if bodies(bot, p, "หัวข้อ 2 เท่านั้น")] == ["8023"]
    assert [p for p in ("8021", "8022", "8023") if bodies(bot, p, "English only")] == ["8022"]
    bad = cli(bot, "broadcast", "--segment", "topic:9", "--text", "x")
    assert bad.exit_code != 0 and "topic number 1 to 4" in bad.stderr


def test_a_link_goes_as_a_button_and_messenger_limits_are_checked_first(bot):
    bot.say("8031", "สวัสดี")
    broadcast_id = announce(bot, "--text", "ตอบแบบสอบถามหน่อยนะคะ", "--link", "https://example.org/survey",
                            "--link-title", "ทำแบบสอบถาม")
    wait_for_state(bot, broadcast_id)
    body = bodies(bot, "8031", "ตอบแบบสอบถาม")[0]
    button = body["message"]["attachment"]["payload"]["buttons"][0]
    assert button == {"type": "web_url", "title": "ทำแบบสอบถาม", "url": "https://example.org/survey"}
    too_long = cli(bot, "broadcast", "--text", "ก" * 700, "--link", "https://example.org")
    assert too_long.exit_code != 0 and "Messenger allows 640" in too_long.stderr
    assert cli(bot, "broadcast", "--text", "ก" * 2001).exit_code != 0


def test_a_scheduled_broadcast_goes_at_its_time_and_a_cancelled_one_never(bot):
    bot.say("8041", "สวัสดี")
    tz = bot.settings.tz
    soon = (datetime.now(tz) + timedelta(seconds=2)).strftime(BANGKOK_FMT)
    later = (datetime.now(tz) + timedelta(seconds=2)).strftime(BANGKOK_FMT)
    on_time = announce(bot, "--text", "ตรงเวลา", "--at", soon)
    cancelled = announce(bot, "--text", "ถูกยกเลิก", "--at", later)
    assert status(bot, on_time)["state"] == "scheduled"
    assert "cancelled" in cli(bot, "broadcast-cancel", str(cancelled)).stdout
    wait_for_state(bot, on_time, timeout=10)
    time.sleep(1.5)
    assert bodies(bot, "8041", "ตรงเวลา") and not bodies(bot, "8041", "ถูกยกเลิก")
    assert status(bot, cancelled)["state"] == "cancelled"
    assert cli(bot, "broadcast-cancel", str(on_time)).exit_code != 0  # done: nothing to cancel
    listing = cli(bot, "broadcasts").stdout
    assert f"#{on_time}" in listing and "done" in listing and "cancelled" in listing


def slow_broadcast(start_bot, rate: float, people: list[str], text: str):
    """A bot sending `rate` messages a second, `people` who wrote to it, and a broadcast to them under way."""
    bot = start_bot(send_rate=rate)
    bot.webhook.send(*[simulator.text(p, "สวัสดี") for p in people])
    bot.wait_idle(timeout=20)
    broadcast_id = announce(bot, "--text", text)
    wait_until_sending(bot, broadcast_id, at_least=5)
    return bot, broadcast_id


def test_cancelling_mid_way_stops_the_rest_and_counts_them_skipped(start_bot):
    people = [f"805{i:02d}" for i in range(60)]
    bot, broadcast_id = slow_broadcast(start_bot, 20, people, "ยาวนาน")
    assert cli(bot, "broadcast-cancel", str(broadcast_id)).exit_code == 0
    time.sleep(1.0)
    final = status(bot, broadcast_id)
    assert final["state"] == "cancelled" and final["pending"] == 0
    received = sum(1 for p in people if bodies(bot, p, "ยาวนาน"))
    assert 0 < received < 60 and final["sent"] == received and final["skipped"] == 60 - received


def test_a_citizens_answer_does_not_wait_behind_a_broadcast(start_bot):
    bot, broadcast_id = slow_broadcast(start_bot, 25, [f"806{i:02d}" for i in range(100)], "ประกาศถึงทุกคน")
    answer = bot.say("80999", "งานจัดวันไหน")
    assert "กรกฎาคม" in texts(answer)[0]
    wait_for_state(bot, broadcast_id, timeout=30)
    # In the order Facebook received them: the answer came while most of the broadcast was still to go.
    order = [m["recipient"] for m in bot.graph.messages() if m["recipient"] == "80999"
             or "ประกาศถึงทุกคน" in json.dumps(m["body"], ensure_ascii=False)]
    assert len(order) - 1 - order.index("80999") > 30, order.index("80999")


def test_messenger_moderators_broadcast_after_seeing_the_audience(start_bot):
    bot = start_bot(moderator_psids=frozenset({"8070"}))
    bot.say("8071", "สวัสดี")
    bot.say("8072", "สวัสดี")
    age_window(bot, "8072")
    ordinary = texts(bot.say("8071", "/broadcast ทุกคนมาโหวต"))
    assert not any("ประกาศ #" in t for t in ordinary)  # not a moderator: a normal reply
    confirm = bot.say("8070", "/broadcast ไลฟ์เริ่มแล้วค่ะ")
    question = texts(confirm)[0]
    assert "ถึงทุกคน 3 คน" in question and "ส่งถึงได้ตอนนี้ 2 คน" in question and "1 คน (จะข้าม)" in question
    payloads = [q["payload"] for q in simulator.quick_replies_of(confirm[-1])]
    assert payloads[0].startswith("BROADCAST:SEND:")
    assert not bodies(bot, "8071", "ไลฟ์เริ่มแล้วค่ะ")  # nothing goes before the confirmation
    assert "กำลังส่งประกาศ" in texts(bot.tap("8070", "ส่งเลย", payloads[0]))[0]
    broadcast_id = int(payloads[0].rsplit(":", 1)[1])
    wait_for_state(bot, broadcast_id)
    assert bodies(bot, "8071", "ไลฟ์เริ่มแล้วค่ะ") and not bodies(bot, "8072", "ไลฟ์เริ่มแล้วค่ะ")
    assert "ส่งแล้ว 2" in texts(bot.say("8070", f"/broadcast status {broadcast_id}"))[0]
    spoofed = bot.tap("8071", "ส่งเลย", payloads[0])  # a payload from someone else changes nothing
    assert not any("กำลังส่งประกาศ" in t for t in texts(spoofed))
    with bot.db() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE moderator = 'messenger:8070'")]
    assert actions == ["broadcast_draft", "broadcast_send"]


def test_a_messenger_broadcast_carries_its_english_text_after_a_bar(start_bot):
    """Field report: "/broadcast TEXT" reached people who read English in Thai, with no way to give an English text."""
    bot = start_bot(moderator_psids=frozenset({"8075"}))
    bot.say("8076", "hello, when is it?")  # reads English (their words)
    bot.say("8077", "สวัสดีค่ะ")
    alone = texts(bot.say("8075", "/broadcast ไลฟ์เริ่มแล้ว"))[0]
    assert "ผู้อ่านภาษาอังกฤษจะได้ข้อความภาษาไทย" in alone  # the moderator is told before sending
    confirm = bot.say("8075", "/broadcast ไลฟ์เริ่มแล้ว มาโหวตกัน | We are live, come and vote")
    assert "We are live, come and vote" in texts(confirm)[0]
    send = next(q["payload"] for q in simulator.quick_replies_of(confirm[-1]) if q["payload"].startswith("BROADCAST:SEND:"))
    bot.tap("8075", "ส่งเลย", send)
    wait_for_state(bot, int(send.rsplit(":", 1)[1]))
    assert bodies(bot, "8076", "We are live, come and vote") and not bodies(bot, "8076", "มาโหวตกัน")
    assert bodies(bot, "8077", "ไลฟ์เริ่มแล้ว มาโหวตกัน") and not bodies(bot, "8077", "We are live")


def test_a_fan_out_interrupted_after_its_first_chunk_resumes_where_it_stopped(start_bot):
    """As after a kill -9 mid fan-out: the cursor and the dedup keys let the next leader finish it exactly."""
    people = [f"809{i:02d}" for i in range(25)]

    def interrupted_fan_out(runtime):
        now = time.time()
        with runtime.store.write() as conn:
            conn.executemany("INSERT INTO users (psid, first_seen, last_seen, last_interaction_at) VALUES (?, ?, ?, ?)",
                             [(p, now, now, now) for p in people])
            broadcast_id = broadcasts.create(conn, text_th="ต่อจากเดิม", segment=broadcasts.Segment("everyone"),
                                             created_by="test")
            broadcasts.schedule(conn, broadcast_id)
        assert broadcasts.fan_out_chunk(runtime.store, broadcast_id, chunk=10)  # 10 queued, then the "crash"
        with runtime.store.write() as conn:  # a chunk written again (the crash came before the cursor moved)
            conn.execute("UPDATE broadcasts SET cursor = NULL, fanned_out = 0 WHERE id = ?", (broadcast_id,))

    bot = start_bot(setup=interrupted_fan_out)
    done = wait_for_state(bot, 1)
    assert (done["audience"], done["sent"]) == (25, 25)
    assert all(len(bodies(bot, p, "ต่อจากเดิม")) == 1 for p in people)


def test_stop_means_no_announcements_reminders_or_polls_until_start(bot):
    """Field report: "ไม่อยากได้ข้อความจากบอทแล้ว" (I don't want messages from the bot any more) was read as a request
    for a person, and "stop" got "You're welcome"; announcements kept coming."""
    bot.say("8081", "สวัสดี")
    bot.tap("8081", "🔔", "REMIND:ALL")
    bot.say("8082", "สวัสดี")
    assert "หยุดส่งประกาศ" in texts(bot.say("8081", "ไม่อยากได้ข้อความจากบอทแล้ว"))[0]
    assert "No more announcements" in texts(bot.say("8083", "stop"))[0]
    first = announce(bot, "--text", "ประกาศแรก")
    wait_for_state(bot, first)
    assert not bodies(bot, "8081", "ประกาศแรก") and not bodies(bot, "8083", "ประกาศแรก")
    assert bodies(bot, "8082", "ประกาศแรก")
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM subscriptions WHERE psid = '8081'").fetchone()[0] == 0
    assert "กลับมารับประกาศ" in texts(bot.say("8081", "รับข่าว"))[0]
    second = announce(bot, "--text", "ประกาศที่สอง")
    wait_for_state(bot, second)
    assert bodies(bot, "8081", "ประกาศที่สอง") and not bodies(bot, "8083", "ประกาศที่สอง")
