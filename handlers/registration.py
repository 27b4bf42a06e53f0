"""Registering as a participant, inside Messenger, in under a minute.

Takes: "ลงทะเบียน" / "สมัคร" / "register" typed, the `REGISTER` payload (menu, persistent menu, the invitation
sent to commenters), an m.me link with `?ref=register` (a referral, or Get Started carrying it); the form itself
takes what the person types and taps while they are in it (bot/forms.py).

The form: consent (PDPA) -> full name -> e-mail or Thai mobile -> role -> topic -> team (optional) -> summary
(confirm, edit a field, cancel). Typed "ยกเลิก"/"cancel" cancels at any step; a question about the event is
answered and the step asked again; a feature asked for ("ตารางงาน") is served and the form waits for "สมัคร"; a sticker is answered kindly and the step asked again; a person who leaves
finds the form where they left it (for 24 hours). Confirming gives a number (OGP4-000123); registering again
edits the same registration (bot/domain/registrations.py). Declining consent keeps nothing.
"""
from __future__ import annotations

import re

from bot import textnorm
from bot.dispatcher import Context, EventHandler, MenuItem, PayloadHandler, TextHandler, simplify
from bot.domain import registrations
from bot.domain.agenda import TOPICS
from bot.domain.contact import parse_contact
from bot.domain.payloads import REGISTER
from bot.domain.registrations import ROLES
from bot.forms import Exit, Form, FormTexts, Step
from bot.messenger.replies import Text

REGISTER_WORDS = (r"ลงทะเบียน|สมัคร|ขอลงทะเบียน|อยากลงทะเบียน|อยากสมัคร|สมัครเข้าร่วม|ลงชื่อ|register|sign ?up|"
                  r"registration|i want to register|join")
AGREE_WORDS = re.compile(r"^(?:ยินยอม|ตกลง|ได้|ใช่|โอเค|ok|okay|yes|agree|i agree|y)$", re.IGNORECASE)
DISAGREE_WORDS = re.compile(r"^(?:ไม่ยินยอม|ไม่|ไม่ตกลง|no|nope|disagree|no thanks|n)$", re.IGNORECASE)
ROLE_WORDS = {  # the whole answer must match (after particles and punctuation are dropped)
    "citizen": r"ประชาชน|ประชาชนทั่วไป|บุคคลทั่วไป|คนทั่วไป|citizen|(?:the |general )?public|resident",
    "student": r"นักเรียน|นักศึกษา|นร|นศ|(?:a |university |high school )?student|pupil",
    "government": r"เจ้าหน้าที่รัฐ|ข้าราชการ|ราชการ|รัฐ|พนักงานราชการ|(?:a )?government(?: officer| official| employee)?|"
                  r"civil servant|(?:public )?officer|official",
    "private": r"เอกชน|ภาคเอกชน|บริษัท|พนักงานบริษัท|(?:the )?private(?: sector)?|company|business|(?:a )?business owner",
    "other": r"อื่น ๆ|อื่นๆ|อื่น|other|something else",
}
TOPIC_WORDS = {"1": r"สร้างงาน|อาชีพ|job|jobs|livelihood", "2": r"เยียวยา|relief", "3": r"เรียน|การสอน|การศึกษา|learning|education|teaching",
               "4": r"ระบาด|ควบคุมโรค|epidemic|disease|control"}


# -- the steps' answers -------------------------------------------------------------------------------------------
def consent(text: str, ctx: Context):
    """Agreeing keeps when (the retention counts from it); declining ends the form, keeping nothing."""
    if AGREE_WORDS.match(simplify(text)):
        return ctx.now
    return Exit("reg_declined") if DISAGREE_WORDS.match(simplify(text)) else None


def valid_name(text: str, ctx: Context | None = None) -> str | None:
    name = " ".join(text.split())
    letters = sum(1 for ch in name if ch.isalpha())
    if not (2 <= len(name) <= 100) or letters < 2 or any(ch.isdigit() for ch in name):
        return None
    if "@" in name or "http" in name.lower() or "www." in name.lower():
        return None
    if not all(ch.isalpha() or ch in " .'-" or textnorm.language_of(ch) == "th" for ch in name):
        return None  # emoji and symbols are not part of a name (Thai vowel and tone marks are)
    return name


def keep_contact(data: dict, contact) -> None:
    data.update(contact=contact.value, contact_kind=contact.kind, contact_display=contact.display)


def _match(table: dict[str, str], text: str) -> str | None:
    simple = simplify(text)
    return next((key for key, pattern in table.items() if re.fullmatch(pattern, simple, re.IGNORECASE)), None)


def role(text: str, ctx: Context) -> str | None:
    return text if text in ROLES else _match(ROLE_WORDS, text)


