"""Multi-step forms in a chat, declared: a step is one record, and the mechanism does everything a form does.

In the spirit of python-telegram-bot's ConversationHandler and aiogram's StatesGroup. A feature declares its form
once and adds it to the runtime's registry (`bot.forms.add(FORM)`); it starts it from its own handlers
(`FORM.start(ctx)`) and gets the answers when the person confirms (`done`). The mechanism owns the rest:

- each step asks its question (`prompt`), with its choices as quick replies, Messenger's e-mail and phone quick
  replies (`contact`), "skip" for an optional step (`skip`), and "cancel"; the answer, typed or tapped, goes
  through the step's `parse` (a value, None: not an answer, the `error` is said above the question again, or
  `Exit(text)`: the form ends there and keeps nothing, as a declined consent does);
- after the last step, a summary (`summary`) with "confirm", an "edit" button for each step that has an `edit`
  title (the answer is asked again, then the summary comes back), and "cancel";
- "cancel" (tapped, or typed: CANCEL_WORDS, "เลิก", "ไม่สมัครแล้ว", "exit" too) ends it at any step and keeps nothing,
  said in the language typed; a sticker or a photo gets the question asked again kindly (`texts.media`), and so
  does a greeting or thanks alone at a step without choices ("สวัสดีครับ" is no name: `form_social_<intent>`);
  the form's own start words typed in it, or its menu entry, resume it where it was (`texts.resume`); typed text
  at the summary gets it again under what it waits for (`texts.waiting`);
- a question about the event typed in the middle of it (QUESTION_HINT) is answered by whoever answers questions
  (`bot.forms.answer_questions_with`, the FAQ), in the question's language, then the step is asked again; a step
  with `questions=False` (a question for the speakers) takes everything as its answer;
- a feature's own words (a text handler's patterns at Priority.EXACT, another form's start words: "ตารางงาน",
  "สมัคร") or an example of an intent's words are served at every step, also where everything typed is the
  answer; a feature confidently asked for is served (`bot.forms.serve_requests_with`) in the request's
  language, and the form waits, kept, saying so first (`texts.paused`); its start words, `intent`, menu entry or
  buttons bring it back. An out-of-scope question is no answer; text a step cannot take gets the question again
  under what it waits for and how to leave (`texts.waiting`, or the step's `error`), in the language typed;
- the form goes on in the language it started in, or the one the person chose since ("English" mid-form: this
  form and every one put aside go on in it, and the pending question is asked again in it, `language_chosen`);
  typed commands that work anywhere ("English", "my data") come first (Priority.COMMAND), and other buttons go
  their own way: the form waits;
- a form started while another is in progress (a question for the speakers mid-registration) puts the other
  aside, answers kept (`form_state.waiting`, a stack); when it ends (confirmed, cancelled, declined) the one put
  aside comes back, waiting, with a "carry on" button (`form_back_named`); starting a form that was put aside brings it
  back and puts the current one aside: nothing typed into a form is lost to another;
- where each person is lives in the database (`form_state`, owned here), written in the transaction of the event
  that moved the form on, so a redelivered event cannot move it twice; a form left for IDLE_SECONDS is dropped
  before the person's next event is looked at (`Dispatcher.before`), and by the retention purge, with the forms
  put aside under it.

Its payloads are one kind per form, `<key>:<action>[:<value>]`: "REG:ROLE:student" (a step's choice),
"REG:TEAM:skip", "REG:EDIT:name", "REG:CONFIRM", "REG:CANCEL".

The forms: handlers/registration.py (consent, name, contact, role, topic, team), handlers/questions.py (a question
for the speakers) and handlers/opinions.py (a statement of one's own).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from . import textnorm
from .dispatcher import Context, Handler, Priority, Result, TextHandler, as_list, simplify
from .messenger.payloads import Payload, text
from .messenger.replies import ContactQuickReply, QuickReply, Reply, Text
from .form_state import FormState, begin, bring_back, choose_language, drop_expired, end, load, save

SUMMARY = "summary"  # the step after the last: the answers, confirm, edit, cancel
CANCEL_WORDS = re.compile(r"^(?:ยกเลิก|ยกเลิกการ(?:สมัคร|ลงทะเบียน|ถาม)|เลิก|เลิกทำ|ออก|ออกจาก(?:ฟอร์ม|การลงทะเบียน)|"
                          r"ไม่เอาแล้ว|ไม่เอา|ไม่(?:สมัคร|ลงทะเบียน|ถาม|ทำ|ส่ง)(?:แล้ว)?|พอแล้ว|พอ|หยุด|"
                          r"cancel|stop|quit|exit|abort|never ?mind|forget it|leave)$", re.IGNORECASE)
SKIP_WORDS = re.compile(r"^(?:ข้าม|ไม่มี|ยังไม่มี|skip|none|no team|-)$", re.IGNORECASE)
QUESTION_HINT = re.compile(r"\?|ไหน|อะไร|ไหม|มั้ย|เท่าไหร่|เท่าไร|กี่|อย่างไร|ยังไง|ใคร|เมื่อไหร่|ทำไม|"
                           r"\b(?:when|what|who|where|how|why|which)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Exit:
    """What a step's `parse` returns to end the form at once, keeping nothing: `text` (a text key) is said."""

    text: str


