"""The last resort for messages and postbacks no other handler took.

Takes: any `message` or `postback` left over (the dispatcher calls it when nothing else matched). A payload
nobody knows (an old button from an earlier version, or of a form that is over) gets "that choice has expired",
then the question of the person's form in progress if they are in one (else the menu); text gets a polite
"not understood yet" with the menu, so a person is never left without a way forward.
"""
from __future__ import annotations

from bot import form_state
from bot.dispatcher import Context, Result
from bot.forms import Forms
from bot.messenger.replies import Text


def fallback(ctx: Context, forms: Forms | None = None) -> Result:
    key = "unknown_choice" if ctx.event.payload else "fallback"
    state = form_state.load(ctx.conn, ctx.user.psid, ctx.now) if ctx.event.payload and forms is not None else None
    form = forms.get(state.form) if state is not None and not state.data.get("_paused") else None
    if form is not None:  # an old button tapped in the middle of a form: the form's question again, in its language
        expired = Text(ctx.t(key))
        ctx.language = state.data.get("lang")
        return [expired, form.prompt(ctx, state)]
    return Text(ctx.t(key), quick_replies=ctx.menu())


def register(bot) -> None:
    bot.content.require_texts("fallback", "unknown_choice", "error")
    bot.dispatcher.fallback = lambda ctx: fallback(ctx, bot.forms)
