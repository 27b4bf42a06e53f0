"""The language of a reply to a tap: a button carries no typed words, so it is answered in the language the person
last wrote in (their words were English: English), unless they chose a language ("English", "ภาษาไทย", the menu),
which wins. Field report: typing "when is it?" got English, tapping its "[1] Where" quick reply got Thai; an
opinion round started in English went on in Thai after "👍 Agree"; a schedule day tapped after English words
showed Thai cards. In process (tests/in_process.py)."""
from __future__ import annotations

import re

from bot.messenger import simulator
from test_opinions import quick, small_round
from test_schedule import cards_of

TEXT = simulator.texts_of
THAI = re.compile(r"[\u0E00-\u0E7F]")


def thai_in(answer: list[dict]) -> list[str]:
    return [t for t in TEXT(answer) if THAI.search(t)]


def faq_choice(message: dict) -> dict:
    return next(q for q in simulator.quick_replies_of(message) if q["payload"].startswith("FAQ:"))


def test_a_faq_quick_reply_tapped_after_english_words_is_answered_in_english(chat):
    answer = chat.say("9101", "hackathon")  # several entries could be meant: the bot asks, in English
    assert TEXT(answer)[0].startswith("I'm not sure")
    choice = faq_choice(answer[-1])
    tapped = chat.tap("9101", choice["title"], choice["payload"])
    assert TEXT(tapped) and thai_in(tapped) == []


def test_an_opinion_round_started_in_english_goes_on_in_english_after_a_vote(chat):
    small_round(chat)
    first = chat.say("9102", "share your view")[-1]
    assert "Statement 1 of 3" in TEXT([first])[0]
    second = TEXT(chat.tap("9102", "👍 Agree", quick(first)["👍 Agree"]))[0]
    assert second.startswith("✅") and "Agree" in second and "Statement 2 of 3" in second
    assert not THAI.search(second)


def test_a_schedule_day_tapped_after_english_words_shows_english_cards(chat):
    chat.say("9103", "when is it?")
    answer = chat.tap("9103", "Fri 17 Jul", "SCHEDULE:DAY:2020-07-17")
    assert cards_of(answer[-1])[0]["subtitle"].startswith("17 Jul 2020, 13:00–14:00")


def test_a_message_without_words_after_english_words_is_answered_in_english(chat):
    chat.say("9104", "hello")
    typed = chat.say("9104", "👍 🙂")
    assert TEXT(typed) and thai_in(typed) == []
    chat.webhook.send(simulator.sticker("9104", simulator.LIKE_STICKER))
    assert TEXT(chat.answer("9104", len(chat.graph.messages("9104")) - 1)) == ["Thank you! 👍"]


def test_the_last_words_decide_thai_after_english_goes_back_to_thai(chat):
    chat.say("9105", "hello")
    chat.say("9105", "งานจัดวันไหนคะ")
    answer = chat.tap("9105", "day", "SCHEDULE:DAY:2020-07-17")
    assert cards_of(answer[-1])[0]["subtitle"].startswith("17 ก.ค. 2563")


def test_an_explicit_choice_wins_over_the_words_for_taps_too(chat):
    assert "เปลี่ยนเป็นภาษาไทย" in TEXT(chat.say("9106", "ภาษาไทย"))[0]
    chat.say("9106", "when is it?")
    answer = chat.tap("9106", "day", "SCHEDULE:DAY:2020-07-17")
    assert cards_of(answer[-1])[0]["subtitle"].startswith("17 ก.ค. 2563")
    chat.say("9107", "English")
    chat.say("9107", "งานจัดวันไหนคะ")
    answer = chat.tap("9107", "day", "SCHEDULE:DAY:2020-07-17")
    assert cards_of(answer[-1])[0]["subtitle"].startswith("17 Jul 2020")


def test_the_menu_entry_to_thai_shown_after_english_words_switches_to_thai(chat):
    answer = chat.say("9108", "hello")
    entry = next(q for q in simulator.quick_replies_of(answer[-1]) if q["payload"] == "LANG:switch")
    assert entry["title"] == "🌐 ภาษาไทย"
    assert TEXT(chat.tap("9108", entry["title"], entry["payload"]))[0] == "เปลี่ยนเป็นภาษาไทยแล้วค่ะ 🇹🇭"


def test_no_words_yet_means_the_persons_own_language(chat):
    answer = chat.tap("9109", "day", "SCHEDULE:DAY:2020-07-17")
    assert cards_of(answer[-1])[0]["subtitle"].startswith("17 ก.ค. 2563")


def test_erasure_forgets_the_language_of_the_words(chat):
    chat.say("9110", "delete my data")
    chat.tap("9110", "🗑️", "DATA:DELETE:yes")
    with chat.db() as conn:
        assert conn.execute("SELECT written_language FROM users WHERE psid = '9110'").fetchone() is None  # row gone


def test_asking_in_words_switches_to_the_language_named_and_wanted_not_one_the_person_cannot_read(chat):
    """Field report (issue 14): "อ่านภาษาอังกฤษไม่ออก ขอภาษาไทยได้ไหมคะ" (I can't read English, may I have Thai?)
    switched the bot to English, the language the person said they cannot read."""
    assert TEXT(chat.say("9120", "อ่านภาษาอังกฤษไม่ออก ขอภาษาไทยได้ไหมคะ"))[0] == "เปลี่ยนเป็นภาษาไทยแล้วค่ะ 🇹🇭"
    assert TEXT(chat.say("9121", "can you reply in thai"))[0] == "เปลี่ยนเป็นภาษาไทยแล้วค่ะ 🇹🇭"
    assert TEXT(chat.say("9122", "ขอเป็นภาษาอังกฤษได้ไหมคะ"))[0] == "Switched to English 🇬🇧"
    # Only the language they cannot read named: the other one.
    assert TEXT(chat.say("9123", "sorry i can't read thai"))[0] == "Switched to English 🇬🇧"
    # And the choice holds: a Thai question is then answered in Thai.
    assert THAI.search(TEXT(chat.say("9120", "งานจัดวันไหนคะ"))[0])
