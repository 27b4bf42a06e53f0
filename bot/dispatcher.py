"""The dispatcher: routes each typed event to the first handler that takes it.

In the spirit of python-telegram-bot: feature modules in `handlers/` each expose `register(bot)` and add small
handler objects that say which events they take. Handlers are tried by priority (`Priority`: what answers first
when several could), then in the order added. A handler's `check(ctx)` returns what it matched (the regular
expression's match, a payload's parsed fields, a form in progress) or None; the first that matches handles the
event, and its callback finds the match in `ctx.match` (python-telegram-bot's check_update -> handle_update), so
nothing is matched twice. A handler returns replies (or nothing); it may also write to the database through
`ctx.conn`, inside the same transaction that marks the event done and queues the replies, so either all of it
happens or none of it does.
"""
from __future__ import annotations

import functools
import re
import sqlite3

import regex
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from enum import IntEnum

from . import textnorm
from .config import Settings
from .content import Content
from .messenger import people
from .messenger.events import Event
from .messenger.payloads import Payload
from .messenger.people import User
from .messenger.replies import Outgoing, QuickReply, Reply
from .privacy import PERSON, pseudonym

Result = Reply | Outgoing | Sequence[Reply | Outgoing] | None
Callback = Callable[["Context"], Result]


class Priority(IntEnum):
    """Which handler takes an event when several could: the lower first; within one priority, the order added."""

    RIGHTS = 5  # a person's rights over their data (PDPA: see it, delete it): answered even with a moderator
    GUARD = 10  # a person with a moderator: nothing else answers
    COMMAND = 20  # typed commands that work anywhere, even in the middle of a form ("English", "my data", /poll)
    FORM = 30  # a multi-step form in progress takes what the person types (bot/forms.py)
    EXACT = 40  # the bot's own buttons, a feature's exact words, a link or comment meant for one feature
    GENERAL = 50  # what any event of its kind gets when nothing exact took it: greetings, invitations, stickers
    UNDERSTOOD = 60  # typed text the understanding step reads as a feature request (features join with add_intent)
    FREE_TEXT = 70  # typed text nothing else took: the FAQ answers, asks or declines


@dataclass(frozen=True)
class MenuItem:
    """An entry of the main menu (quick replies, persistent menu); features add their own."""

    payload: str
    title: dict[str, str]  # {"th": ..., "en": ...}
    order: int = 50
    quick: bool = True  # also among the quick replies under a greeting (else only in the persistent menu)


@dataclass(frozen=True)
class IceBreaker:
    """A question Messenger offers before the first message (at most 4 are shown)."""

    question: dict[str, str]  # {"th": ..., "en": ...}
    payload: str
    order: int = 50


@dataclass
class Context:
    event: Event
    user: User
    conn: sqlite3.Connection
    settings: Settings
    content: Content
    dispatcher: "Dispatcher"
    now: float
    extra: list[Outgoing] = field(default_factory=list)
    # The language of this reply when it is not the person's: a message written in English is answered in
    # English even when their profile says Thai (set by the dispatcher from the message's words).
    language: str | None = None
    # What the handler's check matched (a regular expression's match, a payload's fields, a form in progress).
    match: Any = None
    _reading: Any = field(default=None, repr=False)

    @property
    def lang(self) -> str:
        return self.language or self.user.language

    @property
    def reading(self):
        """What the typed message asks for (bot/understanding/, `Reading`), read once per event."""
        if self._reading is None:
            self._reading = self.content["understanding"].read(self.event.text)
        return self._reading

    @property
    def is_moderator(self) -> bool:
        return self.user.psid in self.settings.moderator_psids

    def t(self, key: str, **values: Any) -> str:
        """A sentence from content/texts.toml in the user's language."""
        return self.content.texts.get(key, self.lang, **values)

    def set_language(self, lang: str) -> None:
        people.set_language(self.conn, self.user.psid, lang)
        self.user = User(**{**self.user.__dict__, "language": lang, "language_source": "user"})
        self.language = None

    def menu(self) -> list[QuickReply]:
        return self.dispatcher.menu_quick_replies(self.lang)

    def pseudonym(self, scope: str = PERSON, person: str | None = None) -> str:
        """This person's (or `person`'s) one-way key in `scope`: count people once without keeping who they
        are (bot/privacy.py). Votes use scope "poll:<id>"; PERSON is the key erasure looks rows up by."""
        return pseudonym(self.settings.pseudonym_key, scope, self.user.psid if person is None else person)

    def send(self, outgoing: Outgoing) -> None:
        """Queue a message to someone else (or with a tag) in the same transaction as this event."""
        self.extra.append(outgoing)


