"""Registering in Messenger: consent, the form and its errors, cancel, resume, edit, delete, comments, export."""
from __future__ import annotations

import csv
import io
import json

import pytest

from bot.messenger import simulator
from bot.domain.contact import parse_contact
from conftest import texts


def choices(messages):
    return {q.get("title") or q["content_type"]: q.get("payload") for q in simulator.quick_replies_of(messages[-1])}


def registration(bot, psid):
    with bot.db() as conn:
        return conn.execute("SELECT * FROM registrations WHERE psid = ?", (psid,)).fetchone()


def form_step(bot, psid):
    with bot.db() as conn:
        row = conn.execute("SELECT step FROM form_state WHERE psid = ?", (psid,)).fetchone()
    return row["step"] if row else None


def agreed(chat, psid, *answers):
    """Start the form, agree to keep the data, then type `answers` one by one."""
    chat.say(psid, "ลงทะเบียน")
    chat.tap(psid, "✅ ยินยอม", "REG:CONSENT:yes")
    for answer in answers:
        chat.say(psid, answer)


def fill_in(bot, psid, name="สมชาย ใจดี", contact="0812345678", role="REG:ROLE:student", topic="REG:TOPIC:3",
            team=None):
    """Walk the whole form with valid answers up to the summary."""
    bot.say(psid, "ลงทะเบียน")
    bot.tap(psid, "✅ ยินยอม", "REG:CONSENT:yes")
    bot.say(psid, name)
    bot.say(psid, contact)
    bot.tap(psid, "role", role)
    bot.tap(psid, "topic", topic)
    return bot.tap(psid, "ข้าม", "REG:TEAM:skip") if team is None else bot.say(psid, team)


# -- the happy path ------------------------------------------------------------------------------------------
def test_a_citizen_registers_in_a_few_taps_and_gets_a_number(bot):
    answer = bot.say("7001", "อยากลงทะเบียนค่ะ")
    consent = texts(answer)[0]
    assert "ข้อมูลที่เก็บ" in consent and "เพื่อ" in consent and "เก็บไว้" in consent and "ลบข้อมูล" in consent
    assert form_step(bot, "7001") == "consent" and registration(bot, "7001") is None
    assert "ขอชื่อ" in texts(bot.tap("7001", "✅ ยินยอม", "REG:CONSENT:yes"))[0]
    asked = bot.say("7001", "สมหญิง รักชาติ")
    assert "user_email" in choices(asked) and "user_phone_number" in choices(asked)  # Messenger prefills
    # Messenger's e-mail button sends the address as the payload.
    assert "คุณคือใคร" in texts(bot.tap("7001", "Somying@Example.com", "Somying@Example.com"))[0]
    bot.tap("7001", "นักเรียน/นักศึกษา", "REG:ROLE:student")
    assert "ชื่อทีม" in texts(bot.say("7001", "๒"))[0]  # Thai digit for topic 2
    summary = texts(bot.say("7001", "ทีมรักษ์โลก"))[0]
    assert "สมหญิง รักชาติ" in summary and "somying@example.com" in summary and "ทีมรักษ์โลก" in summary
    done = texts(bot.tap("7001", "✅ ยืนยัน", "REG:CONFIRM"))[0]
    assert "OGP4-000001" in done and "ตารางงาน" in done
    row = registration(bot, "7001")
    assert (row["number"], row["status"], row["contact_kind"], row["contact"], row["role"], row["topic"], row["team"]) == (
        "OGP4-000001", "registered", "email", "somying@example.com", "student", "2", "ทีมรักษ์โลก")
    assert form_step(bot, "7001") is None


def test_english_speakers_register_in_english(chat):
    chat.say("7002", "English")
    assert "Do you agree?" in texts(chat.say("7002", "register"))[0]
    chat.say("7002", "yes")
    chat.say("7002", "John Smith")
    chat.say("7002", "+66 81 234 5678")
    chat.say("7002", "private sector")
    chat.say("7002", "4")
    summary = texts(chat.say("7002", "skip"))[0]
    assert "Name: John Smith" in summary and "081-234-5678" in summary and "Private sector" in summary
    assert "You're registered" in texts(chat.say("7002", "ok"))[0]
    assert registration(chat, "7002")["contact"] == "0812345678"


