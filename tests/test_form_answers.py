"""What a form takes as an answer, and in which language it goes on: an adversarial tester's findings.

Field report: "English" typed mid-registration said "Switched to English" but the registration came back in Thai
after a question for the speakers; "ภาษาไทย" mid-form still got the English contact question; "เลิก" and
"สวัสดีครับ" became full names; "สมัคร" typed at the question step got "must be 10-300 characters"; "อีเมลผมคือ
ploy@example.com ครับ" and "เรื่องการเรียน" were refused; "cancel" in a Thai form got the Thai confirmation.
"""
from __future__ import annotations

import pytest

from conftest import texts
from test_form_requests import at_contact, form_state
from test_privacy import cli


def test_english_chosen_mid_registration_wins_there_and_after_a_question_put_it_aside(chat):
    at_contact(chat, "7401")  # a Thai profile: the registration started in Thai
    switched = texts(chat.say("7401", "English"))
    assert switched[0] == "Switched to English 🇬🇧"
    assert "An e-mail address or Thai mobile number" in switched[-1]  # the pending question, in English
    cli(chat, "qa", "open", "opening")
    chat.say("7401", "ask the speakers")  # puts the registration aside
    chat.say("7401", "How will the government help people who lost their jobs?")
    chat.tap("7401", "anon", "ASKQ:NAME:anon")
    sent = texts(chat.tap("7401", "✅ Send it", "ASKQ:CONFIRM"))
    assert "What you were filling in before is still here: Registration." in sent[-1]  # named
    carried_on = texts(chat.tap("7401", "▶️ Carry on", "REG:RESUME"))[-1]
    assert "An e-mail address or Thai mobile number" in carried_on and "ขออีเมล" not in carried_on


def test_thai_chosen_mid_registration_of_an_english_profile_asks_in_thai_from_then_on(chat):
    chat.graph.set_profile("7402", first_name="John", last_name="Smith", locale="en_US")
    chat.say("7402", "register")
    chat.tap("7402", "✅", "REG:CONSENT:yes")
    switched = texts(chat.say("7402", "ภาษาไทย"))
    assert switched[0] == "เปลี่ยนเป็นภาษาไทยแล้วค่ะ 🇹🇭" and "ขอชื่อ-นามสกุล" in switched[-1]
    assert "ขออีเมล" in texts(chat.say("7402", "John Smith"))[-1]


# -- cancel-like words end the form; a greeting or thanks is no answer -------------------------------------------
def agreed(chat, psid):
    chat.say(psid, "ลงทะเบียน")
    chat.tap(psid, "✅", "REG:CONSENT:yes")
    assert form_state(chat, psid)["step"] == "name"


@pytest.mark.parametrize("typed", ["เลิก", "ออก", "ไม่สมัครแล้วครับ", "ไม่เอาแล้ว", "exit", "never mind"])
def test_cancel_like_words_at_the_name_step_end_the_registration_keeping_nothing(chat, typed):
    agreed(chat, "7410")
    answer = texts(chat.say("7410", typed))
    assert "ยกเลิกการลงทะเบียนแล้ว" in answer[0] or "Registration cancelled" in answer[0]
    assert form_state(chat, "7410") is None


@pytest.mark.parametrize("typed,kind", [("สวัสดีครับ", "สวัสดีค่ะ"), ("ขอบคุณครับ", "ยินดีค่ะ")])
def test_a_greeting_or_thanks_is_no_name_nor_contact_and_the_question_comes_again_kindly(chat, typed, kind):
    agreed(chat, "7411")
    answer = texts(chat.say("7411", typed))[-1]
    assert kind in answer and "ขอชื่อ-นามสกุล" in answer
    assert form_state(chat, "7411")["step"] == "name"
    chat.say("7411", "สมชาย ใจดี")
    answer = texts(chat.say("7411", typed))[-1]
    assert kind in answer and "ขออีเมล" in answer and "รูปแบบยังไม่ถูกต้อง" not in answer
    assert form_state(chat, "7411")["step"] == "contact"


def test_cancel_typed_in_english_in_a_thai_form_is_answered_in_english(chat):
    agreed(chat, "7412")
    assert texts(chat.say("7412", "cancel"))[0].startswith("Registration cancelled")


# -- a feature's own words serve it at every step, the form put aside -------------------------------------------
@pytest.mark.parametrize("typed", ["สมัคร", "ร่วมแสดงความเห็น", "ตารางงาน"])
def test_a_features_words_at_the_question_forms_name_step_are_no_name(chat, typed):
    cli(chat, "qa", "open", "opening")
    chat.say("7420", "ถามวิทยากร")
    chat.say("7420", "รัฐจะช่วยคนตกงานหลังโควิดอย่างไรบ้าง")
    answer = texts(chat.say("7420", typed))
    assert "ยืนยัน" not in " ".join(answer) and "แสดงชื่อ" not in answer[-1]  # no summary with it as the name
    with chat.db() as conn:
        kept = conn.execute("SELECT data, waiting FROM form_state WHERE psid = '7420'").fetchone()
    assert typed not in kept["data"] and typed not in (kept["waiting"] or "")