class Handler:
    """Base: takes events of `kinds`; `check` returns what it matched (None: not this handler's)."""

    kinds: frozenset[str] = frozenset()

    def __init__(self, callback: Callback, name: str | None = None):
        self.callback = callback
        self.name = name or getattr(callback, "__qualname__", type(self).__name__)

    def check(self, ctx: Context) -> Any:
        return True if ctx.event.kind in self.kinds else None

    def handle(self, ctx: Context, match: Any) -> Result:
        ctx.match = match
        return self.callback(ctx)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class PayloadHandler(Handler):
    """A tapped quick reply or postback button of one or more payload kinds (bot/messenger/payloads.py); the match
    is the payload's parsed fields."""

    kinds = frozenset({"message", "postback"})

    def __init__(self, payloads: Payload | Iterable[Payload], callback: Callback, name: str | None = None):
        super().__init__(callback, name)
        self.payloads = (payloads,) if isinstance(payloads, Payload) else tuple(payloads)

    def check(self, ctx: Context) -> Any:
        payload = ctx.event.payload
        if not payload or ctx.event.kind not in self.kinds:
            return None
        return next((fields for kind in self.payloads if (fields := kind.parse(payload)) is not None), None)


class TextHandler(Handler):
    """Typed text: `patterns`, regexes matched against the whole message (case-insensitive, after surrounding
    punctuation, emoji and polite particles are stripped: `simplify`), the match being the regex's; or
    `predicate(simplified_text, ctx)`, the match being whatever truthy value it returns."""

    kinds = frozenset({"message"})

    def __init__(
        self,
        callback: Callback,
        predicate: Callable[[str, Context], Any] | None = None,
        patterns: Sequence[str] = (),
        name: str | None = None,
    ):
        super().__init__(callback, name)
        self.predicate = predicate
        self.regex = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) if patterns else None

    def check(self, ctx: Context) -> Any:
        # A tapped quick reply is a choice, not typed text: payload handlers (or the fallback) take it.
        if ctx.event.kind != "message" or not ctx.event.has_text or ctx.event.payload:
            return None
        text = simplify(ctx.event.text)
        if self.regex is not None and (match := self.regex.fullmatch(text)):
            return match
        return (self.predicate(text, ctx) or None) if self.predicate is not None else None


class EventHandler(Handler):
    """Any event of the given kinds (optionally filtered), such as stickers, referrals or comments; the match is
    the predicate's truthy value (True without one)."""

    def __init__(self, kinds: Iterable[str], callback: Callback, predicate: Callable[[Context], Any] | None = None,
                 name: str | None = None):
        super().__init__(callback, name)
        self.kinds = frozenset(kinds)
        self.predicate = predicate

    def check(self, ctx: Context) -> Any:
        if ctx.event.kind not in self.kinds:
            return None
        return True if self.predicate is None else (self.predicate(ctx) or None)


_PARTICLES = re.compile(
    r"(?:\s*(?:ครับผม|ครับ|คับ|ค่ะ|คะ|ค่า|คร่า|จ้า|จ้ะ|จ๊ะ|นะคะ|นะครับ|นะ|น้า|ฮะ|จ้ะ|please|pls|plz))+$", re.IGNORECASE
)
# Letters, marks (Thai vowels and tones are marks) and digits are kept; anything else at the edges goes.
_EDGE_JUNK = regex.compile(r"^[^\p{L}\p{M}\p{N}]+|[^\p{L}\p{M}\p{N}]+$")


_STRETCHED = re.compile(r"(.)\1{2,}")
# Emoji presentation selectors, the zero-width joiner and the keycap mark are marks to Unicode, so the edges would
# keep them ("▶️ Carry on" simplified to "\ufe0f carry on", which nobody types): they go wherever they are.
_EMOJI_JOINERS = str.maketrans("", "", "\ufe0e\ufe0f\u200d\u20e3")


