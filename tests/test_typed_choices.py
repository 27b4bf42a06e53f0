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
    chat.say("7702", "สวัสดีค่ะ")  # the last message now is the greeting: "เห็นด้วย" answers nothing
    chat.say("7702", "เห็นด้วย")
    assert votes(chat, round_id) == []
    first = chat.say("7703", "ร่วมแสดงความเห็น")[-1]
    title = next(t for t in quick(first) if "เห็นด้วย" in t and "ไม่" not in t)  # "👍 เห็นด้วย"
    chat.say("7703", title.split(" ", 1)[1])
    assert len(votes(chat, round_id)) == 1
