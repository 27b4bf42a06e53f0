"""The chat's defects found in issue 18, each a test: a "🔔 Remind me" offered and accepted for a session that is
over, a vote that left the chat at a dead end, and the English FAQ speaking of the event in the past tense while
the Thai is neutral. (The simulator's and the terminal chat's are in tests/test_simulators.py.)"""
from __future__ import annotations

import re
import tomllib

from bot.messenger import simulator
from conftest import ROOT
from test_public_screens import make_poll


def cards_of(message):
    return message["body"]["message"]["attachment"]["payload"]["elements"]


def test_sessions_that_are_over_offer_no_reminder_and_an_old_button_is_refused_kindly(chat):
    # The demo agenda is the real event's, July 2020: every session is over.
    cards = cards_of(chat.tap("8901", "ส 25 ก.ค.", "SCHEDULE:DAY:2020-07-25")[-1])
    assert all("REMIND:" not in (b.get("payload") or "") for c in cards for b in c["buttons"])
    assert all("จบแล้ว" in c["subtitle"] for c in cards)
    answer = chat.tap("8901", "🔔 เตือนฉัน", "REMIND:SESSION:final-pitch")  # a card sent before the session ended
    assert "จบไปแล้ว" in simulator.texts_of(answer)[0]
    assert simulator.quick_replies_of(answer[-1])  # the menu: the chat goes on
    with chat.db() as conn:
        assert conn.execute("SELECT count(*) FROM subscriptions WHERE psid = '8901'").fetchone()[0] == 0


def test_after_a_vote_the_menu_comes_with_the_thanks(chat):
    poll_id = make_poll(chat.settings.database_path)
    answer = chat.tap("8902", "2. QR ถุงข้าว", f"VOTE:{poll_id}:2")
    payloads = [q["payload"] for q in simulator.quick_replies_of(answer[-1])]
    assert "SCHEDULE" in payloads and len(payloads) >= 3


def test_the_english_faq_keeps_the_thai_neutral_tense():
    faq = tomllib.loads((ROOT / "content" / "faq.toml").read_text(encoding="utf-8"))
    entries = [e for group in faq.values() if isinstance(group, list) for e in group if isinstance(e, dict)]
    answers = [e["answer"]["en"] for e in entries if "answer" in e and "en" in e["answer"]]
    assert answers
    dated = [a for a in answers if "July 2020" in a]  # where the event's own dates are told, as the Thai tells them
    assert len(dated) >= 2
    past = [a for a in dated if re.search(r"\b(ran|was held|took place|were held)\b", a)]
    assert past == []
