"""A person's rights over their data, as they notice them: after "delete my data" the bot never writes to them
again (no broadcast, reminder or poll opening) until they write again; "my data" shows everything kept."""
from __future__ import annotations

import time

from bot.domain import broadcasts
from bot.domain.segments import Segment
from bot.messenger import simulator
from conftest import texts
from test_privacy import cli, rows_holding
from test_registration import fill_in

PSID = "7771000000000001"
OTHER = "7771000000000002"


def test_an_erased_person_is_in_no_audience_and_their_psid_is_nowhere(chat):
    chat.say(OTHER, "สวัสดี")
    chat.say(PSID, "สวัสดี")
    chat.tap(PSID, "🔔", "REMIND:ALL")
    chat.tap(PSID, "🔔", "REMIND:POLLS")
    fill_in(chat, PSID)
    chat.tap(PSID, "✅ ยืนยัน", "REG:CONFIRM")
    chat.say(PSID, "ลบข้อมูล")
    erased_at = time.time()
    assert "ลบข้อมูลของคุณเรียบร้อย" in texts(chat.tap(PSID, "🗑️ ลบเลย", "DATA:DELETE:yes"))[0]  # still delivered

    # Only the confirmation just sent holds the PSID: no users row (first_seen, last_seen, window, language).
    places = {(table, column) for table, column, row in rows_holding(chat.settings.database_path, PSID)
              if not (table == "outbox" and row["created_at"] >= erased_at - 1)}
    assert places == set()

    before = len(chat.graph.messages(PSID))
    with chat.runtime.store.write() as conn:
        broadcast = broadcasts.create(conn, text_th="ประกาศ: เริ่มไลฟ์แล้ว", segment=Segment.parse("everyone"),
                                      created_by="test")
        broadcasts.schedule(conn, broadcast)
    while broadcasts.fan_out_chunk(chat.runtime.store, broadcast):
        pass
    poll = cli(chat, "poll", "create", "--question", "ชอบไหม", "--option", "ชอบ", "--option", "ไม่ชอบ").output
    cli(chat, "poll", "open", poll.strip().splitlines()[-1])
    chat.settle()
    assert any("เริ่มไลฟ์แล้ว" in t for t in texts(chat.graph.messages(OTHER)))  # the broadcast went out
    assert chat.graph.messages(PSID)[before:] == []  # neither it nor the poll reached the erased person

    # Writing again, they are a new person: greeted as one, in a new row.
    assert texts(chat.say(PSID, "สวัสดี"))[0].startswith("สวัสดีค่ะ")
    with chat.db() as conn:
        assert conn.execute("SELECT first_seen FROM users WHERE psid = ?", (PSID,)).fetchone()[0] >= erased_at - 1


# -- "my data" shows everything every table keeps ---------------------------------------------------------------
def my_data(chat, psid, words="ข้อมูลของฉัน") -> str:
    answer = texts(chat.say(psid, words))
    assert all(len(message) <= 2000 for message in answer)  # Messenger's limit, several messages if needed
    return "\n".join(answer)


def test_my_data_lists_every_thing_kept_forms_questions_statements_subscriptions_and_handover(chat):
    psid = "7772000000000001"
    fill_in(chat, psid, name="พิมพ์ชนก ทดสอบ")
    chat.tap(psid, "✅ ยืนยัน", "REG:CONFIRM")
    chat.tap(psid, "🔔", "REMIND:ALL")
    chat.tap(psid, "🔔", "REMIND:POLLS")
    cli(chat, "qa", "open", "opening")
    chat.say(psid, "ถามวิทยากร")
    chat.say(psid, "รัฐจะช่วยคนตกงานหลังโควิดอย่างไรบ้าง quokka")
    chat.tap(psid, "name", "ASKQ:NAME:anon")
    chat.tap(psid, "ok", "ASKQ:CONFIRM")
    round_id = cli(chat, "opinions", "create", "--topic", "3").output.strip()
    cli(chat, "opinions", "open", round_id)
    chat.tap(psid, "✍️", f"OPINION:WRITE:{round_id}")
    summary = chat.say(psid, "ห้องสมุดประชาชนควรเปิดถึงสามทุ่มทุกวัน wombat")[-1]
    send = next(q["payload"] for q in simulator.quick_replies_of(summary) if q["payload"].endswith("CONFIRM"))
    chat.tap(psid, "send", send)
    chat.say(psid, "ลงทะเบียน")  # registering again: the registration's summary, in progress
    chat.say(psid, "ถามวิทยากร")  # a question started on top of it: the registration is put aside
    chat.say(psid, "ทำไมต้องใช้บัตรประชาชนตอนลงทะเบียน numbat")
    chat.say(psid, "ขอคุยกับเจ้าหน้าที่")
    chat.say(psid, "อยากแก้ชื่อทีมค่ะ platypus")  # written to the staff

    shown = my_data(chat, psid)
    for kept in ("พิมพ์ชนก ทดสอบ", "OGP4-",  # the registration
                 "ทุกช่วงของงาน", "เมื่อเปิดโหวต",  # reminders, poll openings
                 "quokka", "รอตรวจ",  # the question sent, waiting for a moderator
                 "wombat",  # the statement written, waiting
                 "numbat", "คำถามถึงวิทยากร ที่กรอกค้างไว้",  # the form in progress and its answer
                 "การลงทะเบียน ที่พักไว้",  # the registration put aside under it
                 "รอเจ้าหน้าที่อยู่", "platypus"):  # the hand-over and what was written to the staff
        assert kept in shown, kept
    english = my_data(chat, psid, "my data")
    assert "What the bot keeps about you, all of it" in english and "Your question for the speakers, being filled in" in english


def test_every_table_that_keeps_something_about_a_person_shows_it_or_says_why_not(chat):
    privacy = chat.runtime.privacy
    assert privacy.not_shown() == []
    privacy.personal("upvotes_of_tomorrow", person="psid", kept_from="at")  # a new feature forgets to show it
    assert privacy.not_shown() == ["upvotes_of_tomorrow"]
