"""Moderators run opinion rounds from Messenger ("/round list|open|close|report|pending", approve and reject
buttons), and the people who asked to be told of polls or of everything are told, once, when a round opens. In
process (tests/in_process.py)."""
from __future__ import annotations

import sys
from pathlib import Path

from bot.messenger import simulator
from schedules.opinion_maps import recompute_due
from test_opinions import cli, drive_planted_round, quick, small_round, statement_ids

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from opinion_synth import planted_round  # noqa: E402

TEXT = simulator.texts_of
MODERATOR = "9500"


def draft_round(bot, *args) -> int:
    made = cli(bot, "opinions", "create", *(args or ("--topic", "3")))
    assert made.exit_code == 0, made.output
    return int(made.output.strip())


def buttons(message: dict) -> dict[str, str]:
    """title -> payload of a button template's buttons."""
    payload = (message["body"]["message"].get("attachment") or {}).get("payload") or {}
    return {b["title"]: b["payload"] for b in payload.get("buttons", ())}


def press(bot, psid: str, payload: str) -> list[dict]:
    """A person presses a postback button; the bot's answer."""
    before = len(bot.graph.messages(psid))
    bot.webhook.send(simulator.postback(psid, payload))
    return bot.graph.messages(psid)[before:]


def audit_actions(bot) -> list[tuple[str, str, str]]:
    with bot.db() as conn:
        return [tuple(r) for r in conn.execute("SELECT moderator, action, detail FROM audit_log ORDER BY id")]


def state_of(bot, round_id: int) -> str:
    with bot.db() as conn:
        return conn.execute("SELECT state FROM opinion_rounds WHERE id = ?", (round_id,)).fetchone()[0]


def test_a_moderator_lists_opens_reports_and_closes_a_round_from_messenger(start_chat):
    chat = start_chat(moderator_psids=frozenset({MODERATOR, "9501"}))
    planted = planted_round(participants=80, groups=2, statements=10, consensus=2, seen=(8, 10), seed=7)
    round_id = draft_round(chat, "--title", "ทดสอบจากแชต | From the chat",
                           *[a for i in planted.statement_ids for a in
                             ("--statement", f"ข้อความที่ปลูกไว้ {i} | Planted statement {i}")])
    listed = TEXT(chat.say(MODERATOR, "/round list"))[0]
    assert f"#{round_id} [ร่าง] ทดสอบจากแชต" in listed and "10 ข้อความ" in listed

    opened = TEXT(chat.say(MODERATOR, f"/round open {round_id}"))[0]
    assert f"เปิดรอบ #{round_id}" in opened and state_of(chat, round_id) == "open"
    assert "ทำไม่ได้" in TEXT(chat.say(MODERATOR, f"/round open {round_id}"))[0]  # open already
    assert "ไม่พบรอบความเห็น #999" in TEXT(chat.say(MODERATOR, "/round report 999"))[0]
    assert "/round pending" in TEXT(chat.say(MODERATOR, "/round"))[0]  # the commands, when none is given
    assert "/round pending" in TEXT(chat.say(MODERATOR, "/round report"))[0]  # or no round
    assert "/round" not in " ".join(TEXT(chat.say(MODERATOR, "round table ที่ไหน")))  # an ordinary question

    drive_planted_round(chat, planted, round_id)
    before = chat.say(MODERATOR, f"/round report {round_id}")
    assert "ยังจัดกลุ่มไม่ได้: ยังไม่ได้คำนวณ" in TEXT(before)[0] and "กำลังคำนวณกลุ่มความเห็นครั้งแรก" in TEXT(before)[-1]
    assert recompute_due(chat.runtime.store) == [round_id]  # the lease holder's job queue answers the request

    thai, english, note = chat.say(MODERATOR, f"/round report {round_id}")
    for message in (thai, english):
        assert len(message["body"]["message"]["text"]) <= 2000
    assert TEXT([thai])[0].startswith(f"รอบความเห็น #{round_id}: ทดสอบจากแชต")
    assert "กลุ่ม A:" in TEXT([thai])[0] and "กลุ่ม B:" in TEXT([thai])[0] and "ทุกกลุ่มเห็นตรงกัน:" in TEXT([thai])[0]
    assert "ข้อความที่ปลูกไว้" in TEXT([thai])[0] and "ความเห็นที่แบ่งกลุ่ม:" in TEXT([thai])[0]
    assert "Group A:" in TEXT([english])[0] and "Every group agrees:" in TEXT([english])[0]
    assert "คำนวณล่าสุดเวลา" in TEXT([note])[0]
    chat.tap("9501", "English", "LANG:en")  # a moderator who reads English gets English first
    assert TEXT(chat.say("9501", f"/round report {round_id}"))[0].startswith(f"Opinion round #{round_id}: From the chat")

    chat.tap("9502", "👍", f"OPINION:VOTE:{statement_ids(chat, round_id)[0]}:1")  # an answer after the computation
    assert "มีคำตอบใหม่หลังการคำนวณล่าสุด" in TEXT(chat.say(MODERATOR, f"/round report {round_id}"))[-1]

    closed = TEXT(chat.say(MODERATOR, f"/round close {round_id}"))[0]
    assert f"ปิดรอบ #{round_id}" in closed and state_of(chat, round_id) == "closed"
    assert f"#{round_id} [ปิดแล้ว]" in TEXT(chat.say(MODERATOR, "/round list"))[0]
    actions = [(who, action) for who, action, _ in audit_actions(chat) if who.startswith("messenger")]
    assert actions == [(f"messenger:{MODERATOR}", "opinion_round_open"), (f"messenger:{MODERATOR}", "opinion_round_close")]