@dataclass(frozen=True)
class Step:
    """One question of a form."""

    name: str  # the step's name: in its payloads ("ROLE") and in form_state.step
    prompt: str  # the text key of the question
    # The answer (typed text, a tapped choice's value, or the address a contact quick reply sends) -> the value
    # kept, None (not an answer: `error` is said and the question asked again) or Exit.
    parse: Callable[[str, Context], Any]
    error: str | None = None  # the text key said above the question again when `parse` gives None
    choices: Callable[[Context], Sequence[tuple[str, str]]] | None = None  # (title, value) quick replies
    contact: tuple[str, ...] = ()  # Messenger's quick replies that send the person's e-mail or phone
    skip: str | None = None  # the "skip" button's text key: the step is optional (its value is None)
    edit: str | None = None  # the summary's "edit this" button's text key (None: not editable there)
    questions: bool = True  # a question typed here is answered (False: everything typed is the answer)
    cancel: bool = True  # offers "cancel" (a consent step offers agree / disagree instead)
    keep: Callable[[dict, Any], None] | None = None  # how the value goes into the answers (default: under `name`)

    def store(self, data: dict, value: Any) -> None:
        if self.keep is not None:
            self.keep(data, value)
        else:
            data[self.name] = value


@dataclass(frozen=True)
class FormTexts:
    """The text keys the mechanism says for a form."""

    resume: str  # "let's go on where we were" (above the question)
    cancelled: str  # the form was cancelled, nothing kept
    media: str  # a sticker or a photo where an answer was expected (above the question)
    cancel: str  # the "cancel" button
    confirm: str  # the summary's "confirm" button
    paused: str = ""  # said above a feature served mid-form: the form waits, and how to come back (form_paused_<form>)
    waiting: str = "form_waiting"  # above the question again when typed text is no answer: what to do, how to leave
    name: str = ""  # what the form is, to name it ("your question for the speakers"; default form_name_<form>)