# -- every validation error -------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["ก", "สมชาย 1234", "😀😀😀", "http://spam.example", "a@b.co", "x" * 101])
def test_a_bad_name_is_refused_with_a_hint(chat, bad):
    agreed(chat, "7010")
    answer = texts(chat.say("7010", bad))[0]
    assert "ชื่อ-นามสกุล" in answer and form_step(chat, "7010") == "name"


@pytest.mark.parametrize("bad", ["02-123-4567", "08123", "081234567890", "name@example", "name@@example.com", "ไม่บอก"])
def test_a_bad_contact_is_refused_with_a_hint(chat, bad):
    agreed(chat, "7011", "สมชาย ใจดี")
    answer = texts(chat.say("7011", bad))[0]
    assert "ยังไม่ถูกต้อง" in answer and "0812345678" in answer and form_step(chat, "7011") == "contact"


def test_role_topic_and_team_are_asked_again_when_the_answer_does_not_fit(chat):
    agreed(chat, "7012", "สมชาย ใจดี")
    chat.say("7012", "0912345678")
    answer = chat.say("7012", "นักบินอวกาศ")
    assert "เลือกบทบาท" in texts(answer)[0] and len(choices(answer)) == 6  # 5 roles and cancel
    chat.say("7012", "ข้าราชการ")
    answer = chat.say("7012", "7")
    assert "หัวข้อ 1–4" in texts(answer)[0] and form_step(chat, "7012") == "topic"
    chat.say("7012", "เยียวยา")
    assert "60 ตัวอักษร" in texts(chat.say("7012", "ท" * 61))[0]
    assert form_step(chat, "7012") == "team"


@pytest.mark.parametrize("typed,expected", [
    ("081-234-5678", ("phone", "0812345678")), ("+66812345678", ("phone", "0812345678")),
    ("66 91 234 5678", ("phone", "0912345678")), ("๐๖๑๒๓๔๕๖๗๘", ("phone", "0612345678")),
    (" Name.Surname@Gmail.COM ", ("email", "name.surname@gmail.com")), ("０８１２３４５６７８", ("phone", "0812345678")),
])
def test_contacts_are_normalised(typed, expected):
    contact = parse_contact(typed)
    assert (contact.kind, contact.value) == expected


# -- leaving the path ------------------------------------------------------------------------------------------
def test_declining_consent_keeps_nothing(chat):
    chat.say("7020", "ลงทะเบียน")
    answer = texts(chat.tap("7020", "ไม่ยินยอม", "REG:CONSENT:no"))[0]
    assert "ไม่มีการเก็บข้อมูล" in answer and "ลงทะเบียน" in answer
    assert form_step(chat, "7020") is None and registration(chat, "7020") is None


def test_cancel_at_any_step_keeps_nothing(chat):
    agreed(chat, "7021", "สมชาย ใจดี")
    assert "ยกเลิกการลงทะเบียน" in texts(chat.say("7021", "ยกเลิก"))[0]
    assert form_step(chat, "7021") is None and registration(chat, "7021") is None


def test_a_question_mid_form_is_answered_and_the_form_goes_on(chat):
    agreed(chat, "7022", "สมชาย ใจดี")
    answer = texts(chat.say("7022", "งานจัดวันไหนคะ"))
    assert "17" in answer[0] and "25" in answer[0]
    assert "อีเมล" in answer[-1] and form_step(chat, "7022") == "contact"
    chat.say("7022", "0812345678")
    assert form_step(chat, "7022") == "role"


def test_a_question_at_the_consent_step_is_answered_and_consent_asked_again(chat):
    """Before: "จัดที่ไหน" at the consent step only got the consent prompt again, as if it were a wrong answer."""
    chat.say("7026", "ลงทะเบียน")
    answer = texts(chat.say("7026", "จัดที่ไหน"))
    assert len(answer) == 2 and "ลงทะเบียนเข้าร่วม" not in answer[0]  # the answer first ...
    assert "ยินยอม" in answer[-1] and form_step(chat, "7026") == "consent"  # ... then the form goes on
    english = texts(chat.say("7026", "When is the hackathon?"))
    assert "17" in english[0] and "ยินยอม" in english[-1]
    chat.tap("7026", "✅ ยินยอม", "REG:CONSENT:yes")
    assert form_step(chat, "7026") == "name"


