"""Typed words that answer the buttons the bot just sent are taken as the tap.

Takes: nothing of its own. Before any handler looks at a typed message (`Dispatcher.before`), a text that says
what one of the quick replies under the last message the bot sent the person (within CHOICE_SECONDS) says
(the menu's entries aside) becomes that tap: its title ("เห็นด้วย" under "👍 เห็นด้วย", "ทำต่อ", "AI Doctor" under "1. AI Doctor") or a word
people use for it (ALIASES: "agree", "ไม่เห็นด้วยค่ะ", "👎" under an opinion statement). Field report: people
type what the buttons say as often as they tap them; "ไม่เห็นด้วย" under a statement got "you're welcome" and the
vote was lost. The feature then answers as it answers the tap, so it has nothing to learn.
"""
from __future__ import annotations

import dataclasses
import re

from bot.dispatcher import Context, simplify
from bot.messenger import outbox

CHOICE_SECONDS = 3600  # an hour later, typed words answer something else
NUMBERED = re.compile(r"^\d{1,2}[.)]\s*")  # "1. AI Doctor": the option's words alone say it too

# Words for a button beyond its title, by the payload they stand for.
ALIASES = (
    (re.compile(r"OPINION:VOTE:\d+:1"), re.compile(
        r"เห็นด้วย|เห็นด้วยมาก|เห็นด้วยครับ|ใช่|agree|i agree|agreed|yes|yep|👍", re.IGNORECASE)),
    (re.compile(r"OPINION:VOTE:\d+:-1"), re.compile(
        r"ไม่เห็นด้วย|ไม่ใช่|ไม่|disagree|i disagree|don'?t agree|no|nope|👎", re.IGNORECASE)),
    (re.compile(r"OPINION:VOTE:\d+:0"), re.compile(
        r"ไม่แน่ใจ|ไม่รู้|ข้าม|เฉยๆ|pass|skip|not sure|unsure|dunno|idk|🤷", re.IGNORECASE)),
    (re.compile(r"OPINION:STOP:\d+"), re.compile(r"stop|หยุด|พอ|พอก่อน|พอแล้ว|เลิก|enough|that'?s enough", re.IGNORECASE)),
    # "Cancel registration OGP4-000001?": "ยกเลิก" there is the answer, not a request to erase everything.
    (re.compile(r"UNREGISTER:yes"), re.compile(
        r"ยกเลิก|ยกเลิกเลย|ใช่|ตกลง|ยืนยัน|โอเค|yes|ok|okay|sure|cancel|cancel it|confirm", re.IGNORECASE)),
    (re.compile(r"UNREGISTER:keep"), re.compile(r"ไม่|ไม่ยกเลิก|ไม่ใช่|เก็บไว้|no|nope|keep|keep it|don'?t", re.IGNORECASE)),
    (re.compile(r"DATA:DELETE:yes"), re.compile(r"ลบ|ลบเลย|ใช่|ยืนยัน|yes|delete|delete it|confirm", re.IGNORECASE)),
    (re.compile(r"DATA:DELETE:no"), re.compile(r"ไม่|ไม่ลบ|ยกเลิก|no|nope|keep|cancel|don'?t", re.IGNORECASE)),
)


def said(title: str) -> set[str]:
    """What typing a quick reply's title looks like: simplified, with and without its number."""
    plain = simplify(title)
    return {plain, NUMBERED.sub("", plain)} - {""}


def chosen(text: str, choices: list[tuple[str, str]]) -> str | None:
    """The payload of the one choice `text` says, or None (none, or more than one)."""
    typed, raw = simplify(text), text.strip()
    found = {payload for title, payload in choices if typed and typed in said(title)}
    if not found:
        found = {payload for payload_re, words in ALIASES for _, payload in choices
                 if payload_re.fullmatch(payload) and (words.fullmatch(typed) or words.fullmatch(raw))}
    return found.pop() if len(found) == 1 else None


def take_typed_choice(ctx: Context) -> None:
    event = ctx.event
    if event.kind != "message" or event.payload or not event.has_text or len(event.text) > 80:
        return
    # The menu's entries are left out: their titles are the features' own words, which their handlers already
    # take ("Ask a question" is the FAQ's topics in the menu, "ask a question" the speakers' form when typed). The
    # buttons answered are those of the newest message that has some besides the menu: an announcement or a reply
    # with only the menu may come in between a statement and the person's typed answer.
    menu = {item.payload for item in ctx.dispatcher.menu_items}
    choices: list[tuple[str, str]] = []
    for sent in outbox.recent_choices(ctx.conn, ctx.user.psid, ctx.now - CHOICE_SECONDS):
        choices = [(title, payload) for title, payload in sent if payload not in menu]
        if choices:
            break
    payload = chosen(event.text, choices) if choices else None
    if payload:
        ctx.event = dataclasses.replace(event, payload=payload)


def register(bot) -> None:
    bot.dispatcher.before(take_typed_choice)