@pytest.mark.parametrize("typed,served", [("ลงทะเบียน", "ยินยอม"), ("สมัคร", "ยินยอม"), ("ตารางงาน", "ตาราง")])
def test_a_features_words_at_the_question_text_step_serve_it(chat, typed, served):
    cli(chat, "qa", "open", "opening")
    chat.say("7421", "ถามวิทยากร")
    answer = texts(chat.say("7421", typed))
    assert served in " ".join(answer) and "10–300" not in " ".join(answer)
    with chat.db() as conn:
        assert typed not in conn.execute("SELECT data, waiting FROM form_state WHERE psid = '7421'").fetchone()["data"]


# -- text at the summary: what it waits for --------------------------------------------------------------------
def test_a_link_typed_at_the_summary_says_what_the_summary_waits_for(chat):
    cli(chat, "qa", "open", "opening")
    chat.say("7430", "ถามวิทยากร")
    chat.say("7430", "รัฐจะช่วยคนตกงานหลังโควิดอย่างไรบ้าง")
    chat.tap("7430", "anon", "ASKQ:NAME:anon")
    answer = texts(chat.say("7430", "https://example.org/my-slides"))[-1]
    assert "ตอนนี้บอทรอคำตอบ" in answer and "รัฐจะช่วยคนตกงาน" in answer


# -- answers inside a sentence ------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed,kept", [("อีเมลผมคือ ploy@example.com ครับ", "ploy@example.com"),
                                        ("081 234 5678 ค่ะ", "0812345678"), ("my email is Ploy@Example.com", "ploy@example.com")])
def test_an_email_or_phone_inside_a_sentence_is_taken(chat, typed, kept):
    at_contact(chat, "7440")
    assert "บทบาท" in texts(chat.say("7440", typed))[-1] or form_state(chat, "7440")["step"] == "role"
    assert kept in form_state(chat, "7440")["data"]


@pytest.mark.parametrize("typed,number", [("เรื่องการเรียน", "3"), ("การเยียวยาค่ะ", "2"), ("epidemic control", "4"),
                                          ("Jobs", "1")])
def test_a_topic_named_in_words_is_taken(chat, typed, number):
    at_contact(chat, "7441")
    chat.say("7441", "0812345678")
    chat.tap("7441", "role", "REG:ROLE:student")
    chat.say("7441", typed)
    state = form_state(chat, "7441")
    assert state["step"] == "team" and f'"topic": "{number}"' in state["data"]


# -- the texts name the form, and say truly how to come back -----------------------------------------------------
def test_a_paused_question_says_how_to_come_back_and_a_form_that_comes_back_is_named(chat):
    cli(chat, "qa", "open", "opening")
    chat.say("7450", "ถามวิทยากร")
    paused = texts(chat.say("7450", "ตารางงาน"))[0]
    assert "พิมพ์ 'ถามวิทยากร'" in paused and "เมนู" not in paused
    chat.say("7450", "ถามวิทยากร")  # back to it
    chat.say("7450", "ลงทะเบียน")  # registration started on top of it: the question is put aside
    back = texts(chat.say("7450", "ยกเลิก"))[-1]
    assert "คำถามถึงวิทยากร ที่คุณทำค้างไว้" in back


def test_a_paused_statement_says_how_to_write_it_again_not_pick_it_from_a_menu(chat):
    made = cli(chat, "opinions", "create", "--topic", "3").output.strip()
    cli(chat, "opinions", "open", made)
    chat.tap("7451", "✍️", f"OPINION:WRITE:{made}")
    paused = texts(chat.say("7451", "ตารางงาน"))[0]
    assert "พิมพ์ 'แสดงความเห็น'" in paused and "เมนู" not in paused


@pytest.mark.parametrize("typed,served", [("ลงทะเบียน", "ยินยอม"), ("ถามวิทยากร", "ยังไม่มีช่วงที่เปิดรับคำถาม")])
def test_a_features_words_at_the_own_statement_step_serve_it_and_are_no_statement(chat, typed, served):
    made = cli(chat, "opinions", "create", "--topic", "3").output.strip()
    cli(chat, "opinions", "open", made)
    chat.tap("7452", "✍️", f"OPINION:WRITE:{made}")
    answer = " ".join(texts(chat.say("7452", typed)))
    assert served in answer and "10-140" not in answer
    with chat.db() as conn:
        assert typed not in conn.execute("SELECT data FROM form_state WHERE psid = '7452'").fetchone()["data"]
