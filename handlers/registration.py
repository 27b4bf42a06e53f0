"""Registering as a participant, inside Messenger, in under a minute.

Takes: "ลงทะเบียน" / "สมัคร" / "register" typed, the `REGISTER` payload (menu, persistent menu, the invitation
sent to commenters), an m.me link with `?ref=register` (a referral, or Get Started carrying it), the form's
own `REG:` payloads, and, while a person is in the middle of the form, what they type or send.

The form: consent (PDPA) -> full name -> e-mail or Thai mobile -> role -> topic -> team (optional) -> summary
(confirm, edit a field, cancel). Typed "ยกเลิก"/"cancel" cancels at any step; a question about the event is
answered and the step asked again; a sticker is answered kindly and the step asked again; a person who leaves
finds the form where they left it (for 24 hours). Confirming gives a number (OGP4-000123); registering again
edits the same registration. Declining consent keeps nothing.
"""
from __future__ import annotations

import re

from bot import forms, textnorm
from bot.domain import registrations
from bot.domain.agenda import TOPICS
from bot.domain.contact import parse_contact
from bot.domain.registrations import ROLES
from bot.dispatcher import FORMS, Context, EventHandler, MenuItem, PayloadHandler, TextHandler, simplify
from bot.messenger.replies import ContactQuickReply, QuickReply, Text

FORM = "registration"
REGISTER = "REGISTER"
PREFIX = "REG:"
STEPS = ("consent", "name", "contact", "role", "topic", "team", "summary")
REGISTER_WORDS = (r"ลงทะเบียน|สมัคร|ขอลงทะเบียน|อยากลงทะเบียน|อยากสมัคร|สมัครเข้าร่วม|ลงชื่อ|register|sign ?up|"
                  r"registration|i want to register|join")
CANCEL_WORDS = re.compile(r"^(?:ยกเลิก|ไม่เอาแล้ว|พอแล้ว|หยุด|cancel|stop|quit)$", re.IGNORECASE)
SKIP_WORDS = re.compile(r"^(?:ข้าม|ไม่มี|ยังไม่มี|skip|none|no team|-)$", re.IGNORECASE)
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
QUESTION_HINT = re.compile(r"\?|ไหน|อะไร|ไหม|มั้ย|เท่าไหร่|เท่าไร|กี่|อย่างไร|ยังไง|ใคร|เมื่อไหร่|ทำไม|"
                           r"\b(?:when|what|who|where|how|why|which)\b", re.IGNORECASE)


# -- validation ---------------------------------------------------------------------------------------------
def valid_name(text: str) -> str | None:
    name = " ".join(text.split())
    letters = sum(1 for ch in name if ch.isalpha())
    if not (2 <= len(name) <= 100) or letters < 2 or any(ch.isdigit() for ch in name):
        return None
    if "@" in name or "http" in name.lower() or "www." in name.lower():
        return None
    if not all(ch.isalpha() or ch in " .'-" or textnorm.language_of(ch) == "th" for ch in name):
        return None  # emoji and symbols are not part of a name (Thai vowel and tone marks are)
    return name


def _match(table: dict[str, str], text: str) -> str | None:
    simple = simplify(text)
    for key, pattern in table.items():
        if re.fullmatch(pattern, simple, re.IGNORECASE):
            return key
    return None


# -- prompts ------------------------------------------------------------------------------------------------
def role_label(ctx: Context, role: str) -> str:
    return ctx.t(f"role_{role}")


def topic_label(ctx: Context, topic: str) -> str:
    return ctx.t(f"topic_{topic}")


def prompt(ctx: Context, state: forms.FormState, lead: str | None = None) -> Text:
    """The question of the current step (after `lead`, a sentence such as an error hint)."""
    step, t = state.step, ctx.t
    def text(key: str) -> str:
        return f"{lead}\n\n{t(key)}" if lead else t(key)
    cancel = QuickReply(t("reg_cancel"), PREFIX + "CANCEL")
    if step == "consent":
        return Text(text("reg_consent"), [QuickReply(t("reg_agree"), PREFIX + "CONSENT:yes"),
                                          QuickReply(t("reg_disagree"), PREFIX + "CONSENT:no")])
    if step == "name":
        return Text(text("reg_ask_name"), [cancel])
    if step == "contact":
        return Text(text("reg_ask_contact"), [ContactQuickReply("user_email"), ContactQuickReply("user_phone_number"), cancel])
    if step == "role":
        return Text(text("reg_ask_role"), [QuickReply(role_label(ctx, r), f"{PREFIX}ROLE:{r}") for r in ROLES] + [cancel])
    if step == "topic":
        return Text(text("reg_ask_topic"), [QuickReply(f"{n}) {topic_label(ctx, n)}", f"{PREFIX}TOPIC:{n}") for n in TOPICS] + [cancel])
    if step == "team":
        return Text(text("reg_ask_team"), [QuickReply(t("reg_skip"), PREFIX + "TEAM:skip"), cancel])
    return summary(ctx, state, lead)