def topic(text: str, ctx: Context) -> str | None:
    """A topic's number, or the topic named in words, Thai or English ("เรื่องการเรียน", "relief", part of its
    title); None when no topic or more than one is named."""
    digits = re.sub(r"\D", "", text.translate(textnorm.THAI_DIGITS))
    if digits in TOPICS:
        return digits
    simple = re.sub(r"^(?:เรื่อง|หัวข้อ|ด้าน|topic|about)\s*", "", simplify(text), flags=re.IGNORECASE)
    named = {n for n, words in TOPIC_WORDS.items() if re.search(words, simple, re.IGNORECASE)}
    named |= {n for n in TOPICS for lang in ("th", "en")
              if len(simple) >= 3 and simple in ctx.content.texts.get(f"topic_{n}", lang).lower()}
    return named.pop() if len(named) == 1 else None


def team(text: str, ctx: Context) -> str | None:
    name = " ".join(text.split())
    return name if 1 <= len(name) <= 60 else None


def summary(ctx: Context, d: dict) -> str:
    topic_label = ctx.t(f"topic_{d['topic']}")
    return ctx.t("reg_summary", name=d["name"], contact=d["contact_display"], role=ctx.t(f"role_{d['role']}"),
                 topic=f"{d['topic']}) {topic_label}", team=d.get("team") or ctx.t("reg_no_team"))


def confirm(ctx: Context, d: dict) -> Text:
    number, status, updated = registrations.save(ctx.conn, ctx.user.psid, {
        "full_name": d["name"], "contact_kind": d["contact_kind"], "contact": d["contact"], "role": d["role"],
        "topic": d["topic"], "team": d.get("team"), "language": ctx.lang, "consent_at": d.get("consent_at")},
        ctx.settings.registration_capacity, ctx.now)
    key = "reg_updated" if updated else "reg_waitlisted" if status == "waitlisted" else "reg_done"
    return Text(ctx.t(key, number=number), quick_replies=ctx.menu())


FORM = Form(
    name="registration", key="REG",
    texts=FormTexts(resume="reg_resume", cancelled="reg_cancelled", media="reg_media", cancel="reg_cancel",
                    confirm="reg_confirm", paused="reg_paused", waiting="reg_waiting", name="form_name_registration"),
    steps=(
        Step("consent", "reg_consent", parse=consent, cancel=False,  # "จัดที่ไหน" here is answered, then asked again
             choices=lambda ctx: [(ctx.t("reg_agree"), "yes"), (ctx.t("reg_disagree"), "no")],
             keep=lambda data, at: data.update(consent_at=at)),
        Step("name", "reg_ask_name", parse=valid_name, error="reg_bad_name", edit="reg_edit_name"),
        Step("contact", "reg_ask_contact", parse=lambda text, ctx: parse_contact(text), error="reg_bad_contact",
             contact=("user_email", "user_phone_number"), edit="reg_edit_contact", keep=keep_contact),
        Step("role", "reg_ask_role", parse=role, error="reg_bad_role", edit="reg_edit_role",
             choices=lambda ctx: [(ctx.t(f"role_{r}"), r) for r in ROLES]),
        Step("topic", "reg_ask_topic", parse=topic, error="reg_bad_topic", edit="reg_edit_topic",
             choices=lambda ctx: [(f"{n}) {ctx.t(f'topic_{n}')}", n) for n in TOPICS]),
        Step("team", "reg_ask_team", parse=team, error="reg_bad_team", skip="reg_skip", edit="reg_edit_team"),
    ),
    summary=summary, done=confirm, start_words=REGISTER_WORDS, confirm_words=AGREE_WORDS, intent="register")


# -- entry points -------------------------------------------------------------------------------------------------
def start(ctx: Context) -> Text:
    resumed = FORM.resume(ctx)
    if resumed is not None:
        return resumed
    existing = registrations.of(ctx.conn, ctx.user.psid)
    if existing is None:
        return FORM.start(ctx)
    # Registering again edits the same registration: its answers, to review and change.
    return FORM.start(ctx, {
        "number": existing["number"], "name": existing["full_name"], "contact": existing["contact"],
        "contact_kind": existing["contact_kind"], "contact_display": parse_contact(existing["contact"]).display,
        "role": existing["role"], "topic": existing["topic"], "team": existing["team"],
        "consent_at": existing["consent_at"]}, at="summary", lead=ctx.t("reg_already", number=existing["number"]))


def from_referral(ctx: Context) -> bool:
    return ctx.event.ref.lower() == "register"


def register(bot) -> None:
    bot.forms.add(FORM)
    # An m.me/...?ref=register link: a referral on an open thread, or Get Started carrying it on a new one.
    bot.dispatcher.add(EventHandler({"referral", "postback"}, start, predicate=from_referral, name="ref_register"))
    bot.dispatcher.add(PayloadHandler(REGISTER, start))
    bot.dispatcher.add(TextHandler(start, patterns=[REGISTER_WORDS], name="register_words"))
    bot.dispatcher.add_menu_item(MenuItem(REGISTER.build(), {"th": "📝 ลงทะเบียน", "en": "📝 Register"}, order=20))
    bot.dispatcher.add_intent("register", start, undo=FORM.undo_start)
    bot.content.require_texts("reg_consent", "reg_done", "reg_cancelled", "reg_summary", "reg_paused", "reg_waiting")
