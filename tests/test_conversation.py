"""The first conversation: greeting with the person's name, the menu, language, stickers, the unexpected."""
from __future__ import annotations

import json
import threading
import time

import requests

from bot.messenger import simulator
from bot.dispatcher import EventHandler, Priority, TextHandler
from bot.messenger.replies import Text
from conftest import texts


def test_get_started_greets_in_thai_with_the_first_name_and_the_menu(chat):
    chat.graph.set_profile("2001", first_name="Malee", last_name="Dee", locale="th_TH")
    before = len(chat.graph.messages("2001"))
    chat.webhook.send(simulator.postback("2001", "GET_STARTED", "Get Started"))
    answer = chat.answer("2001", before)
    assert texts(answer)[0].startswith("สวัสดีค่ะ คุณMalee")
    assert "English" in texts(answer)[0]  # Thai first, with a way to English
    titles = [q["title"] for q in simulator.quick_replies_of(answer[-1])]
    assert "🌐 English" in titles


def test_typed_greetings_in_many_forms_get_the_greeting(chat):
    for i, words in enumerate(["สวัสดี", "หวัดดีครับ", "สวัสดีค่าาาา 🙏", "ดีจ้า", "hi", "Hello there!", "HIII"]):
        psid = f"201{i}"
        assert texts(chat.say(psid, words))[0].startswith(("สวัสดีค่ะ", "Hi")), words


def test_a_profile_facebook_will_not_give_falls_back_to_a_greeting_without_a_name(bot):
    bot.graph.fault(path="profile", status=400, code=100, message="(#100) no permission", recipient="2020")
    answer = bot.say("2020", "สวัสดี")
    assert texts(answer)[0].startswith("สวัสดีค่ะ 👋")
    with bot.db() as conn:
        assert conn.execute("SELECT profile_status FROM users WHERE psid = '2020'").fetchone()[0] == "failed"


def test_the_profile_is_fetched_once(chat):
    chat.say("2021", "สวัสดี")
    stats = chat.graph.stats()
    lookups = stats["calls"] - stats["send_attempts"]
    chat.say("2021", "สวัสดีอีกครั้ง")
    chat.say("2021", "hi")
    stats = chat.graph.stats()
    assert stats["calls"] - stats["send_attempts"] == lookups  # no second GET /{psid}
    assert stats["send_attempts"] >= 3


def test_an_english_locale_gets_english_and_anyone_can_switch_language(chat):
    chat.graph.set_profile("2030", first_name="John", locale="en_US")
    assert texts(chat.say("2030", "hello"))[0].startswith("Hi John")
    assert texts(chat.say("2030", "ภาษาไทย"))[0] == "เปลี่ยนเป็นภาษาไทยแล้วค่ะ 🇹🇭"
    assert texts(chat.say("2030", "hi"))[0].startswith("สวัสดีค่ะ คุณJohn")
    answer = chat.tap("2030", "🌐 English", "LANG:switch")
    assert texts(answer)[0] == "Switched to English 🇬🇧"
    with chat.db() as conn:
        row = conn.execute("SELECT language, language_source FROM users WHERE psid = '2030'").fetchone()
    assert tuple(row) == ("en", "user")


def test_stickers_likes_and_photos_get_a_friendly_reply(chat):
    chat.webhook.send(simulator.sticker("2040", simulator.LIKE_STICKER))
    assert texts(chat.answer("2040", 0)) == ["ขอบคุณค่ะ 👍"]
    chat.webhook.send(simulator.sticker("2041"))
    assert "😊" in texts(chat.answer("2041", 0))[0]
    chat.webhook.send(simulator.image("2042"))
    assert "ข้อความ" in texts(chat.answer("2042", 0))[0]


def test_emoji_typed_as_text_get_the_reply_a_sticker_gets(chat):
    """Field report: "👍" typed (not the like button) got "Sorry, I don't know that yet"."""
    assert texts(chat.say("2043", "👍")) == ["ขอบคุณค่ะ 👍"]
    assert texts(chat.say("2044", "👍🏽👍🏽")) == ["ขอบคุณค่ะ 👍"]  # a skin tone is still a thumb
    assert "😊" in texts(chat.say("2045", "😂😂"))[0]
    assert "ยังไม่มีคำตอบ" not in " ".join(texts(chat.say("2046", "🎉")))


def test_text_nobody_understands_and_stale_buttons_get_a_way_forward(chat):
    answer = chat.say("2050", "ขอสูตรต้มยำ")
    assert "ยังไม่มีคำตอบ" in texts(answer)[0]
    assert "HUMAN" in [q["payload"] for q in simulator.quick_replies_of(answer[-1])]
    answer = chat.tap("2050", "old", "SOMETHING_FROM_LAST_YEAR")
    assert "หมดอายุ" in texts(answer)[0]


def test_a_handler_that_crashes_gets_the_person_an_apology_and_the_event_is_recorded(start_chat):
    def boom(ctx):
        raise RuntimeError("handler bug")

    chat = start_chat(setup=lambda b: b.dispatcher.add(TextHandler(boom, patterns=["พัง"]), Priority.COMMAND))
    answer = chat.say("2060", "พัง")
    assert "ขออภัย" in texts(answer)[0]
    with chat.db() as conn:
        row = conn.execute("SELECT status, error FROM inbox WHERE psid = '2060'").fetchone()
    assert row["status"] == "failed" and "handler bug" in row["error"]
    # The person can carry on.
    assert texts(chat.say("2060", "สวัสดี"))[0].startswith("สวัสดีค่ะ")


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
        EventHandler({"message"}, slow_echo, predicate=lambda c: c.event.text.startswith("n")), Priority.COMMAND))
    people = [f"207{i}" for i in range(6)]
    for n in range(15):
        # Each webhook carries one message from each person, as Facebook batches them.
        bot.webhook.send(*[simulator.text(p, f"n{n}") for p in people])
    bot.wait_idle(timeout=30)
    assert overlaps == []
    for p in people:
        assert seen[p] == [f"n{n}" for n in range(15)]
        assert texts(bot.graph.messages(p)) == [f"echo n{n}" for n in range(15)]


