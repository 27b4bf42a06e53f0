"""Opinion rounds in the chat (Pol.is in Messenger): one statement at a time, agree / disagree / pass, fewer-voted
first, never twice, a vote changed by answering again, statements written by participants and moderated, "where do
I stand?", erasure, and the operators' commands. In process (tests/in_process.py), except one signed webhook test."""
from __future__ import annotations

import json

from bot.messenger import simulator

TEXT = simulator.texts_of


def cli(bot, *args):
    return bot.app.test_cli_runner().invoke(args=list(args))


def quick(message: dict) -> dict[str, str]:
    """title -> payload of a message's quick replies."""
    return {q["title"]: q["payload"] for q in simulator.quick_replies_of(message)}


def open_round(bot, *args) -> int:
    made = cli(bot, "opinions", "create", *(args or ("--topic", "3")))
    assert made.exit_code == 0, made.output
    round_id = int(made.output.strip())
    assert cli(bot, "opinions", "open", str(round_id)).exit_code == 0
    return round_id


def small_round(bot, n: int = 3) -> int:
    return open_round(bot, "--title", "ทดสอบ | Test", *[a for i in range(1, n + 1) for a in
                                                        ("--statement", f"ข้อความทดสอบที่ {i} | Test statement {i}")])


def statement_ids(bot, round_id: int) -> list[int]:
    return [s["statement"] for s in json.loads(cli(bot, "opinions", "statements", str(round_id), "--json").output)]


def test_share_your_view_shows_one_statement_at_a_time_with_agree_disagree_pass_write_and_stop(chat):
    assert "ยังไม่มีรอบร่วมแสดงความเห็น" in TEXT(chat.say("7001", "ร่วมแสดงความเห็น"))[0]
    round_id = open_round(chat)
    first = chat.say("7001", "ร่วมแสดงความเห็น")[-1]
    text = TEXT([first])[0]
    assert "ข้อ 1 จาก 20" in text and "นักเรียนทุกคนควรได้อุปกรณ์" in text
    ids = statement_ids(chat, round_id)
    assert quick(first) == {"👍 เห็นด้วย": f"OPINION:VOTE:{ids[0]}:1", "👎 ไม่เห็นด้วย": f"OPINION:VOTE:{ids[0]}:-1",
                            "🤷 ผ่าน": f"OPINION:VOTE:{ids[0]}:0", "✍️ เขียนความเห็นเอง": f"OPINION:WRITE:{round_id}",
                            "⏹️ พอก่อน": f"OPINION:STOP:{round_id}"}
    second = TEXT(chat.tap("7001", "👍 เห็นด้วย", f"OPINION:VOTE:{ids[0]}:1"))[0]
    assert second.startswith("✅ บันทึก \"👍 เห็นด้วย\" แล้วค่ะ") and "ข้อ 2 จาก 20" in second
    stopped = TEXT(chat.tap("7001", "⏹️ พอก่อน", f"OPINION:STOP:{round_id}"))[0]
    assert "ตอบไปแล้ว 1 จาก 20 ข้อ" in stopped
    english = chat.say("7002", "share your view")[-1]
    assert "Statement 1 of 20" in TEXT([english])[0] and "👍 Agree" in quick(english)


def test_fewer_voted_statements_come_first_and_nobody_sees_one_twice(chat):
    round_id = small_round(chat, 3)
    a, b, c = statement_ids(chat, round_id)
    chat.tap("7010", "x", f"OPINION:VOTE:{a}:1")  # a has a vote: b and c come before it for everyone else
    chat.tap("7011", "x", f"OPINION:VOTE:{b}:-1")
    shown = chat.say("7012", "แสดงความเห็น")[-1]
    assert f"OPINION:VOTE:{c}:1" in quick(shown).values()
    seen = []
    for _ in range(3):
        payload = next(p for p in quick(chat.graph.messages("7012")[-1]).values() if p.startswith("OPINION:VOTE"))
        seen.append(int(payload.split(":")[2]))
        chat.tap("7012", "x", payload.rsplit(":", 1)[0] + ":0")
    assert sorted(seen) == [a, b, c] and seen[0] == c
    done = chat.graph.messages("7012")[-1]
    assert "คุณตอบครบทุกข้อแล้ว (3 ข้อ)" in TEXT([done])[0] and "🧭 ฉันอยู่กลุ่มไหน" in quick(done)