def summary(ctx: Context, state: forms.FormState, lead: str | None = None) -> Text:
    d, t = state.data, ctx.t
    body = t("reg_summary", name=d["name"], contact=d["contact_display"], role=role_label(ctx, d["role"]),
             topic=f"{d['topic']}) {topic_label(ctx, d['topic'])}", team=d.get("team") or t("reg_no_team"))
    choices = [QuickReply(t("reg_confirm"), PREFIX + "CONFIRM")]
    choices += [QuickReply(t(f"reg_edit_{f}"), f"{PREFIX}EDIT:{f}") for f in ("name", "contact", "role", "topic", "team")]
    choices.append(QuickReply(t("reg_cancel"), PREFIX + "CANCEL"))
    return Text(f"{lead}\n\n{body}" if lead else body, choices)


def next_step(state: forms.FormState) -> str:
    """After a field: back to the summary when editing, else the next step."""
    if state.data.get("editing") or state.data.get("number"):
        return "summary"
    return STEPS[STEPS.index(state.step) + 1]


# -- entry points -------------------------------------------------------------------------------------------
def start(ctx: Context) -> Text:
    state = forms.load(ctx.conn, ctx.user.psid, ctx.now)
    if state is not None and state.form == FORM:
        return prompt(ctx, state, lead=ctx.t("reg_resume"))
    existing = registrations.of(ctx.conn, ctx.user.psid)
    if existing is not None:  # registering again edits the same registration
        state = forms.FormState(ctx.user.psid, FORM, "summary", {
            "number": existing["number"], "name": existing["full_name"], "contact": existing["contact"],
            "contact_kind": existing["contact_kind"], "contact_display": parse_contact(existing["contact"]).display,
            "role": existing["role"], "topic": existing["topic"], "team": existing["team"],
            "consent_at": existing["consent_at"], "lang": ctx.lang})
        forms.save(ctx.conn, state, ctx.now)
        return summary(ctx, state, lead=ctx.t("reg_already", number=existing["number"]))
    state = forms.FormState(ctx.user.psid, FORM, "consent", {"lang": ctx.lang})
    forms.save(ctx.conn, state, ctx.now)
    return prompt(ctx, state)


def undo_start(ctx: Context) -> None:
    """The person said the bot misunderstood them: close a form it opened that has nothing in it yet."""
    state = forms.load(ctx.conn, ctx.user.psid, ctx.now)
    if state is not None and state.form == FORM and state.step == "consent":
        forms.clear(ctx.conn, ctx.user.psid)


# -- the form -----------------------------------------------------------------------------------------------
def in_form(ctx: Context) -> bool:
    """Whether this event belongs to a form in progress (menu taps and other buttons go their own way)."""
    state = forms.load(ctx.conn, ctx.user.psid, ctx.now)
    if state is None or state.form != FORM:
        return False
    payload = ctx.event.payload
    if payload:
        return payload.startswith(PREFIX) or (state.step == "contact" and ctx.event.kind == "message"
                                              and parse_contact(payload) is not None)
    return ctx.event.kind == "message"


def step(ctx: Context):
    state = forms.load(ctx.conn, ctx.user.psid, ctx.now)
    assert state is not None
    ctx.language = state.data.get("lang")  # the form goes on in the language it started in
    event, t = ctx.event, ctx.t
    payload = event.payload
    typed = event.text.strip() if event.has_text and not payload.startswith(PREFIX) else ""
    if payload == PREFIX + "CANCEL" or (typed and CANCEL_WORDS.match(simplify(typed))):
        forms.clear(ctx.conn, ctx.user.psid)
        return Text(t("reg_cancelled"), quick_replies=ctx.menu())
    if not typed and not payload:  # a sticker, a photo, a like
        return prompt(ctx, state, lead=t("reg_media"))
    if typed and re.fullmatch(REGISTER_WORDS, simplify(typed), re.IGNORECASE):
        return prompt(ctx, state, lead=t("reg_resume"))
    if typed and state.step not in ("consent",) and QUESTION_HINT.search(typed):
        answered = answer_question(ctx, typed)
        if answered is not None:  # a question about the event: answer it, then ask the step again
            return [answered, prompt(ctx, state)]
    handler = STEP_HANDLERS[state.step]
    return handler(ctx, state, payload, typed or (payload if not payload.startswith(PREFIX) else ""))


def answer_question(ctx: Context, text: str):
    """A confident FAQ answer to a question asked in the middle of the form (in the question's language), or None."""
    from . import faq  # the FAQ feature answers; registration only asks it

    reading, entries = ctx.reading, ctx.content["understanding"].faq.entries
    if reading.verdict != "answer" or reading.best.is_intent or reading.best.id not in entries:
        return None
    form_language, ctx.language = ctx.language, textnorm.message_language(text) or ctx.lang
    try:
        return faq.answer(ctx, entries[reading.best.id])
    finally:
        ctx.language = form_language


def _advance(ctx: Context, state: forms.FormState) -> Text:
    state.step = next_step(state)
    if state.step == "summary":
        state.data.pop("editing", None)
    forms.save(ctx.conn, state, ctx.now)
    return prompt(ctx, state)