def test_stickers_in_the_2026_shape_and_the_old_one_are_answered_alike(chat):
    """Since 30 August 2026 a sticker is only an attachment of type `sticker`; replays still carry the old shape."""
    like = 369239263222822
    chat.webhook.send(simulator.messaging("2043", "message", {"mid": "m_2043", "attachments": [
        {"type": "sticker", "payload": {"url": "https://scontent.xx.fbcdn.net/s.png", "sticker_id": like}}]}))
    assert texts(chat.answer("2043", 0)) == ["ขอบคุณค่ะ 👍"]
    shape = simulator.sticker("2047", like)["message"]  # what the web simulator and the terminal chat send
    assert "sticker_id" not in shape and [(a["type"], a["payload"]["sticker_id"]) for a in shape["attachments"]] == \
        [("sticker", like)]
    chat.webhook.send(simulator.messaging("2044", "message", {"mid": "m_2044", "sticker_id": like, "attachments": [
        {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/s.png", "sticker_id": like}}]}))
    assert texts(chat.answer("2044", 0)) == ["ขอบคุณค่ะ 👍"]  # the shape before the 2026 transition
    chat.webhook.send(simulator.messaging("2045", "message", {"mid": "m_2045", "attachments": [
        {"type": "sticker", "payload": {"sticker_id": 126361874215276}}]}))
    assert "😊" in texts(chat.answer("2045", 0))[0]
    as_text = simulator.messaging("2046", "message", {"mid": "m_2046", "attachments": [
        {"type": "sticker", "payload": {"sticker_id": str(simulator.LIKE_STICKER)}}]})  # an id written as a string
    chat.webhook.send(as_text)
    assert texts(chat.answer("2046", 0)) == ["ขอบคุณค่ะ 👍"]


def test_a_referral_from_a_link_gets_the_greeting_and_the_menu_new_or_known_person(chat):
    chat.say("2080", "สวัสดี")  # chatted before
    for psid in ("2080", "2081"):  # 2081 arrives with only the referral
        before = len(chat.graph.messages(psid))
        chat.webhook.send(simulator.messaging(psid, "referral", {"ref": "day1_live", "source": "SHORTLINK",
                                                                "type": "OPEN_THREAD"}))
        answer = chat.answer(psid, before)
        assert texts(answer)[0].startswith("สวัสดีค่ะ"), psid
        assert "🌐 English" in [q["title"] for q in simulator.quick_replies_of(answer[-1])]
    chat.webhook.send(simulator.referral("2082", "register"))  # a known ref keeps its own flow
    assert not texts(chat.answer("2082", 0))[0].startswith("สวัสดีค่ะ")


def test_a_quick_reply_with_an_absurd_number_gets_a_polite_reply_not_an_apology(chat):
    for payload in ("VOTE:999999999999999999999999999999999999:1", "VOTE:1:99999999999999999999999", "VOTE:-1:1",
                    "SCHEDULE:DAY:2020-07-17:99999999999999999999999", "SCHEDULE:DAY:2020-07-17:-3",
                    "BROADCAST:SEND:999999999999999999999999"):
        answer = chat.tap("2090", "?", payload)
        assert "หมดอายุ" in texts(answer)[0] or "ไม่" in texts(answer)[0], payload
        assert "ขออภัย" not in texts(answer)[0], payload
    with chat.db() as conn:
        assert conn.execute("SELECT count(*) FROM inbox WHERE status = 'failed'").fetchone()[0] == 0


def test_numbers_in_urls_and_command_lines_are_range_checked(start_bot):
    bot = start_bot(moderator_psids=frozenset({"2091"}))
    huge = "99999999999999999999999"
    for path in (f"/live/{huge}", f"/live/{huge}.json", f"/live/{huge}.csv", f"/console/broadcasts/{huge}"):
        response = requests.get(bot.url + path, allow_redirects=False)
        assert response.status_code in (404, 302), path  # 302: the console asks for a log-in first
    runner = bot.app.test_cli_runner()
    for args in (["poll", "results", huge], ["broadcast-status", huge], ["broadcast-cancel", huge],
                 ["faq-misses", "--limit", huge]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2, (args, result.output)  # click's usage error, not a traceback
        assert "range" in result.output, (args, result.output)
    for words in (f"/poll open {huge}", f"/broadcast status {huge}"):
        answer = bot.say("2091", words)
        assert "not found" in " ".join(texts(answer)), words
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM inbox WHERE status = 'failed'").fetchone()[0] == 0


def test_an_error_line_keeps_the_exception_type_message_and_traceback(start_chat, capfd):
    def boom(ctx):
        raise RuntimeError("handler bug 4711")

    chat = start_chat(setup=lambda b: b.dispatcher.add(TextHandler(boom, patterns=["พังอีก"]), Priority.COMMAND))
    chat.say("2092", "พังอีก")
    chat.say("2093", "พังอีก")  # the same error again at once: not written a second time
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines()
             if line.startswith("{") and "handler_error" in line]
    assert len(lines) == 1
    assert lines[0]["error_type"] == "RuntimeError" and lines[0]["error"] == "handler bug 4711"
    assert "Traceback" in lines[0]["exception"] and "in boom" in lines[0]["exception"]
