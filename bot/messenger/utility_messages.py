"""Utility messages: how reminders and event updates reach registered participants outside Messenger's 24-hour window.

The platform, as Meta documents it (sources and dates):
- Meta retired the message tags CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE and ACCOUNT_UPDATE on 27 April 2026;
  the Send API answers them with error 100. Outside the window, appointment and event reminders go as **utility
  messages**: a message made from a Page-owned template with placeholders, approved by Meta "within seconds of
  creation", never marketing ("Send a utility message", Messenger Platform, updated 13 March 2026). The app
  needs the `page_utility_messaging` permission and the `message_template_status_update` webhook field; the
  templates live under `/{page-id}/message_templates` ("Page Message Templates", Graph API reference v25.0).
  Utility messages are open to Pages and people in Thailand (the same page: the US, Vietnam, Thailand and the
  Philippines).
- Meta's pages as stored for this project end before the request bodies. The shapes used here are the closest
  documented ones: a template is created as WhatsApp's Message Templates API creates one (`name`, `language`,
  `category: UTILITY`, a BODY component whose `{{1}}`, `{{2}}`... placeholders carry `example.body_text`), and
  sent as integrators who verified it on v25.0 document (vlab-research/fly, documentation/utility-messages.md,
  2026): `messaging_type: UTILITY` with an attachment of `template_type: utility_messages`, `name`,
  `language.code` and the body's `parameters` in order.

The model here:
- The templates are content organisers edit: `content/message_templates.toml`, each with named placeholders
  (`{session}`, `{when}`, `{link}`) in Thai and English. Meta's name of a template is its id and a short digest of
  that language's wording (`session_reminder_3fa9c1`): editing the wording makes a new template for Meta to
  approve, and running `flask --app app templates sync` again creates nothing new (idempotent).
- A message that may need one carries a *fallback* (the template's Meta name, its language code and the parameter
  values, as they were when it was queued). At send time the outbox decides: inside the window the ordinary
  message goes as before; outside it, the fallback goes as a utility message if that template is APPROVED, and
  otherwise nothing goes and the row is recorded `outside_window` with the reason "no approved template".
- Statuses come from `templates sync`, from the `message_template_status_update` webhook, and from a look at the
  listing every minute while any template is PENDING. A template Facebook refuses at send time (error 100) is
  marked REFUSED, so the next messages are not sent into the same refusal, and an operator alert is raised.
"""
from __future__ import annotations

import hashlib
import json
import re
import string
import time
from dataclasses import dataclass
from pathlib import Path

from ..content import ContentError, LANGUAGES, keyed_tables, read_toml
from ..store import ensure_table

FILE = "message_templates.toml"
# Meta's language codes for the two languages the bot speaks.
LANGUAGE_CODES = {"th": "th", "en": "en_US"}
CATEGORY = "UTILITY"
BODY_LIMIT = 1024  # characters of a template body, parameters filled in (WhatsApp's template limit)
APPROVED = "APPROVED"
PENDING = "PENDING"
REFUSED = "REFUSED"  # ours: approved once, but Facebook refused to send it (error 100)
NO_APPROVED_TEMPLATE = "no approved template"
ID = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
# What the bot fills in for each template it uses; a template may use any of these, and nothing else.
VALUES = {
    "session_reminder": ("session", "when", "link"),
    "session_moved": ("session", "when", "link"),
    "event_update": ("update",),
}


def clean_parameter(text: str) -> str:
    """A parameter as Meta takes it: no new lines, no tabs, never more than one space in a row, never empty."""
    return " ".join(str(text).split()) or "-"


@dataclass(frozen=True)
class MessageTemplate:
    id: str
    params: tuple[str, ...]  # placeholder names, in the order of Meta's {{1}}, {{2}}...
    body: dict[str, str]  # th / en, with {name} placeholders
    examples: dict[str, dict[str, str]]  # th / en: a sample value per placeholder (Meta requires them)

    def name(self, lang: str) -> str:
        """Meta's name for this template in `lang`: the id and a digest of the wording and its samples."""
        digest = hashlib.sha256(json.dumps([self.params, self.body[lang], self.examples[lang]], ensure_ascii=False)
                                .encode()).hexdigest()[:6]
        return f"{self.id}_{digest}"

    def positional_body(self, lang: str) -> str:
        """The body as Meta stores it: {session} -> {{1}} in the order of `params`."""
        text = self.body[lang]
        for number, param in enumerate(self.params, 1):
            text = text.replace("{" + param + "}", "{{" + str(number) + "}}")
        return text

    def create_request(self, lang: str) -> dict:
        """The body of POST /{page-id}/message_templates for `lang`."""
        body: dict = {"type": "BODY", "text": self.positional_body(lang)}
        if self.params:
            body["example"] = {"body_text": [[self.examples[lang][p] for p in self.params]]}
        return {"name": self.name(lang), "language": LANGUAGE_CODES[lang], "category": CATEGORY, "components": [body]}

    def render(self, lang: str, values: dict[str, str]) -> str:
        """What the person reads (as Meta fills the placeholders in)."""
        return self.body[lang].format_map({p: clean_parameter(values.get(p, "")) for p in self.params})

    def fallback(self, lang: str, values: dict[str, str]) -> dict:
        """What an outbox row keeps to send this template outside the window: {template, name, language, params}."""
        lang = lang if lang in LANGUAGE_CODES else "th"
        return {"template": self.id, "name": self.name(lang), "language": LANGUAGE_CODES[lang],
                "params": [clean_parameter(values.get(p, "")) for p in self.params]}

    def room_for(self, lang: str, param: str) -> int:
        """How many characters `param` may take for the body to stay within BODY_LIMIT (the other placeholders at
        their sample values)."""
        return BODY_LIMIT - len(self.render(lang, {**self.examples[lang], param: ""})) + 1


