"""Payloads: what a quick reply or a postback button carries back to the bot when it is tapped (at most 1,000
characters, Messenger's limit). Each kind is declared once, with its fields, and that one declaration builds the
string for a button and parses it back when the tap arrives:

    VOTE = Payload("VOTE", poll=row_id, option=row_id)     # "VOTE:12:3"
    VOTE.build(poll=12, option=3)                          # -> "VOTE:12:3"
    VOTE.parse("VOTE:12:3")                                # -> Fields(poll=12, option=3)
    VOTE.parse("VOTE:abc:3")                               # -> Fields(poll=None, option=3): never sent, say so
    MENU = Payload("MENU")                                 # no fields: the exact string "MENU"

A field is a parser from the text between the colons to a value, None for text it does not accept; the last
field takes the rest of the string (an id may contain ":"), and trailing fields may be left out when building
("REMIND:ALL"). A handler takes a kind with `PayloadHandler(VOTE, callback)` and finds the parsed fields in
`ctx.match`. The bot's own kinds are listed in bot/domain/payloads.py; forms make theirs (bot/forms.py).
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable

from .replies import PAYLOAD_LIMIT

Parser = Callable[[str], Any]


def text(value: str) -> str:
    """A field kept as text (a session id, an FAQ entry's id, a choice)."""
    return value


class Fields(SimpleNamespace):
    """A tapped payload's fields, by name (`ctx.match.poll`)."""


class Payload:
    """One kind of payload: its name, and its fields in order (name -> parser)."""

    def __init__(self, name: str, **fields: Parser):
        self.name = name
        self.fields = fields

    @property
    def prefix(self) -> str:
        return self.name + ":"

    def build(self, **values: Any) -> str:
        """The payload for a button. Trailing fields may be left out; a value must not contain ":" unless its
        field is the last."""
        parts = [self.name]
        names = list(self.fields)
        given = [n for n in names if values.get(n) not in (None, "")]
        unknown = set(values) - set(names)
        if unknown:
            raise TypeError(f"payload {self.name} has no field {sorted(unknown)[0]}")
        last = names.index(given[-1]) if given else -1
        for position, field in enumerate(names[:last + 1]):
            value = "" if values.get(field) is None else str(values[field])
            if ":" in value and position < last:
                raise ValueError(f"payload {self.name}: {field} {value!r} contains ':'")
            parts.append(value)
        payload = ":".join(parts)
        if len(payload) > PAYLOAD_LIMIT:
            raise ValueError(f"payload {self.name} is over {PAYLOAD_LIMIT} characters")
        return payload

    def matches(self, payload: str) -> bool:
        return payload == self.name if not self.fields else payload.startswith(self.prefix)

    def parse(self, payload: str) -> Fields | None:
        """The fields of `payload`, or None when it is not of this kind. A field whose text its parser does not
        accept (a payload we never sent: an old client, or made up) is None."""
        if not payload or not self.matches(payload):
            return None
        if not self.fields:
            return Fields()
        parts = payload[len(self.prefix):].split(":", len(self.fields) - 1)
        parts += [""] * (len(self.fields) - len(parts))
        return Fields(**{name: parser(part) for (name, parser), part in zip(self.fields.items(), parts)})

    def __repr__(self) -> str:
        return f"Payload({self.name!r}, {', '.join(self.fields)})"


# The Page's Get Started button: the payload it carries is set here and sent to Facebook by `setup-profile`.
GET_STARTED = Payload("GET_STARTED")
