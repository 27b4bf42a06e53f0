"""A fake of the part of Facebook's Graph API the bot uses: a real HTTP server on 127.0.0.1.

Local mode, the tests and the benchmarks all point `GRAPH_API_URL` at it. It answers like Facebook
(`recipient_id`, `message_id`, Facebook-shaped error bodies), refuses what Facebook would refuse (a text over
2,000 characters, 14 quick replies, a missing `messaging_type`, a wrong token), and can be told to misbehave.

It follows the Messenger Platform as Meta documents it in late 2026, with the sources and their dates:
- Message tags: only `HUMAN_AGENT` is left. `CONFIRMED_EVENT_UPDATE`, `POST_PURCHASE_UPDATE` and
  `ACCOUNT_UPDATE` were retired on 27 April 2026 and are refused with error 100 "(#100) Invalid parameter", as
  integrators who checked against the live API report (erxes PR #9177, August 2026; vlab-research/fly,
  documentation/utility-messages.md, 2026). Recurring notifications ended in February 2026.
- Utility messages ("Send a utility message", Messenger Platform, updated 13 March 2026; "Page Message
  Templates", Graph API reference v25.0/v26.0): Page-owned templates under `/{page-id}/message_templates`,
  permission `page_utility_messaging`, approved "within seconds of creation", never marketing. Meta's pages as
  stored here stop before the request bodies, so the shapes follow the closest documented ones, said where used:
  creation as WhatsApp's Message Templates API (`name`, `language`, `category: UTILITY`, `components` with a
  BODY whose `{{1}}`... placeholders need `example.body_text`; BUTTONS of type URL, PHONE_NUMBER or POSTBACK,
  QUICK_REPLY refused with subcode 2018416, as integrators found on v25.0), and sending as integrators document
  it (vlab-research/fly, documentation/utility-messages.md): `messaging_type: UTILITY` and an attachment `{"type": "template", "payload": {"template_type":
  "utility_messages", "name", "language": {"code"}, "components": [{"type": "body", "parameters": [...]}]}}`.
  A template that does not exist in that language, is not APPROVED, or gets the wrong number of parameters is
  refused with error 100. Utility messages may go outside the 24-hour window; that is what they are for.
- The `message_template_status_update` webhook: on `object: page`, `entry[].changes[]` with that field and a
  value shaped as WhatsApp's reference for the same field documents it (updated 13 April 2026): `event`,
  `message_template_id`, `message_template_name`, `message_template_language`, `reason`,
  `message_template_category`. The fake signs it with the app secret and posts it to the bot (`webhook` in
  the config) when a template's status changes.
- Error 10 with subcode 1893063, "the Page is temporarily restricted from sending messages" (Messenger
  Platform changelog, 25 June 2026): the fault `{"kind": "page_restricted"}` answers every send with it.
- Stickers: since 30 August 2026 only an attachment of type `sticker` (changelog, 1 June 2026); see
  bot/messenger/simulator.py, which plays Facebook's side of the webhook.

Control API (not Facebook's; under `/_fake/`):
- `GET  /_fake/messages?recipient=ID&after=N&wait=S`  messages sent, newest after id N; waits up to S seconds
  (a utility message carries `rendered`: its template's body with the parameters filled in)
- `DELETE /_fake/messages`                              forget them
- `POST /_fake/faults`  {"status", "code", "subcode", "message", "delay", "count", "path", "recipient"},
  or {"kind": "page_restricted"} (error 10/1893063 on every send until the faults are cleared)
- `DELETE /_fake/faults`
- `POST /_fake/config`  {"latency": seconds for every call, "token": the only token accepted (null: any),
  "review": how new templates are judged ("approve", "reject", "pending"), "approval_delay": seconds,
  "webhook": {"url", "app_secret"} where template status changes are delivered}
- `GET  /_fake/templates`, `POST /_fake/templates/<id>/status` {"status", "reason"}: Meta changing its mind
- `PUT  /_fake/profiles/<psid>`  {"first_name", "last_name", "locale"}
- `GET  /_fake/stats`   counts

Run alone: `python -m bot.messenger.fake_graph --port 8765`, or under gunicorn (one process, many threads) for benchmarks.

    state.py   what the fake holds: messages sent, profiles, templates, faults, its webhook
    rules.py   what Facebook refuses: the Send API's and the template API's checks
    app.py     the Graph API's paths and the control API (a Flask app)
    server.py  the fake on a real HTTP port (`FakeGraphServer`), or in this process (`InProcessGraph`)
"""
from __future__ import annotations

from .server import FakeGraphServer, InProcessGraph
from .state import PAGE_ID, FakeGraphState

__all__ = ["PAGE_ID", "FakeGraphServer", "FakeGraphState", "InProcessGraph"]