def test_answering_again_changes_the_vote_and_a_repeat_counts_once(chat):
    round_id = small_round(chat, 3)
    a = statement_ids(chat, round_id)[0]
    chat.tap("7020", "x", f"OPINION:VOTE:{a}:1")
    chat.tap("7020", "x", f"OPINION:VOTE:{a}:1")  # the same tap again (Facebook redelivers, people tap twice)
    assert "คำตอบของข้อนี้คือ" in TEXT(chat.graph.messages("7020")[-1:])[0]
    assert TEXT(chat.tap("7020", "x", f"OPINION:VOTE:{a}:-1"))[0].startswith("🔄 เปลี่ยนคำตอบเป็น \"👎 ไม่เห็นด้วย\"")
    csv = cli(chat, "opinions", "votes", str(round_id)).output.strip().splitlines()
    assert len(csv) == 2 and csv[1].endswith(f",{a},-1") and csv[1].startswith("p1:")  # one vote, by key, not PSID
    assert "7020" not in "".join(csv)


def test_a_closed_round_takes_no_votes(chat):
    round_id = small_round(chat, 2)
    a = statement_ids(chat, round_id)[0]
    cli(chat, "opinions", "close", str(round_id))
    assert "ปิดรับความเห็นแล้ว" in TEXT(chat.tap("7030", "x", f"OPINION:VOTE:{a}:1"))[0]
    assert cli(chat, "opinions", "votes", str(round_id)).output.strip().splitlines() == ["voter,statement,vote"]
    assert "ตัวเลือกนี้หมดอายุแล้ว" in TEXT(chat.tap("7030", "x", "OPINION:VOTE:99999:1"))[0]
    assert "ตัวเลือกนี้หมดอายุแล้ว" in TEXT(chat.tap("7030", "x", f"OPINION:VOTE:{a}:7"))[0]


def test_a_written_statement_is_moderated_flagged_and_its_author_told_when_it_goes_live(chat):
    round_id = open_round(chat, "--topic", "3")
    prompt = chat.tap("7040", "✍️", f"OPINION:WRITE:{round_id}")
    assert "10-140 ตัวอักษร" in TEXT(prompt)[0]
    assert "ขอเป็นประโยคเดียว" in TEXT(chat.say("7040", "สั้นไป"))[0]
    summary = chat.say("7040", "พ่อแม่รับภาระหนักเกินไปตอนลูกเรียนออนไลน์ที่บ้าน")[-1]
    assert "ทีมงานจะตรวจก่อนเผยแพร่" in TEXT([summary])[0]
    assert "📨 ส่งแล้วค่ะ" in TEXT(chat.tap("7040", "✅ ส่งเลย", quick(summary)["✅ ส่งเลย"]))[0]
    chat.tap("7040", "✍️", f"OPINION:WRITE:{round_id}")
    rude = chat.say("7040", "ไอ้โง่ที่ไม่เห็นด้วยกับรัฐ")[-1]
    chat.tap("7040", "✅ ส่งเลย", quick(rude)["✅ ส่งเลย"])

    queue = json.loads(cli(chat, "opinions", "statements", str(round_id), "--pending", "--json").output)
    near, rude_one = queue
    burden = next(s["statement"] for s in json.loads(cli(chat, "opinions", "statements", str(round_id), "--json").output)
                  if s["text"]["th"].startswith("ผู้ปกครองแบกภาระ"))
    assert near["flags"]["near"][0] == burden and not near["flags"]["rude"]
    assert rude_one["flags"]["rude"] == ["โง่"]
    # Nobody else sees it while it waits.
    others = chat.say("7041", "แสดงความเห็น")
    assert "ข้อ 1 จาก 20" in TEXT(others)[-1]

    assert "approved" in cli(chat, "opinions", "approve", str(near["statement"]), "--en",
                             "Parents carry too heavy a load when children study online at home.").output
    assert "rejected" in cli(chat, "opinions", "approve", str(rude_one["statement"]), "--reject").output
    chat.settle()
    told = TEXT(chat.graph.messages("7040")[-1:])[0]
    assert "ความเห็นของคุณเผยแพร่แล้ว" in told and "พ่อแม่รับภาระ" in told
    # Now others get it, first as it has the fewest votes (its author does not: they agreed by writing it).
    assert "ข้อ 1 จาก 21" in TEXT(chat.say("7042", "แสดงความเห็น"))[-1]
    for _ in range(22):
        last = chat.graph.messages("7041")[-1]
        payload = next((p for p in quick(last).values() if p.startswith("OPINION:VOTE")), None)
        if payload is None:
            break
        chat.tap("7041", "x", payload)
    answered = [int(l.split(",")[1]) for l in cli(chat, "opinions", "votes", str(round_id)).output.splitlines()[1:]]
    assert answered.count(near["statement"]) == 2 and answered.count(rude_one["statement"]) == 1  # the author's
    with chat.db() as conn:
        assert conn.execute("SELECT count(*) FROM opinion_statements WHERE author_psid IS NOT NULL").fetchone()[0] == 0