def test_a_citizen_typing_round_commands_gets_an_ordinary_reply(start_chat):
    chat = start_chat(moderator_psids=frozenset({MODERATOR}))
    round_id = draft_round(chat)
    for words in (f"/round open {round_id}", "/round list", "/round pending"):
        reply = " ".join(TEXT(chat.say("9510", words)))
        assert "เปิดรอบ" not in reply and "ร่าง" not in reply and "รออนุมัติ" not in reply
    assert state_of(chat, round_id) == "draft"
    assert not [a for a in audit_actions(chat) if a[0] != "cli"]


def test_subscribers_are_told_once_in_their_language_when_a_round_opens_and_the_notice_starts_it(start_chat):
    chat = start_chat(moderator_psids=frozenset({MODERATOR}))
    chat.tap("9520", "🔔 แจ้งเมื่อเปิดโหวต", "REMIND:POLLS")
    chat.tap("9521", "English", "LANG:en")
    chat.tap("9521", "🔔 Everything", "REMIND:ALL")
    chat.tap("9522", "🔔 แจ้งเมื่อเปิดโหวต", "REMIND:POLLS")  # then away for more than a day
    chat.say("9523", "สวัสดี")  # asked for nothing
    with chat.db() as conn:
        conn.execute("UPDATE users SET last_interaction_at = last_interaction_at - 90000 WHERE psid = '9522'")
    round_id = draft_round(chat)
    before = {psid: len(chat.graph.messages(psid)) for psid in ("9520", "9521", "9522", "9523")}

    command = simulator.text(MODERATOR, f"/round open {round_id}", mid="m_round_open")
    chat.webhook.send(command)
    chat.webhook.send(command)  # Facebook delivers it again
    answers = TEXT(chat.graph.messages(MODERATOR))
    assert len(answers) == 1 and "แจ้งคนที่ขอรับแจ้งเตือน 3 คน" in answers[0]  # one answer to the one command
    chat.say(MODERATOR, f"/round open {round_id}")  # and a second open
    new = {psid: chat.graph.messages(psid)[n:] for psid, n in before.items()}
    assert len(new["9520"]) == 1 and len(new["9521"]) == 1 and not new["9522"] and not new["9523"]
    thai, english = new["9520"][0], new["9521"][0]
    assert "เปิดรอบร่วมแสดงความเห็นแล้ว" in TEXT([thai])[0] and "การเรียนการสอนในยุค New Normal" in TEXT([thai])[0]
    assert "A new opinion round is open" in TEXT([english])[0] and "Teaching and learning in the New Normal" in TEXT([english])[0]
    assert thai["body"]["messaging_type"] == "UPDATE" and "tag" not in thai["body"]
    assert quick(thai) == {"▶️ เริ่มตอบ": f"OPINION:ROUND:{round_id}"} and quick(english) == {"▶️ Start": f"OPINION:ROUND:{round_id}"}
    with chat.db() as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM outbox WHERE batch = ?", (f"opinion-open:{round_id}",))]
    assert sorted(statuses) == ["outside_window", "sent", "sent"]  # Facebook forbids it outside the 24-hour window

    started = TEXT(chat.tap("9520", "▶️ เริ่มตอบ", f"OPINION:ROUND:{round_id}"))[0]
    assert "ข้อ 1 จาก 20" in started

    other = draft_round(chat, "--title", "รอบที่สองจากคอมมานด์ไลน์ | A second round from the CLI",
                        "--statement", "ข้อความทดสอบสำหรับรอบที่สอง | A test statement for round two")
    assert "3 people told" in cli(chat, "opinions", "open", str(other)).output  # the CLI opens the same way
    chat.settle()
    assert "รอบที่สองจากคอมมานด์ไลน์" in TEXT(chat.graph.messages("9520")[-1:])[0]


