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
    assert "What you were filling in before is still here" in sent[-1]
    carried_on = texts(chat.tap("7401", "▶️ Carry on", "REG:RESUME"))[-1]
    assert "An e-mail address or Thai mobile number" in carried_on and "ขออีเมล" not in carried_on


def test_thai_chosen_mid_registration_of_an_english_profile_asks_in_thai_from_then_on(chat):
    chat.graph.set_profile("7402", first_name="John", last_name="Smith", locale="en_US")
    chat.say("7402", "register")
    chat.tap("7402", "✅", "REG:CONSENT:yes")
    switched = texts(chat.say("7402", "ภาษาไทย"))
    assert switched[0] == "เปลี่ยนเป็นภาษาไทยแล้วค่ะ 🇹🇭" and "ขอชื่อ-นามสกุล" in switched[-1]
    assert "ขออีเมล" in texts(chat.say("7402", "John Smith"))[-1]