# -- a form ---------------------------------------------------------------------------------------------------------
class Form:
    def __init__(self, name: str, key: str, steps: Sequence[Step], texts: FormTexts,
                 summary: Callable[[Context, dict], str], done: Callable[[Context, dict], Result], *,
                 start_words: str | None = None, confirm_words: re.Pattern | None = None, intent: str | None = None):
        self.name, self.texts, self.steps, self.intent = name, texts, tuple(steps), intent
        self.payload = Payload(key, action=text, value=text)
        self.summary, self.done = summary, done
        self.start_words, self.confirm_words = start_words, confirm_words
        self.forms: Forms | None = None  # the registry it was added to
        self.paused_text, self.name_text = texts.paused or f"form_paused_{name}", texts.name or f"form_name_{name}"

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    # -- starting --------------------------------------------------------------------------------------------
    def start(self, ctx: Context, data: dict | None = None, at: str | None = None, lead: str | None = None) -> Reply:
        """Start the form for the person (over any other), at its first step or `at` (SUMMARY: answers given in
        `data` to review and change), with `lead` above the question."""
        data = {"lang": ctx.lang, **(data or {})}
        state = FormState(ctx.user.psid, self.name, at or self.steps[0].name, data)
        if state.step == SUMMARY:
            data["_reviewed"] = True
        begin(ctx.conn, state, ctx.now)  # a form in progress is put aside, answers kept, and comes back after
        return self.prompt(ctx, state, lead)

    def resume(self, ctx: Context) -> Reply | None:
        """Where the person is in this form, asked again ("let's go on"), or None when they are not in it (a form
        put aside comes back, the one in progress put aside in its place)."""
        state = bring_back(ctx.conn, ctx.user.psid, self.name, ctx.now)
        if state is None:
            return None
        if state.data.pop("_paused", None):  # the person comes back to a form that waited for them
            save(ctx.conn, state, ctx.now)
        return self.prompt(ctx, state, lead=ctx.t(self.texts.resume))

    def undo_start(self, ctx: Context) -> None:
        """The person said the bot misunderstood them: close the form if nothing is in it yet."""
        state = load(ctx.conn, ctx.user.psid, ctx.now)
        if state is not None and state.form == self.name and state.step == self.steps[0].name:
            end(ctx.conn, ctx.user.psid, ctx.now)

    # -- asking ----------------------------------------------------------------------------------------------
    def prompt(self, ctx: Context, state: FormState, lead: str | None = None) -> Text:
        """The current step's question (after `lead`), or the summary."""
        step = self.step(state.step)
        if step is None:
            return self.summary_message(ctx, state, lead)
        action = step.name.upper()
        quick = [QuickReply(title, self.payload.build(action=action, value=value))
                 for title, value in (step.choices(ctx) if step.choices else ())]
        quick += [ContactQuickReply(kind) for kind in step.contact]
        if step.skip:
            quick.append(QuickReply(ctx.t(step.skip), self.payload.build(action=action, value="skip")))
        if step.cancel:
            quick.append(QuickReply(ctx.t(self.texts.cancel), self.payload.build(action="CANCEL")))
        return Text(_after(lead, ctx.t(step.prompt)), quick)

    def summary_message(self, ctx: Context, state: FormState, lead: str | None = None) -> Text:
        choices = [QuickReply(ctx.t(self.texts.confirm), self.payload.build(action="CONFIRM"))]
        choices += [QuickReply(ctx.t(s.edit), self.payload.build(action="EDIT", value=s.name)) for s in self.steps if s.edit]
        choices.append(QuickReply(ctx.t(self.texts.cancel), self.payload.build(action="CANCEL")))
        return Text(_after(lead, self.summary(ctx, state.data)), choices)

    # -- answering -------------------------------------------------------------------------------------------
    def takes(self, ctx: Context, state: FormState) -> bool:
        """Whether this event is for the form in progress: typed text or media, its own buttons, and the address a
        contact quick reply of the current step sends (other buttons go their own way; the form waits)."""
        payload = ctx.event.payload
        if payload and self.payload.matches(payload):
            return True
        if state.data.get("_paused"):  # it waits for its start words, its menu entry or its own buttons
            return False
        if not payload:
            return ctx.event.kind == "message"
        step = self.step(state.step)
        if not (step and step.contact and ctx.event.kind == "message"):
            return False
        value = step.parse(payload, ctx)
        return value is not None and not isinstance(value, Exit)

    def handle(self, ctx: Context, state: FormState) -> Result:
        ctx.language = state.data.get("lang")  # the form goes on in the language it started in
        event = ctx.event
        tapped = self.payload.parse(event.payload) if event.payload else None
        typed = event.text.strip() if event.has_text and tapped is None else ""
        if state.data.pop("_paused", None):  # one of its own buttons, tapped while it waited
            save(ctx.conn, state, ctx.now)
        if (tapped and tapped.action == "CANCEL") or (typed and CANCEL_WORDS.match(simplify(typed))):
            with self.forms.typed_language(ctx, typed or ""):  # "cancel" in a Thai form: said in English
                return self.ended(ctx, Text(ctx.t(self.texts.cancelled), quick_replies=ctx.menu()))
        if tapped and tapped.action == "RESUME":  # "carry on" under a form that came back (`ended`)
            return self.prompt(ctx, state, lead=ctx.t(self.texts.resume))
        if not typed and not event.payload:  # a sticker, a photo, a like
            return self.prompt(ctx, state, lead=ctx.t(self.texts.media))
        if typed and self.start_words and re.fullmatch(self.start_words, simplify(typed), re.IGNORECASE):
            return self.prompt(ctx, state, lead=ctx.t(self.texts.resume))
        if typed and (served := self.forms.serve_own_words(ctx, self, typed)) is not None:
            return served  # a feature's own words ("ตารางงาน", "สมัคร" in another form), at every step
        step = self.step(state.step)
        asks = bool(typed) and (step is None or step.questions) and self.forms is not None
        if asks and self.intent and ctx.reading.asks_for(self.intent):  # "how do I sign up?" in registration
            return self.prompt(ctx, state, lead=ctx.t(self.texts.resume))
        if typed and (served := self.forms.serve(ctx, self, typed, exact=True)) is not None:
            return served  # an example of a feature's words; other requests only when the step cannot take them
        if asks and QUESTION_HINT.search(typed):
            answered = self.forms.answer(ctx, typed)
            if answered is not None:  # a question about the event: answer it, then ask the step again
                return [answered, self.prompt(ctx, state)]
            if ctx.reading.reason == "out of scope" and QUESTION_HINT.search(typed.replace("?", "")):
                return self.waiting(ctx, state, typed)  # a question word ("?" may be in a link), not about the event
        if step is None:
            return self._on_summary(ctx, state, tapped, typed)
        return self._on_step(ctx, state, step, tapped, typed)

    def _on_step(self, ctx: Context, state: FormState, step: Step, tapped, typed: str) -> Result:
        action = step.name.upper()
        answer = (tapped.value if tapped.action == action else "") if tapped else (typed or ctx.event.payload)
        if typed and step.choices is None and (social := self.social(ctx, state, typed)):
            return social  # "สวัสดีครับ" is no name ("โอเค" at a step of choices is the parse's to read)
        if step.skip and ((tapped and answer == "skip") or (typed and SKIP_WORDS.match(simplify(typed)))):
            value = None
        else:
            value = step.parse(answer, ctx) if answer else None
            if isinstance(value, Exit):  # nothing kept
                return self.ended(ctx, Text(ctx.t(value.text), quick_replies=ctx.menu()))
            if value is None:
                if typed and step.questions and (served := self.forms.serve(ctx, self, typed)) is not None:
                    return served  # "ask the speakers something" is no consent ("สมศรี ตารางดี" is a name)
                if typed and (step.error is None or QUESTION_HINT.search(typed)):
                    return self.waiting(ctx, state, typed)
                return self.prompt(ctx, state, lead=ctx.t(step.error) if step.error else None)
        step.store(state.data, value)
        later = [s.name for s in self.steps[self.steps.index(step) + 1:]]
        if state.data.get("_reviewed") or not later:  # once the summary was shown, every change returns to it
            state.step, state.data["_reviewed"] = SUMMARY, True
        else:
            state.step = later[0]
        save(ctx.conn, state, ctx.now)
        return self.prompt(ctx, state)

    def social(self, ctx: Context, state: FormState, typed: str) -> Text | None:
        """A greeting or thanks typed alone (an example of its words): no answer; the question again, kindly."""
        reading = ctx.reading
        if not (reading.verdict == "answer" and reading.reason == "example" and reading.best.id in self.forms.social):
            return None
        with self.forms.typed_language(ctx, typed):
            return self.prompt(ctx, state, lead=ctx.t(f"form_social_{reading.best.id}"))

    def waiting(self, ctx: Context, state: FormState, typed: str) -> Text:
        """Typed text that is no answer: the question again under what it waits for and how to leave."""
        with self.forms.typed_language(ctx, typed):
            return self.prompt(ctx, state, lead=ctx.t(self.texts.waiting))

    def pause(self, ctx: Context, served: list) -> list:
        """A feature was served mid-form: the form waits and says how to come back (also when the feature's own form
        put it aside)."""
        if (state := load(ctx.conn, ctx.user.psid, ctx.now)) is None:
            return served
        if state.form != self.name:
            aside = any(w["form"] == self.name for w in state.waiting)
            return [Text(ctx.t(self.paused_text)), *served] if aside else served
        state.data["_paused"] = True
        save(ctx.conn, state, ctx.now)
        return [Text(ctx.t(self.paused_text)), *served]

    def _on_summary(self, ctx: Context, state: FormState, tapped, typed: str) -> Result:
        if tapped and tapped.action == "EDIT" and (step := self.step(tapped.value)) is not None and step.edit:
            state.step = step.name
            save(ctx.conn, state, ctx.now)
            return self.prompt(ctx, state)
        confirmed = typed and self.confirm_words is not None and self.confirm_words.match(simplify(typed))
        if (tapped and tapped.action == "CONFIRM") or confirmed:
            return self.ended(ctx, lambda: self.done(ctx, state.data))
        if typed:  # a greeting, a link, a remark: what the summary waits for, and how to leave
            return self.social(ctx, state, typed) or self.waiting(ctx, state, typed)
        return self.summary_message(ctx, state)

    def ended(self, ctx: Context, reply: Result | Callable[[], Result]) -> Result:
        """The form is over (`reply` said, or made once it is): a form it had put aside comes back, waiting, with a
        "carry on" button under the reply."""
        back = end(ctx.conn, ctx.user.psid, ctx.now)
        said = as_list(reply() if callable(reply) else reply)
        form = self.forms.get(back.form) if back is not None and self.forms is not None else None
        if form is None:
            return said
        carry_on = QuickReply(ctx.t("form_back_button"), form.payload.build(action="RESUME"))
        return [*said, Text(ctx.t("form_back_named", form=ctx.t(form.name_text)), [carry_on])]