class MessageTemplates(dict):
    """id -> MessageTemplate, as content/message_templates.toml defines them."""

    @classmethod
    def load(cls, directory: Path) -> "MessageTemplates":
        path = Path(directory) / FILE
        data = read_toml(path)
        templates = cls()
        for tid, item in keyed_tables(path, data, "template", ID, "lower-case letters, digits and _"):
            if tid not in VALUES:
                raise ContentError(path, tid, f"unknown template; the bot uses {', '.join(sorted(VALUES))}")
            params = item.get("params")
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params) or len(set(params)) != len(params):
                raise ContentError(path, tid, "params must be a list of distinct placeholder names")
            unknown = [p for p in params if p not in VALUES[tid]]
            if unknown:
                raise ContentError(path, tid, f"the bot fills in {', '.join(VALUES[tid])}, not {unknown[0]!r}")
            body, examples = {}, {}
            for lang in LANGUAGES:
                section = item.get(lang)
                if not isinstance(section, dict) or not isinstance(section.get("body"), str) or not section["body"].strip():
                    raise ContentError(path, tid, f"{lang}.body is missing or empty")
                text = section["body"].strip()
                used = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None] \
                    if "{" in text else []
                if sorted(set(used)) != sorted(params) or len(used) != len(params):
                    raise ContentError(path, tid, f"{lang}.body must use each of {{{'}, {'.join(params)}}} once")
                sample = section.get("example", {})
                if not isinstance(sample, dict) or any(not isinstance(sample.get(p), str) or not sample[p].strip()
                                                       for p in params):
                    raise ContentError(path, tid, f"{lang}.example needs a sample value for each of {', '.join(params)}"
                                       " (Meta rejects templates without them)")
                body[lang], examples[lang] = text, {p: clean_parameter(sample[p]) for p in params}
            template = MessageTemplate(tid, tuple(params), body, examples)
            for lang in LANGUAGES:
                rendered = len(template.render(lang, examples[lang]))
                if rendered > BODY_LIMIT:
                    raise ContentError(path, tid, f"{lang}.body with its examples is {rendered} characters; "
                                       f"Meta takes {BODY_LIMIT}")
            templates[tid] = template
        missing = sorted(set(VALUES) - templates.keys())
        if missing:
            raise ContentError(path, missing[0], "template is missing (reminders and event updates need it)")
        return templates


# -- what the bot knows of Meta's verdicts --------------------------------------------------------------------
def schema(db) -> None:
    ensure_table(
        db, "message_templates",
        {
            "name": str,  # Meta's name (id + digest of the wording)
            "language": str,  # Meta's language code (th, en_US)
            "template": str,  # our id in content/message_templates.toml
            "graph_id": str,  # Meta's id of the template
            "status": str,  # PENDING | APPROVED | REJECTED | DISABLED | PAUSED | ... | REFUSED (ours)
            "reason": str,  # Meta's reason (a rejection), or Facebook's refusal
            "updated_at": float,
        },
        pk=("name", "language"),
        not_null={"name", "language", "template", "status"},
    )


def declare(privacy) -> None:
    privacy.not_personal("message_templates", why="the Page's utility message templates and Meta's verdicts")


def any_pending(conn) -> bool:
    """Whether Meta has still to judge one of the templates."""
    return conn.execute("SELECT 1 FROM message_templates WHERE status = ? LIMIT 1", (PENDING,)).fetchone() is not None