def test_commands_typed_mid_form_still_work_and_the_form_waits(chat):
    agreed(chat, "7027")
    assert texts(chat.say("7027", "English"))[0] == "Switched to English 🇬🇧"  # not taken as a name
    assert form_step(chat, "7027") == "name"
    assert "the bot keeps about you" in texts(chat.say("7027", "my data"))[0]
    chat.say("7027", "Sam Lee")
    assert form_step(chat, "7027") == "contact"


def test_a_sticker_mid_form_gets_the_step_asked_again_kindly(chat):
    agreed(chat, "7023")
    before = len(chat.graph.messages("7023"))
    chat.webhook.send(simulator.sticker("7023"))
    answer = texts(chat.answer("7023", before))[0]
    assert "😊" in answer and "ขอชื่อ" in answer and form_step(chat, "7023") == "name"


def test_leaving_and_coming_back_resumes_where_it_was(chat):
    agreed(chat, "7024", "สมชาย ใจดี")
    chat.tap("7024", "❓ ถามคำถาม", "MENU_FAQ")  # wanders off through the menu
    answer = texts(chat.say("7024", "ลงทะเบียน"))[0]
    assert "ต่อจากที่ค้างไว้" in answer and "อีเมล" in answer and form_step(chat, "7024") == "contact"


def test_a_form_left_for_24_hours_expires(chat):
    agreed(chat, "7025")
    with chat.db() as conn:
        conn.execute("UPDATE form_state SET updated_at = updated_at - 86401 WHERE psid = '7025'")
    answer = texts(chat.say("7025", "งานจัดวันไหน"))[0]  # not taken as a name any more
    assert "17" in answer and form_step(chat, "7025") is None


def test_a_redelivered_answer_moves_the_form_once(chat):
    agreed(chat, "7026")
    event = simulator.text("7026", "สมชาย ใจดี", mid="m_name_once")
    before = len(chat.graph.messages("7026"))
    for _ in range(3):
        chat.webhook.send(event)
    chat.wait_idle()
    assert len(chat.graph.quiet_then("7026")) == before + 1  # one "contact?" question, not three
    assert form_step(chat, "7026") == "contact"


# -- edit, again, delete ---------------------------------------------------------------------------------------
def test_editing_a_field_from_the_summary_returns_to_the_summary(chat):
    fill_in(chat, "7030")
    assert "ขอชื่อ" in texts(chat.tap("7030", "✏️ แก้ชื่อ", "REG:EDIT:name"))[0]
    summary = texts(chat.say("7030", "สมศักดิ์ ใจดี"))[0]
    assert "สมศักดิ์ ใจดี" in summary and "081-234-5678" in summary
    chat.tap("7030", "✅ ยืนยัน", "REG:CONFIRM")
    assert registration(chat, "7030")["full_name"] == "สมศักดิ์ ใจดี"


def test_registering_again_edits_the_same_registration(chat):
    fill_in(chat, "7031")
    chat.tap("7031", "✅ ยืนยัน", "REG:CONFIRM")
    number = registration(chat, "7031")["number"]
    answer = texts(chat.say("7031", "สมัคร"))[0]
    assert "ลงทะเบียนแล้ว" in answer and number in answer
    chat.tap("7031", "✏️ แก้ชื่อทีม", "REG:EDIT:team")
    chat.say("7031", "ทีมใหม่")
    assert number in texts(chat.tap("7031", "✅ ยืนยัน", "REG:CONFIRM"))[0]
    with chat.db() as conn:
        rows = conn.execute("SELECT number, team FROM registrations WHERE psid = '7031'").fetchall()
    assert [tuple(r) for r in rows] == [(number, "ทีมใหม่")]