def _after(lead: str | None, text: str) -> str:
    return f"{lead}\n\n{text}" if lead else text


# -- the registry on the runtime --------------------------------------------------------------------------------------
class FormHandler(Handler):
    """The one handler of every form: its check finds the person's form in progress (once per event) and whether
    the event is for it; the match is the form's state."""

    kinds = frozenset({"message", "postback"})

    def __init__(self, forms: "Forms"):
        super().__init__(lambda ctx: forms.handle(ctx), name="forms")
        self.forms = forms

    def check(self, ctx: Context) -> FormState | None:
        if ctx.event.kind not in self.kinds:
            return None
        state = load(ctx.conn, ctx.user.psid, ctx.now)
        form = self.forms.get(state.form) if state else None
        return state if form is not None and form.takes(ctx, state) else None


class Forms:
    """The forms of the running bot (`bot.forms`): features add theirs; one handler, at Priority.FORM, serves all."""

    def __init__(self, dispatcher):
        self._forms: dict[str, Form] = {}
        self._answer: Callable[[Context, str], Reply | None] | None = None
        self._open, self.social = None, frozenset()  # who serves a feature mid-form; intents that are no request
        dispatcher.add(FormHandler(self), Priority.FORM)
        dispatcher.before(drop_expired)

    def add(self, form: Form) -> Form:
        if form.name in self._forms:
            raise ValueError(f"form {form.name} is added twice")
        form.forms = self
        self._forms[form.name] = form
        return form

    def get(self, name: str) -> Form | None:
        return self._forms.get(name)

    def handle(self, ctx: Context) -> Result:
        state: FormState = ctx.match
        return self._forms[state.form].handle(ctx, state)

    def language_chosen(self, ctx: Context, lang: str) -> Reply | None:
        """The person chose `lang`: their forms go on in it; the pending question, asked in it (None: none waits)."""
        state = choose_language(ctx.conn, ctx.user.psid, lang, ctx.now)
        form = self.get(state.form) if state is not None else None
        if form is None or state.data.get("_paused"):
            return None
        return form.prompt(ctx, state)

    def answer_questions_with(self, answer: Callable[[Context, str], Reply | None]) -> None:
        """Who answers a question asked in the middle of a form: `answer(ctx, text)` gives a confident answer, or None
        (then the text is taken as the step's answer)."""
        self._answer = answer

    def serve_requests_with(self, open_feature: Callable[[Context, str], Result], social: Sequence[str] = ()) -> None:
        """Who serves a feature asked for in the middle of a form: `open_feature(ctx, intent)` gives its reply.
        `social` intents (a greeting, thanks) are no request: the form takes them as it takes other text."""
        self._open, self.social = open_feature, frozenset(social)

    def serve(self, ctx: Context, form: Form, typed: str, exact: bool = False) -> list | None:
        """The feature `typed` confidently asks for (`exact`: in an example's words), served, the form paused."""
        reading, wanted = ctx.reading, ctx.reading.best.id if ctx.reading.best else None
        if self._open is None or reading.verdict != "answer" or not reading.best.is_intent or wanted in self.social \
                or (exact and reading.reason != "example") or wanted not in ctx.dispatcher.intents:
            return None
        with self.typed_language(ctx, typed):
            return form.pause(ctx, as_list(self._open(ctx, reading.best.id)))

    def serve_own_words(self, ctx: Context, form: Form, typed: str) -> list | None:
        """The feature whose own words (a text handler's at Priority.EXACT) `typed` is, served, the form paused."""
        for handler in ctx.dispatcher.handlers_at(Priority.EXACT):
            if isinstance(handler, TextHandler) and handler.regex is not None and (match := handler.check(ctx)):
                with self.typed_language(ctx, typed):
                    return form.pause(ctx, as_list(handler.handle(ctx, match)))
        return None

    @contextmanager
    def typed_language(self, ctx: Context, typed: str):
        """Replies in the language `typed` is written in (the form keeps its own)."""
        form_language, ctx.language = ctx.language, textnorm.message_language(typed) or ctx.lang
        try:
            yield
        finally:
            ctx.language = form_language

    def answer(self, ctx: Context, question: str) -> Reply | None:
        """A confident answer to `question`, in the question's language (the form keeps its own), or None."""
        if self._answer is None:
            return None
        with self.typed_language(ctx, question):
            return self._answer(ctx, question)
