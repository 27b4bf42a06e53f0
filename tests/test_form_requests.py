"""What a form in progress does with a feature request, an English question or something it does not do.

Field report: after "hello, how do I sign up?" opened registration at its consent step, "ตารางงาน", "where do I
stand?", "ask the speakers something" and "what's the weather in Bangkok" each got the English consent text again,
with no word of why; and at the e-mail step "what time does it start on day 1?" got "That doesn't look right".
"""
from __future__ import annotations

import pytest

from bot.messenger import simulator
from conftest import texts


def form_state(chat, psid):
    with chat.db() as conn:
        return conn.execute("SELECT form, step, data FROM form_state WHERE psid = ?", (psid,)).fetchone()


def at_consent_in_english(chat, psid):
    answer = texts(chat.say(psid, "hello, how do I sign up?"))
    assert "Do you agree?" in answer[-1] and form_state(chat, psid)["step"] == "consent"


def at_contact(chat, psid, start="ลงทะเบียน", name="สมชาย ใจดี"):
    chat.say(psid, start)
    chat.tap(psid, "✅", "REG:CONSENT:yes")
    chat.say(psid, name)
    assert form_state(chat, psid)["step"] == "contact"


# -- a feature asked for mid-form is served; the form waits, and says how to come back -----------------------------
@pytest.mark.parametrize("typed,feature,paused", [
    ("ตารางงาน", "ตาราง", "พิมพ์ 'สมัคร' เพื่อกลับมาสมัครต่อ"),  # Thai, in an English form: answered in Thai
    ("where do I stand?", "", "type 'register' to continue"),
])
def test_a_feature_asked_for_at_the_consent_step_is_served_and_the_form_waits(chat, typed, feature, paused):
    at_consent_in_english(chat, "7301")
    answer = texts(chat.say("7301", typed))
    assert paused in answer[0] and feature in " ".join(answer)
    assert not any("Do you agree?" in a for a in answer)
    assert form_state(chat, "7301")["step"] == "consent"  # kept, waiting
    resumed = texts(chat.say("7301", "register"))[-1]
    assert "carry on" in resumed and "Do you agree?" in resumed
    chat.say("7301", "yes")
    assert form_state(chat, "7301")["step"] == "name"


@pytest.mark.parametrize("typed,paused", [("ขอถามวิทยากรหน่อย", "สมัคร"), ("ask the speakers something", "register")])
def test_asking_the_speakers_mid_registration_is_not_the_consent_text_again(chat, typed, paused):
    at_consent_in_english(chat, "7302")
    answer = texts(chat.say("7302", typed))
    assert not any("Do you agree?" in a for a in answer)
    state = form_state(chat, "7302")
    if state is not None and state["form"] == "registration":  # the speakers' form did not take over
        assert paused in answer[0]


@pytest.mark.parametrize("start,typed,paused", [("ลงทะเบียน", "โหวต", "สมัคร"), ("register", "vote", "register")])
def test_a_feature_asked_for_at_a_later_step_is_not_taken_as_the_answer(chat, start, typed, paused):
    chat.say("7303", start)
    chat.tap("7303", "✅", "REG:CONSENT:yes")
    answer = texts(chat.say("7303", typed))  # a name step would have taken "โหวต" as a name
    assert paused in answer[0]
    state = form_state(chat, "7303")
    assert state["step"] == "name" and typed not in state["data"]
    chat.say("7303", "สมัคร" if start == "ลงทะเบียน" else "register")
    chat.say("7303", "Sam Lee")
    assert form_state(chat, "7303")["step"] == "contact"


# -- what the bot does not do: the question again, with how to answer or leave, in the person's language ----------
@pytest.mark.parametrize("typed,hint,prompt", [
    ("what's the weather in Bangkok", "cancel", "Do you agree?"),
    ("อากาศที่กรุงเทพเป็นยังไง", "ยกเลิก", "ยินยอม"),  # Thai typed into an English form: a Thai reply
])
def test_out_of_scope_text_at_the_consent_step_gets_a_hint_in_its_own_language(chat, typed, hint, prompt):
    at_consent_in_english(chat, "7304")
    answer = texts(chat.say("7304", typed))
    assert len(answer) == 1 and hint in answer[0] and prompt in answer[0]
    assert form_state(chat, "7304")["step"] == "consent"


@pytest.mark.parametrize("start,typed,hint", [
    ("register", "what's the weather in Bangkok?", "cancel"), ("ลงทะเบียน", "พรุ่งนี้ฝนจะตกไหม", "ยกเลิก")])
def test_out_of_scope_question_at_the_name_step_is_not_taken_as_a_name(chat, start, typed, hint):
    chat.say("7305", start)
    chat.tap("7305", "✅", "REG:CONSENT:yes")
    answer = texts(chat.say("7305", typed))
    assert hint in answer[0] and form_state(chat, "7305")["step"] == "name"