def test_my_data_shows_what_is_kept_and_delete_removes_it_after_asking(chat):
    chat.graph.set_profile("7032", first_name="Malee", last_name="Dee", locale="th_TH")
    fill_in(chat, "7032", name="มาลี ดีใจ")
    chat.tap("7032", "✅ ยืนยัน", "REG:CONFIRM")
    shown = texts(chat.say("7032", "ข้อมูลของฉัน"))[0]
    assert "Malee Dee" in shown and "มาลี ดีใจ" in shown and "081-234-5678" in shown and "OGP4-" in shown
    asked = chat.say("7032", "ลบข้อมูล")
    assert "ลบข้อมูลทั้งหมด" in texts(asked)[0]
    assert "ไม่ได้ลบ" in texts(chat.tap("7032", "ไม่ลบ", "DATA:DELETE:no"))[0]
    assert registration(chat, "7032") is not None
    chat.say("7032", "ลบข้อมูล")
    assert "ลบข้อมูลของคุณเรียบร้อย" in texts(chat.tap("7032", "🗑️ ลบเลย", "DATA:DELETE:yes"))[0]
    assert registration(chat, "7032") is None
    with chat.db() as conn:
        user = conn.execute("SELECT first_name, last_name FROM users WHERE psid = '7032'").fetchone()
        kept_texts = [r[0] for r in conn.execute("SELECT event FROM inbox WHERE psid = '7032'")]
    assert user is None
    assert not any("มาลี" in e or "0812345678" in e for e in kept_texts)
    shown_after = texts(chat.say("7032", "ข้อมูลของฉัน"))[0]
    assert "OGP4-" not in shown_after and "มาลี" not in shown_after


def test_past_capacity_people_join_a_waitlist(start_chat):
    chat = start_chat(registration_capacity=1)
    fill_in(chat, "7040")
    assert "OGP4-000001" in texts(chat.tap("7040", "✅ ยืนยัน", "REG:CONFIRM"))[0]
    fill_in(chat, "7041", name="สมปอง ใจดี")
    answer = texts(chat.tap("7041", "✅ ยืนยัน", "REG:CONFIRM"))[0]
    assert "สำรอง" in answer and "OGP4-000002" in answer
    assert registration(chat, "7041")["status"] == "waitlisted"


def test_cancelling_a_registration_keeps_other_data_and_gives_the_place_to_the_waitlist(start_chat):
    """Field report: "cancel my registration" offered to erase all the person's data, and the waitlist's promise
    ("if a place opens we will tell you here") had nothing to keep it."""
    chat = start_chat(registration_capacity=1)
    fill_in(chat, "7042")
    chat.tap("7042", "✅ ยืนยัน", "REG:CONFIRM")
    chat.say("7043", "hello")  # reads English
    fill_in(chat, "7043", name="Sam Lee")
    chat.tap("7043", "✅ ยืนยัน", "REG:CONFIRM")
    assert registration(chat, "7043")["status"] == "waitlisted"
    asked = chat.say("7042", "ขอยกเลิกการลงทะเบียนค่ะ")
    assert "OGP4-000001" in texts(asked)[0] and "ลบข้อมูล" in texts(asked)[0]  # asked first; erasing is elsewhere
    assert registration(chat, "7042") is not None
    assert "ยกเลิก" in texts(chat.tap("7042", "✅ ยกเลิกเลย", "UNREGISTER:yes"))[0]
    assert registration(chat, "7042") is None
    with chat.db() as conn:  # the person is still known (no erasure): only the registration went
        assert conn.execute("SELECT count(*) FROM users WHERE psid = '7042'").fetchone()[0] == 1
    assert registration(chat, "7043")["status"] == "registered"
    chat.settle()
    assert "A place opened" in texts(chat.graph.messages("7043"))[-1] and "OGP4-000002" in texts(chat.graph.messages("7043"))[-1]
    assert "ยังไม่ได้ลงทะเบียน" in texts(chat.tap("7042", "✅ ยกเลิกเลย", "UNREGISTER:yes"))[0]  # a second tap
    kept = chat.say("7043", "cancel my registration")
    assert "OGP4-000002" in texts(kept)[0]
    assert "stays" in texts(chat.tap("7043", "↩️ Keep it", "UNREGISTER:keep"))[0]
    assert registration(chat, "7043")["status"] == "registered"


