"""Greeting and main menu.

Takes: the Get Started postback, the `MENU` payload, greetings typed as text ("สวัสดี", "หวัดดีครับ",
"hi", "เมนู"), and `referral` events no feature claimed (someone tapped an m.me link, a QR code or an ad into
the chat: `{"ref": "day1_live", "source": "SHORTLINK", "type": "OPEN_THREAD"}`; known refs such as `register`
keep their own flows, in a lower group). Answers with a Thai-first greeting that uses the person's first name
when Facebook gave it, and the main menu as quick replies (each feature adds its own entry to the menu).
"""
from __future__ import annotations

from bot.dispatcher import Context, EventHandler, PayloadHandler, Priority, TextHandler
from bot.domain.payloads import MENU
from bot.messenger.payloads import GET_STARTED
from bot.messenger.replies import Text

GREETINGS = (
    r"(?:สวัสดี|หวัดดี|ดี|ดีจ้า|ดีงับ|สวัสดีตอน\w+)(?:\s*(?:จ้า|จ้ะ|ค่า|คร้าบ|ทุกคน|แอดมิน|แอด|admin|บอท|bot))*",
    r"(?:hi|hello|hey|hiya|yo|howdy|good\s+(?:morning|afternoon|evening)|greetings)(?:\s+(?:there|bot|admin|all))?",
)
MENU_WORDS = (r"เมนู|เมนูหลัก|menu|main menu|start|get started|เริ่ม|เริ่มต้น|help|ช่วยด้วย|ช่วยเหลือ",)


def greet(ctx: Context) -> Text:
    name = ctx.user.first_name
    text = ctx.t("greeting_named", name=name) if name else ctx.t("greeting")
    return Text(text, quick_replies=ctx.menu())


def show_menu(ctx: Context) -> Text:
    return Text(ctx.t("menu_prompt"), quick_replies=ctx.menu())


def thank(ctx: Context) -> Text:
    """Thanks and goodbyes get a kind word, not "I don't know that"."""
    return Text(ctx.t("thanks"), quick_replies=ctx.menu())


def register(bot) -> None:
    bot.content.require_texts("greeting", "greeting_named", "menu_prompt", "thanks")
    bot.dispatcher.add_intent("greeting", greet)
    bot.dispatcher.add_intent("thanks", thank)
    # What anyone arriving gets, when no feature claimed the arrival (an m.me link with ?ref=register is exact).
    bot.dispatcher.add(PayloadHandler(GET_STARTED, greet), Priority.GENERAL)
    bot.dispatcher.add(PayloadHandler(MENU, show_menu), Priority.GENERAL)
    bot.dispatcher.add(TextHandler(greet, patterns=GREETINGS, name="greeting"), Priority.GENERAL)
    bot.dispatcher.add(TextHandler(show_menu, patterns=MENU_WORDS, name="menu"), Priority.GENERAL)
    # A link tapped into the chat opens (or reopens) the conversation: greet, whoever they are.
    bot.dispatcher.add(EventHandler({"referral"}, greet, name="referral_greeting"), Priority.GENERAL)