@functools.lru_cache(maxsize=4096)
def simplify(text: str) -> str:
    """For command matching: lower-case, stretched letters shortened ("ค่าาาา" -> "ค่า", "hiiii" -> "hi"),
    emoji and punctuation trimmed at the edges, trailing polite particles dropped.

    Cached: every text handler asks for it, so one message would otherwise be simplified twenty times."""
    text = _STRETCHED.sub(r"\1", " ".join(text.translate(_EMOJI_JOINERS).split()).lower())
    text = _EDGE_JUNK.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = _EDGE_JUNK.sub("", _PARTICLES.sub("", text))
    return text


@dataclass(frozen=True)
class IntentRoute:
    """What opens a feature the understanding step recognised (content/intents.toml has its examples)."""

    intent: str
    callback: Callback
    # Called when the person says the bot misunderstood ("not what I asked"): undo what the callback began
    # (registration closes the form it opened at consent). None: nothing to undo.
    undo: Callable[["Context"], None] | None = None


class Dispatcher:
    def __init__(self):
        self._priorities: dict[int, list[Handler]] = {}
        self._before: list[Callable[[Context], None]] = []
        self.fallback: Callback | None = None
        self._menu: dict[str, MenuItem] = {}
        self._ice_breakers: dict[str, IceBreaker] = {}
        self.intents: dict[str, IntentRoute] = {}

    def add(self, handler: Handler, priority: Priority = Priority.EXACT) -> Handler:
        self._priorities.setdefault(int(priority), []).append(handler)
        return handler

    def before(self, prepare: Callable[[Context], None]) -> None:
        """Run `prepare(ctx)` before any handler looks at an event, in its transaction (the forms mechanism drops
        a form left idle too long there, so that no check has to write)."""
        self._before.append(prepare)

    def add_intent(self, intent: str, callback: Callback, undo: Callable[["Context"], None] | None = None) -> None:
        """Open this feature when the understanding step reads a message as asking for `intent` (its examples
        are in content/intents.toml), or when the person taps it among "did you mean" choices."""
        self.intents[intent] = IntentRoute(intent, callback, undo)

    def handlers_at(self, priority: Priority) -> list[Handler]:
        return list(self._priorities.get(int(priority), ()))

    @property
    def handlers(self) -> list[Handler]:
        return [h for p in sorted(self._priorities) for h in self._priorities[p]]

    def add_menu_item(self, item: MenuItem) -> None:
        self._menu[item.payload] = item

    def add_ice_breaker(self, item: IceBreaker) -> None:
        self._ice_breakers[item.payload] = item

    @property
    def ice_breakers(self) -> list[IceBreaker]:
        return sorted(self._ice_breakers.values(), key=lambda i: (i.order, i.payload))

    @property
    def menu_items(self) -> list[MenuItem]:
        return sorted(self._menu.values(), key=lambda m: (m.order, m.payload))

    def menu_quick_replies(self, lang: str) -> list[QuickReply]:
        return [QuickReply(m.title.get(lang) or m.title["th"], m.payload) for m in self.menu_items if m.quick][:13]

    def dispatch(self, ctx: Context) -> list[Reply | Outgoing]:
        """Run the first matching handler (or the fallback for messages and postbacks).

        Unless the person chose a language, the reply to typed text goes in the language of its words, not in
        the one their Facebook locale suggests, and that language is remembered: a message without words (a link,
        emoji, a sticker, numbers), a /command and a tapped button (its title may name a team or the other
        language) get the language of the words they last typed, or the person's language before any. A form in
        progress keeps its own language."""
        for prepare in self._before:
            prepare(ctx)
        written = None
        if ctx.user.language_source != "user":
            if ctx.event.kind == "message" and ctx.event.has_text and not ctx.event.payload \
                    and not ctx.event.text.lstrip().startswith("/"):
                written = textnorm.message_language(ctx.event.text)
            if written is not None:
                people.wrote_in(ctx.conn, ctx.user.psid, written)
            written = written or ctx.user.written_language
        for priority in sorted(self._priorities):
            for handler in self._priorities[priority]:
                match = handler.check(ctx)
                if match is not None:
                    ctx.language = written if priority not in (Priority.GUARD, Priority.FORM) else None
                    return as_list(handler.handle(ctx, match))
        if self.fallback is not None and ctx.event.kind in ("message", "postback"):
            ctx.language = written
            return as_list(self.fallback(ctx))
        return []


def as_list(result: Result) -> list[Reply | Outgoing]:
    """What a handler returned, as a list of replies."""
    if result is None:
        return []
    if isinstance(result, (Reply, Outgoing)):
        return [result]
    return list(result)
