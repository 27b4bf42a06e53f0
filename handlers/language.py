"""Language choice: Thai (default) or English, changeable at any time.

Takes: the `LANG:th`, `LANG:en` and `LANG:switch` payloads (menu), and the typed words "English", "ภาษาไทย",
"ไทย", "Thai", "ภาษาอังกฤษ". The person's choice is stored and wins over the locale Facebook reported.
"""
from __future__ import annotations

import re

from bot.dispatcher import Context, MenuItem, PayloadHandler, Priority, Result, TextHandler, simplify
from bot.domain.payloads import LANGUAGE
from bot.messenger.replies import QuickReply, Text

TO_ENGLISH = r"english|eng|en|in english|ภาษาอังกฤษ|อังกฤษ|อิงลิช"
TO_THAI = r"ภาษาไทย|ไทย|thai|th|in thai|พูดไทย|พิมพ์ไทย"
NAMES_ENGLISH = r"english|อังกฤษ|อิงลิช|\beng\b"  # a language named inside a longer request
NAMES_THAI = r"thai|ไทย"


def _switch_to(ctx: Context, lang: str, forms=None) -> Result:
    """Switch, and in the middle of a form ask its pending question again in the language chosen (the form and every
    one put aside go on in it), rather than the menu."""
    ctx.set_language(lang)
    pending = forms.language_chosen(ctx, lang) if forms is not None else None
    if pending is not None:
        return [Text(ctx.t("language_set")), pending]
    return Text(ctx.t("language_set"), quick_replies=ctx.menu())


def from_payload(ctx: Context, forms=None) -> Result:
    wanted = ctx.match.language
    if wanted not in ("th", "en"):
        wanted = "en" if ctx.lang == "th" else "th"  # the entry offered the other one than the replies' language
    return _switch_to(ctx, wanted, forms)


# What a person says they cannot read or understand ("อ่านภาษาอังกฤษไม่ออก", "i can't read thai") names the
# language they do NOT want. Read within one clause (split at punctuation and, in Thai, at spaces).
CANNOT = (r"ไม่ออก|ไม่เข้าใจ|ไม่รู้เรื่อง|ไม่เก่ง|ไม่เป็น|ไม่ค่อย|ไม่ได้|ไม่ถนัด|ไม่แข็ง|อ่อน"
          r"|can'?t|cannot|can not|don'?t|do not|dont|not good|not fluent|no good|bad at|struggle")
_CLAUSES = re.compile(r"[,.;!?/()\n]+|\s+(?:but|so|and|because|pls|please)\s+|\s+(?=[\u0e00-\u0e7f])|(?<=[\u0e00-\u0e7f])\s+")


def wanted_language(text: str) -> str | None:
    """The language a request in words asks for: the one named and wanted ("ขอภาษาไทยได้ไหมคะ", "can you reply in
    thai"), not one the person says they cannot read ("อ่านภาษาอังกฤษไม่ออก ขอภาษาไทยได้ไหมคะ" -> th); only a
    language they cannot read named: the other one; None when it cannot tell (both wanted, or none named)."""
    wanted, unwanted = set(), set()
    for clause in _CLAUSES.split(simplify(text)):
        named = {lang for lang, names in (("en", NAMES_ENGLISH), ("th", NAMES_THAI)) if re.search(names, clause)}
        (unwanted if re.search(CANNOT, clause) else wanted).update(named)
    wanted -= unwanted
    if len(wanted) == 1:
        return wanted.pop()
    if not wanted and len(unwanted) == 1:
        return "th" if unwanted == {"en"} else "en"
    return None


def by_words(ctx: Context, forms=None) -> Result:
    """Asked in other words ("can you reply in english please"): switch to the language named and wanted, else
    offer both."""
    lang = wanted_language(ctx.event.text)
    if lang is not None:
        return _switch_to(ctx, lang, forms)
    return Text(ctx.t("language_offer"), quick_replies=[QuickReply("ภาษาไทย", LANGUAGE.build(language="th")),
                                                                QuickReply("English", LANGUAGE.build(language="en"))])


def register(bot) -> None:
    bot.content.require_texts("language_set", "language_offer")
    forms = bot.forms  # "English" mid-form: the pending question again, in English
    bot.dispatcher.add(PayloadHandler(LANGUAGE, lambda ctx: from_payload(ctx, forms)))
    # Typed commands come before forms: "English" in the middle of a form is not a name.
    bot.dispatcher.add(TextHandler(lambda ctx: _switch_to(ctx, "en", forms), patterns=[TO_ENGLISH], name="to_english"),
                       Priority.COMMAND)
    bot.dispatcher.add(TextHandler(lambda ctx: _switch_to(ctx, "th", forms), patterns=[TO_THAI], name="to_thai"),
                       Priority.COMMAND)
    # The entry offers the other language, so it is written in that language.
    bot.dispatcher.add_menu_item(MenuItem(payload=LANGUAGE.build(language="switch"), order=90,
                                          title={"th": "🌐 English", "en": "🌐 ภาษาไทย"}))
    bot.dispatcher.add_intent("language", lambda ctx: by_words(ctx, forms))