def on_consent(ctx, state, payload, typed):
    answer = payload.rsplit(":", 1)[-1] if payload.startswith(PREFIX + "CONSENT:") else (
        "yes" if AGREE_WORDS.match(simplify(typed)) else "no" if DISAGREE_WORDS.match(simplify(typed)) else None)
    if answer is None:
        return prompt(ctx, state)
    if answer == "no":
        forms.clear(ctx.conn, ctx.user.psid)  # nothing kept
        return Text(ctx.t("reg_declined"), quick_replies=ctx.menu())
    state.data["consent_at"] = ctx.now
    return _advance(ctx, state)


def on_name(ctx, state, payload, typed):
    name = valid_name(typed) if typed else None
    if name is None:
        return prompt(ctx, state, lead=ctx.t("reg_bad_name"))
    state.data["name"] = name
    return _advance(ctx, state)


def on_contact(ctx, state, payload, typed):
    contact = parse_contact(typed) if typed else None
    if contact is None:
        return prompt(ctx, state, lead=ctx.t("reg_bad_contact"))
    state.data.update(contact=contact.value, contact_kind=contact.kind, contact_display=contact.display)
    return _advance(ctx, state)


def on_role(ctx, state, payload, typed):
    role = payload.rsplit(":", 1)[-1] if payload.startswith(PREFIX + "ROLE:") else _match(ROLE_WORDS, typed)
    if role not in ROLES:
        return prompt(ctx, state, lead=ctx.t("reg_bad_role"))
    state.data["role"] = role
    return _advance(ctx, state)


def on_topic(ctx, state, payload, typed):
    if payload.startswith(PREFIX + "TOPIC:"):
        topic = payload.rsplit(":", 1)[-1]
    else:
        digits = re.sub(r"\D", "", typed.translate(textnorm.THAI_DIGITS))
        topic = digits if digits in TOPICS else _match(TOPIC_WORDS, typed)
    if topic not in TOPICS:
        return prompt(ctx, state, lead=ctx.t("reg_bad_topic"))
    state.data["topic"] = topic
    return _advance(ctx, state)


def on_team(ctx, state, payload, typed):
    if payload == PREFIX + "TEAM:skip" or (typed and SKIP_WORDS.match(simplify(typed))):
        state.data["team"] = None
        return _advance(ctx, state)
    team = " ".join(typed.split())
    if not (1 <= len(team) <= 60):
        return prompt(ctx, state, lead=ctx.t("reg_bad_team"))
    state.data["team"] = team
    return _advance(ctx, state)


def on_summary(ctx, state, payload, typed):
    if payload.startswith(PREFIX + "EDIT:"):
        field = payload.rsplit(":", 1)[-1]
        if field in STEPS[1:6]:
            state.step = field
            state.data["editing"] = True
            forms.save(ctx.conn, state, ctx.now)
            return prompt(ctx, state)
    if payload == PREFIX + "CONFIRM" or (typed and AGREE_WORDS.match(simplify(typed))):
        return confirm(ctx, state)
    return summary(ctx, state)


STEP_HANDLERS = {"consent": on_consent, "name": on_name, "contact": on_contact, "role": on_role, "topic": on_topic,
                 "team": on_team, "summary": on_summary}


def confirm(ctx: Context, state: forms.FormState) -> Text:
    d = state.data
    forms.clear(ctx.conn, ctx.user.psid)
    number, status, updated = registrations.save(ctx.conn, ctx.user.psid, {
        "full_name": d["name"], "contact_kind": d["contact_kind"], "contact": d["contact"], "role": d["role"],
        "topic": d["topic"], "team": d.get("team"), "language": ctx.lang, "consent_at": d.get("consent_at")},
        ctx.settings.registration_capacity, ctx.now)
    key = "reg_updated" if updated else "reg_waitlisted" if status == "waitlisted" else "reg_done"
    return Text(ctx.t(key, number=number), quick_replies=ctx.menu())


def from_referral(ctx: Context) -> bool:
    return ctx.event.ref.lower() == "register"


def register(bot) -> None:
    bot.dispatcher.add(EventHandler({"message", "postback"}, step, predicate=in_form, name="registration_form"),
                       group=FORMS)
    # An m.me/...?ref=register link: a referral on an open thread, or Get Started carrying it on a new one.
    bot.dispatcher.add(EventHandler({"referral", "postback"}, start, predicate=from_referral, name="ref_register"), group=9)
    bot.dispatcher.add(PayloadHandler(REGISTER, start), group=15)
    bot.dispatcher.add(TextHandler(start, patterns=[REGISTER_WORDS], name="register_words"), group=15)
    bot.dispatcher.add_menu_item(MenuItem(REGISTER, {"th": "📝 ลงทะเบียน", "en": "📝 Register"}, order=20))
    bot.dispatcher.add_intent("register", start, undo=undo_start)
    bot.content.require_texts("reg_consent", "reg_done", "reg_cancelled", "reg_summary")
