"""The first conversation: greeting with the person's name, the menu, language, stickers, the unexpected."""
from __future__ import annotations

import threading
import time

from bot import simulator
from bot.dispatcher import EventHandler, TextHandler
from bot.replies import Text


def texts(messages):
    return simulator.texts_of(messages)


def test_get_started_greets_in_thai_with_the_first_name_and_the_menu(bot):
    bot.graph.set_profile("2001", first_name="Malee", last_name="Dee", locale="th_TH")
    before = len(bot.graph.messages("2001"))
    bot.webhook.send(simulator.postback("2001", "GET_STARTED", "Get Started"))
    answer = bot.answer("2001", before)
    assert texts(answer)[0].startswith("สวัสดีค่ะ คุณMalee")
    assert "English" in texts(answer)[0]  # Thai first, with a way to English
    titles = [q["title"] for q in simulator.quick_replies_of(answer[-1])]
    assert "🌐 English" in titles


def test_typed_greetings_in_many_forms_get_the_greeting(bot):
    for i, words in enumerate(["สวัสดี", "หวัดดีครับ", "สวัสดีค่าาาา 🙏", "ดีจ้า", "hi", "Hello there!", "HIII"]):
        psid = f"201{i}"
        assert texts(bot.say(psid, words))[0].startswith(("สวัสดีค่ะ", "Hi")), words


def test_a_profile_facebook_will_not_give_falls_back_to_a_greeting_without_a_name(bot):
    bot.graph.fault(path="profile", status=400, code=100, message="(#100) no permission", recipient="2020")
    answer = bot.say("2020", "สวัสดี")
    assert texts(answer)[0].startswith("สวัสดีค่ะ 👋")
    with bot.db() as conn:
        assert conn.execute("SELECT profile_status FROM users WHERE psid = '2020'").fetchone()[0] == "failed"


def test_the_profile_is_fetched_once(bot):
    bot.say("2021", "สวัสดี")
    stats = bot.graph.stats()
    lookups = stats["calls"] - stats["send_attempts"]
    bot.say("2021", "สวัสดีอีกครั้ง")
    bot.say("2021", "hi")
    stats = bot.graph.stats()
    assert stats["calls"] - stats["send_attempts"] == lookups  # no second GET /{psid}
    assert stats["send_attempts"] >= 3


def test_an_english_locale_gets_english_and_anyone_can_switch_language(bot):
    bot.graph.set_profile("2030", first_name="John", locale="en_US")
    assert texts(bot.say("2030", "hello"))[0].startswith("Hi John")
    assert texts(bot.say("2030", "ภาษาไทย"))[0] == "เปลี่ยนเป็นภาษาไทยแล้วค่ะ 🇹🇭"
    assert texts(bot.say("2030", "hi"))[0].startswith("สวัสดีค่ะ คุณJohn")
    answer = bot.tap("2030", "🌐 English", "LANG:switch")
    assert texts(answer)[0] == "Switched to English 🇬🇧"
    with bot.db() as conn:
        row = conn.execute("SELECT language, language_source FROM users WHERE psid = '2030'").fetchone()
    assert tuple(row) == ("en", "user")


def test_stickers_likes_and_photos_get_a_friendly_reply(bot):
    bot.webhook.send(simulator.sticker("2040", simulator.LIKE_STICKER))
    assert texts(bot.answer("2040", 0)) == ["ขอบคุณค่ะ 👍"]
    bot.webhook.send(simulator.sticker("2041"))
    assert "😊" in texts(bot.answer("2041", 0))[0]
    bot.webhook.send(simulator.image("2042"))
    assert "ข้อความ" in texts(bot.answer("2042", 0))[0]


def test_text_nobody_understands_and_stale_buttons_get_a_way_forward(bot):
    answer = bot.say("2050", "ขอสูตรต้มยำ")
    assert "ยังไม่มีคำตอบ" in texts(answer)[0]
    assert "HUMAN" in [q["payload"] for q in simulator.quick_replies_of(answer[-1])]
    answer = bot.tap("2050", "old", "SOMETHING_FROM_LAST_YEAR")
    assert "หมดอายุ" in texts(answer)[0]


def test_a_handler_that_crashes_gets_the_person_an_apology_and_the_event_is_recorded(start_bot):
    def boom(ctx):
        raise RuntimeError("handler bug")

    bot = start_bot(setup=lambda b: b.dispatcher.add(TextHandler(boom, patterns=["พัง"]), group=-1))
    answer = bot.say("2060", "พัง")
    assert "ขออภัย" in texts(answer)[0]
    with bot.db() as conn:
        row = conn.execute("SELECT status, error FROM inbox WHERE psid = '2060'").fetchone()
    assert row["status"] == "failed" and "handler bug" in row["error"]
    # The person can carry on.
    assert texts(bot.say("2060", "สวัสดี"))[0].startswith("สวัสดีค่ะ")


def test_one_persons_events_are_handled_in_order_and_never_two_at_once(start_bot):
    running: dict[str, int] = {}
    overlaps: list[str] = []
    seen: dict[str, list[str]] = {}
    lock = threading.Lock()

    def slow_echo(ctx):
        with lock:
            running[ctx.user.psid] = running.get(ctx.user.psid, 0) + 1
            if running[ctx.user.psid] > 1:
                overlaps.append(ctx.user.psid)
            seen.setdefault(ctx.user.psid, []).append(ctx.event.text)
        time.sleep(0.01)
        with lock:
            running[ctx.user.psid] -= 1
        return Text(f"echo {ctx.event.text}")

    bot = start_bot(setup=lambda b: b.dispatcher.add(
        EventHandler({"message"}, slow_echo, predicate=lambda c: c.event.text.startswith("n")), group=-1))
    people = [f"207{i}" for i in range(6)]
    for n in range(15):
        # Each webhook carries one message from each person, as Facebook batches them.
        bot.webhook.send(*[simulator.text(p, f"n{n}") for p in people])
    bot.wait_idle(timeout=30)
    assert overlaps == []
    for p in people:
        assert seen[p] == [f"n{n}" for n in range(15)]
        assert texts(bot.graph.messages(p)) == [f"echo n{n}" for n in range(15)]