def record(conn, template: str, name: str, language: str, status: str, reason: str | None = None,
           graph_id: str | None = None, now: float | None = None) -> None:
    conn.execute(
        "INSERT INTO message_templates (name, language, template, graph_id, status, reason, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name, language) DO UPDATE SET status = excluded.status, "
        "reason = excluded.reason, graph_id = coalesce(excluded.graph_id, graph_id), updated_at = excluded.updated_at",
        (name, language, template, graph_id, status, reason if reason not in (None, "", "NONE") else None,
         time.time() if now is None else now))


def template_of(name: str) -> str:
    return name.rsplit("_", 1)[0]


def on_status_update(conn, value: dict) -> bool:
    """A `message_template_status_update` webhook value; returns True when it was about a template we know."""
    name, language = value.get("message_template_name"), value.get("message_template_language")
    status = str(value.get("event") or "").upper()
    if not isinstance(name, str) or not isinstance(language, str) or not status:
        return False
    graph_id = str(value.get("message_template_id") or "") or None
    record(conn, template_of(name), name, language, status, str(value.get("reason") or "") or None, graph_id)
    return True


def status_of(conn, name: str, language: str) -> tuple[str | None, str | None]:
    row = conn.execute("SELECT status, reason FROM message_templates WHERE name = ? AND language = ?",
                       (name, language)).fetchone()
    return (row[0], row[1]) if row else (None, None)


def current(conn, templates: MessageTemplates) -> list[dict]:
    """The status of every template the content asks for, in each language: what /healthz and the console show."""
    out = []
    for template in templates.values():
        for lang in LANGUAGES:
            name = template.name(lang)
            status, reason = status_of(conn, name, LANGUAGE_CODES[lang])
            out.append({"template": template.id, "language": LANGUAGE_CODES[lang], "name": name,
                        "status": status or "NOT_CREATED", "reason": reason or ""})
    return out


def send_fields(fallback: dict) -> dict:
    """The Send API fields of a utility message (beside `recipient`)."""
    return {
        "messaging_type": "UTILITY",
        "message": {"attachment": {"type": "template", "payload": {
            "template_type": "utility_messages",
            "name": fallback["name"],
            "language": {"code": fallback["language"]},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in fallback["params"]]}],
        }}},
    }


# -- talking to Meta ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncLine:
    template: str
    language: str
    name: str
    status: str
    action: str  # created | exists | refused
    reason: str = ""


def sync(store, client, page_id: str, templates: MessageTemplates) -> list[SyncLine]:
    """Create on the Page every template of the content that Meta does not have yet; record every status.

    Idempotent: a template whose name (id + digest of its wording) Meta already has in that language is only
    looked at. Raises GraphError when Facebook cannot be asked at all (no permission, no network).
    """
    from .graph import GraphError

    known = {(t.get("name"), t.get("language")): t for t in client.message_templates(page_id)}
    lines: list[SyncLine] = []
    for template in templates.values():
        for lang in LANGUAGES:
            name, code = template.name(lang), LANGUAGE_CODES[lang]
            existing = known.get((name, code))
            if existing is not None:
                status, reason, graph_id = str(existing.get("status") or PENDING), existing.get("rejected_reason"), \
                    existing.get("id")
                action = "exists"
            else:
                try:
                    answer = client.create_message_template(page_id, template.create_request(lang))
                except GraphError as exc:
                    if exc.code != 100:
                        raise
                    lines.append(SyncLine(template.id, code, name, "NOT_CREATED", "refused", exc.message))
                    continue
                status, reason, graph_id, action = str(answer.get("status") or PENDING), None, answer.get("id"), "created"
            with store.write() as conn:  # the operator asked: Meta's word replaces ours (a REFUSED one included)
                record(conn, template.id, name, code, status, reason, str(graph_id) if graph_id else None)
            lines.append(SyncLine(template.id, code, name, status, action, reason or ""))
    return lines


def refresh(store, client, page_id: str) -> int:
    """Read the statuses of the Page's templates from Meta into our record (those we know). Returns how many changed."""
    changed = 0
    with store.write() as conn:
        mine = {(r["name"], r["language"]): r["status"] for r in conn.execute("SELECT name, language, status "
                                                                              "FROM message_templates")}
    listing = client.message_templates(page_id)
    with store.write() as conn:
        for t in listing:
            key = (t.get("name"), t.get("language"))
            status = str(t.get("status") or "")
            if key in mine and status and status != mine[key] and mine[key] != REFUSED:
                record(conn, template_of(key[0]), key[0], key[1], status, t.get("rejected_reason"), t.get("id"))
                changed += 1
    return changed


def mark_refused(conn, name: str, language: str, reason: str) -> None:
    conn.execute("UPDATE message_templates SET status = ?, reason = ?, updated_at = ? WHERE name = ? AND language = ?",
                 (REFUSED, reason[:500], time.time(), name, language))
