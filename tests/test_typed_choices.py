"""Typed words that say what a button under the bot's last message says are taken as that tap (handlers/
typed_choices.py). Field report: under a statement of an opinion round, "ไม่เห็นด้วย" got "ยินดีค่ะ 😊" (you're
welcome), "เห็นด้วยค่ะ" a "did you mean", "agree" and "I disagree" other guesses, and the votes were lost."""
from __future__ import annotations

import pytest

from bot.messenger import simulator
from test_opinions import cli, quick, small_round

TEXT = simulator.texts_of


def votes(bot, round_id: int) -> list[str]:
    """The round's votes as the CSV gives them: "voter,statement,vote" rows without the header."""
    return cli(bot, "opinions", "votes", str(round_id)).output.strip().splitlines()[1:]


@pytest.mark.parametrize("start,typed,value", [
    ("ร่วมแสดงความเห็น", "ไม่เห็นด้วย", "-1"), ("ร่วมแสดงความเห็น", "เห็นด้วยค่ะ", "1"),
    ("ร่วมแสดงความเห็น", "ไม่แน่ใจ", "0"), ("ร่วมแสดงความเห็น", "👎", "-1"),
    ("share your view", "agree", "1"), ("share your view", "I disagree", "-1"), ("share your view", "pass", "0"),
])
def test_an_answer_typed_under_a_statement_is_the_vote_its_button_gives(chat, start, typed, value):
    round_id = small_round(chat)
    chat.say("7701", start)
    answer = TEXT(chat.say("7701", typed))[0]
    assert "2" in answer and ("ข้อ 2 จาก 3" in answer or "Statement 2 of 3" in answer)  # on to the next one
    (row,) = votes(chat, round_id)
    assert row.endswith(f",{value}")


def test_a_buttons_own_title_typed_is_its_tap_and_old_buttons_are_not(chat):
    round_id = small_round(chat)
    chat.say("7702", "ร่วมแสดงความเห็น")
    with chat.db() as conn:  # two hours later, "เห็นด้วย" answers a statement nobody remembers: no vote
        conn.execute("UPDATE outbox SET created_at = created_at - 7200 WHERE psid = '7702'")
    chat.say("7702", "เห็นด้วย")
    assert votes(chat, round_id) == []
    first = chat.say("7703", "ร่วมแสดงความเห็น")[-1]
    title = next(t for t in quick(first) if "เห็นด้วย" in t and "ไม่" not in t)  # "👍 เห็นด้วย"
    chat.say("7703", title.split(" ", 1)[1])
    assert len(votes(chat, round_id)) == 1


def test_stop_typed_under_a_statement_stops_the_round_and_keeps_the_persons_subscriptions(chat):
    """Field report: "stop" (the "⏹️ Stop" button's word) and "พอก่อน" unsubscribed the person from everything: the
    emoji's presentation selector (U+FE0F) kept every such title from matching what people type."""
    small_round(chat)
    chat.tap("7704", "🔔", "REMIND:POLLS")
    chat.say("7704", "ร่วมแสดงความเห็น")
    assert TEXT(chat.say("7704", "พอก่อน"))[0].startswith("พักไว้ก่อนนะคะ ตอบไปแล้ว 0 จาก 3 ข้อ")  # the round's stop
    with chat.db() as conn:
        assert conn.execute("SELECT count(*) FROM subscriptions WHERE psid = '7704'").fetchone()[0] == 1
    chat.say("7705", "share your view")
    assert TEXT(chat.say("7705", "stop"))[0].startswith("Paused: you have answered 0 of 3")


def test_an_answer_typed_after_an_announcement_still_answers_the_statement(chat):
    round_id = small_round(chat)
    chat.say("7706", "ร่วมแสดงความเห็น")
    chat.tap("7706", "menu", "MENU")  # a reply with the menu only comes in between
    chat.say("7706", "ไม่เห็นด้วย")
    (row,) = votes(chat, round_id)
    assert row.endswith(",-1")


@pytest.mark.parametrize("title,typed", [("▶️ Carry on", "carry on"), ("⏹️ พอก่อน", "พอก่อน"), ("↩️ Keep it", "keep it"),
                                         ("🗑️ ลบเลย", "ลบเลย"), ("👍 เห็นด้วย", "เห็นด้วยค่ะ")])
def test_what_people_type_for_a_title_with_an_emoji_is_the_title(title, typed):
    """An emoji's presentation selector (U+FE0F) is a mark to Unicode: it stayed at the title's edge, and no typed
    word ever matched "▶️ Carry on", "⏹️ พอก่อน", "↩️ Keep it" or "🗑️ ลบเลย"."""
    from bot.dispatcher import simplify
    from handlers.typed_choices import chosen

    assert chosen(typed, [(title, "THE:TAP"), ("❌ other", "OTHER")]) == "THE:TAP"
    assert simplify(title) == simplify(typed)