# -- an English question mid-form is a question, as a Thai one is -------------------------------------------------
@pytest.mark.parametrize("start,name,typed,next_prompt", [
    ("register", "Sam Lee", "what time does it start on day 1?", "e-mail"),
    ("ลงทะเบียน", "สมชาย ใจดี", "วันแรกงานเริ่มกี่โมงคะ", "อีเมล"),
])
def test_a_question_at_the_contact_step_is_answered_in_either_language(chat, start, name, typed, next_prompt):
    at_contact(chat, "7306", start, name)
    answer = texts(chat.say("7306", typed))
    assert len(answer) == 2 and "17" in answer[0] and "25" in answer[0]
    assert "doesn't look right" not in answer[-1] and next_prompt in answer[-1]
    assert form_state(chat, "7306")["step"] == "contact"


# -- a second form started mid-form: the first waits under it and comes back when it ends --------------------------
def ok(bot, *args) -> str:
    result = bot.app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_asking_the_speakers_mid_registration_keeps_the_registration_answers_for_afterwards(chat):
    """Field report: a person half-way through registration asked the speakers a question; the question form
    replaced the registration, and the name typed into it was gone."""
    ok(chat, "qa", "open", "opening")
    at_contact(chat, "7311", name="สมหญิง รักดี")
    assert "พิมพ์คำถามถึงวิทยากร" in " ".join(texts(chat.say("7311", "อยากถามวิทยากรค่ะ")))
    chat.say("7311", "รัฐจะช่วยคนตกงานหลังโควิดอย่างไรบ้าง?")
    chat.tap("7311", "anon", "ASKQ:NAME:anon")
    sent = chat.tap("7311", "ok", "ASKQ:CONFIRM")
    assert "ผู้ดูแลจะตรวจก่อนขึ้นจอ" in texts(sent)[0]
    assert "ทำต่อ" in texts(sent)[-1]  # the registration is offered again, with a button to carry on
    carry_on = [q["payload"] for q in simulator.quick_replies_of(sent[-1])]
    assert "REG:RESUME" in carry_on
    back = texts(chat.say("7311", "ทำต่อ"))[-1]  # the button's word typed (its "▶️" carries U+FE0F): its tap
    assert "อีเมล" in back or "เบอร์" in back  # the contact step, where the person was
    state = form_state(chat, "7311")
    assert state["form"] == "registration" and state["step"] == "contact" and "สมหญิง รักดี" in state["data"]


def test_cancelling_the_second_form_brings_back_the_first_and_the_menu_entry_resumes_it(chat):
    ok(chat, "qa", "open", "opening")
    at_contact(chat, "7312", start="register", name="Sam Lee")
    chat.say("7312", "I want to ask the speakers a question")
    cancelled = texts(chat.say("7312", "cancel"))
    assert "carry on" in cancelled[-1].lower()
    resumed = texts(chat.say("7312", "register"))[-1]  # its start words work as well as the button
    assert "carry on" in resumed.lower()
    state = form_state(chat, "7312")
    assert state["form"] == "registration" and state["step"] == "contact" and "Sam Lee" in state["data"]


def test_starting_the_waiting_form_again_from_the_menu_swaps_the_two_and_loses_neither(chat):
    ok(chat, "qa", "open", "opening")
    at_contact(chat, "7313", name="สมหญิง รักดี")
    chat.say("7313", "ถามวิทยากร")
    chat.say("7313", "รัฐจะช่วยคนตกงานหลังโควิดอย่างไรบ้าง?")  # the question form waits at its name step now
    chat.say("7313", "ลงทะเบียน")  # back to the registration
    state = form_state(chat, "7313")
    assert state["form"] == "registration" and state["step"] == "contact"
    chat.say("7313", "somying@example.org")
    chat.tap("7313", "role", "REG:ROLE:student")
    chat.tap("7313", "topic", "REG:TOPIC:1")
    chat.tap("7313", "skip", "REG:TEAM:skip")
    done = chat.tap("7313", "ok", "REG:CONFIRM")
    assert "ASKQ:RESUME" in [q["payload"] for q in simulator.quick_replies_of(done[-1])]
    with chat.db() as conn:
        assert conn.execute("SELECT full_name FROM registrations WHERE psid = '7313'").fetchone()[0] == "สมหญิง รักดี"
    back = texts(chat.tap("7313", "▶️", "ASKQ:RESUME"))[-1]
    assert "แสดงชื่อ" in back  # the question form, at the step it waited at
    assert "รัฐจะช่วยคนตกงานหลังโควิดอย่างไรบ้าง?" in form_state(chat, "7313")["data"]


def test_an_old_button_tapped_mid_form_says_it_expired_and_asks_the_forms_question_again(chat):
    """Field report: tapping an old "✅ ยินยอม" while another form was current got "expired" and the main menu,
    with the pending question nowhere."""
    at_contact(chat, "7314")
    answer = texts(chat.tap("7314", "old", "SOMETHING_FROM_LAST_YEAR"))
    assert "หมดอายุ" in answer[0] and ("อีเมล" in answer[-1] or "เบอร์" in answer[-1])