def test_cancel_typed_under_the_question_cancels_the_registration_and_never_offers_to_erase_everything(chat):
    """Field report: "ยกเลิก" typed under "Cancel registration OGP4-000001?" brought up the delete-all-my-data
    question; "ยกเลิกการลงทะเบียน" typed while editing the registration said "cancelled" and kept it."""
    fill_in(chat, "7044")
    chat.tap("7044", "✅ ยืนยัน", "REG:CONFIRM")
    chat.say("7044", "ลงทะเบียน")  # registering again: the registration's summary, to edit
    asked = texts(chat.say("7044", "ยกเลิกการลงทะเบียน"))[0]
    assert "OGP4-000001" in asked and registration(chat, "7044") is not None
    answer = texts(chat.say("7044", "ยกเลิก"))[0]
    assert "ลบข้อมูลทั้งหมด" not in answer and "แล้ว" in answer
    assert registration(chat, "7044") is None


# -- entry points --------------------------------------------------------------------------------------------
def test_an_m_me_link_with_ref_register_starts_the_form(chat):
    chat.webhook.send(simulator.referral("7050", "register"))
    assert "ยินยอม" in texts(chat.answer("7050", 0))[0]
    chat.webhook.send(simulator.postback("7051", "GET_STARTED", "Get Started", ref="register"))
    assert "ยินยอม" in texts(chat.answer("7051", 0))[0]
    chat.webhook.send(simulator.postback("7052", "GET_STARTED", "Get Started"))  # without the ref: a greeting
    assert texts(chat.answer("7052", 0))[0].startswith("สวัสดี")


def comment(comment_id, post_id, commenter, words, verb="add"):
    return {"field": "feed", "value": {"item": "comment", "verb": verb, "comment_id": comment_id, "post_id": post_id,
                                       "message": words, "from": {"id": commenter, "name": "Someone"},
                                       "created_time": 1594958400}}


def test_a_keyword_comment_gets_one_private_reply_per_person_and_post(chat):
    for change in (comment("c1", "p1", "u1", "ลงทะเบียนค่ะ"), comment("c2", "p1", "u1", "ลงทะเบียนอีกรอบ"),
                   comment("c3", "p2", "u1", "สมัครครับ"), comment("c4", "p1", "u2", "I want to REGISTER"),
                   comment("c5", "p1", "u3", "ไลฟ์ดีมากค่ะ"), comment("c6", "p1", "u4", "ลงทะเบียน", verb="edited")):
        chat.webhook.post(simulator.page_body(changes=[change]))
    chat.wait_idle()
    sent = {m["recipient"]: m["body"] for m in chat.graph.quiet_then()}
    assert set(sent) == {"comment:c1", "comment:c3", "comment:c4"}
    assert "messaging_type" not in sent["comment:c1"]  # a private reply answers a comment
    template = sent["comment:c4"]["message"]["attachment"]["payload"]
    assert "register" in template["text"].lower() and template["buttons"][0]["payload"] == "REGISTER"


# -- operators -------------------------------------------------------------------------------------------------
def test_export_is_csv_with_a_bom_for_excel_or_json_and_counts_add_up(chat, tmp_path):
    fill_in(chat, "7060", name="สมชาย ใจดี")
    chat.tap("7060", "✅ ยืนยัน", "REG:CONFIRM")
    fill_in(chat, "7061", name="John Smith", role="REG:ROLE:government", topic="REG:TOPIC:1")
    chat.tap("7061", "✅ ยืนยัน", "REG:CONFIRM")
    runner = chat.app.test_cli_runner()
    out = tmp_path / "registrations.csv"
    result = runner.invoke(args=["export-registrations", "--output", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["full_name"] for r in rows] == ["สมชาย ใจดี", "John Smith"]
    result = runner.invoke(args=["export-registrations", "--format", "json"])
    assert [r["number"] for r in json.loads(result.stdout_bytes.decode())] == ["OGP4-000001", "OGP4-000002"]
    counts = runner.invoke(args=["registrations"]).output
    assert "registered: 2" in counts and "student      1" in counts and "government   1" in counts