def test_approving_a_waiting_statement_from_messenger_makes_it_votable_and_tells_its_author(start_chat):
    chat = start_chat(moderator_psids=frozenset({MODERATOR}))
    round_id = small_round(chat, 3)
    for psid, words in (("9531", "ค่าอินเทอร์เน็ตควรฟรีสำหรับนักเรียนทุกคน"), ("9532", "ไอ้โง่ที่ไม่เห็นด้วยกับรัฐ")):
        chat.tap(psid, "✍️", f"OPINION:WRITE:{round_id}")
        summary = chat.say(psid, words)[-1]
        chat.tap(psid, "✅ ส่งเลย", quick(summary)["✅ ส่งเลย"])
    written, rude = statement_ids(chat, round_id)[3:]

    head, first, second = chat.say(MODERATOR, "/round pending")
    assert "รออนุมัติ 2 ข้อ" in TEXT([head])[0]
    assert f"ความเห็น #{written} · รอบ #{round_id}" in TEXT([first])[0] and "ค่าอินเทอร์เน็ตควรฟรี" in TEXT([first])[0]
    assert "⚠️ คำไม่สุภาพ: โง่" in TEXT([second])[0]
    assert buttons(first) == {"✅ เผยแพร่": f"OPINION:DECIDE:{written}:approve",
                              "❌ ไม่เผยแพร่": f"OPINION:DECIDE:{written}:reject"}
    # Nobody outside the moderators decides, even with the button's payload.
    assert "ตัวเลือกนี้หมดอายุแล้ว" in TEXT(press(chat, "9533", f"OPINION:DECIDE:{written}:approve"))[0]

    approved = press(chat, MODERATOR, f"OPINION:DECIDE:{written}:approve")
    assert f"ความเห็น #{written} เผยแพร่แล้วในรอบ #{round_id}" in TEXT(approved)[0]
    assert quick(approved[-1]) == {"⏳ รออนุมัติ (1)": "OPINION:PENDING"}
    told = TEXT(chat.graph.messages("9531")[-1:])[0]
    assert "ความเห็นของคุณเผยแพร่แล้ว" in told and "ค่าอินเทอร์เน็ตควรฟรี" in told
    rejected = press(chat, MODERATOR, f"OPINION:DECIDE:{rude}:reject")
    assert f"ความเห็น #{rude} ไม่เผยแพร่" in TEXT(rejected)[0] and not quick(rejected[-1])
    again = TEXT(press(chat, MODERATOR, f"OPINION:DECIDE:{rude}:approve"))[0]  # an old button, tapped again
    assert "ไม่ได้รออนุมัติแล้ว (ไม่เผยแพร่)" in again
    assert "ไม่มีความเห็นที่รออนุมัติ" in TEXT(chat.say(MODERATOR, "/round pending"))[0]

    seen = []  # another citizen now answers it (and never the rejected one)
    message = chat.say("9533", "แสดงความเห็น")[-1]
    while (payload := next((p for p in quick(message).values() if p.startswith("OPINION:VOTE")), None)):
        seen.append(TEXT([message])[0])
        message = chat.tap("9533", "🤷", payload.rsplit(":", 1)[0] + ":0")[-1]
    assert len(seen) == 4 and any("ค่าอินเทอร์เน็ตควรฟรี" in s for s in seen) and not any("โง่" in s for s in seen)
    decisions = [(who, action, detail) for who, action, detail in audit_actions(chat) if who.startswith("messenger")]
    assert decisions == [(f"messenger:{MODERATOR}", "opinion_statement_approve", f"#{written}"),
                         (f"messenger:{MODERATOR}", "opinion_statement_reject", f"#{rude}")]
