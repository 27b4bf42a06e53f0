"""Questions for the speakers: asking in the chat (named or anonymous) and in live comments, moderation, nothing
public before approval, upvotes exact under bursts and redeliveries and after erasure, merging duplicates,
answered notices, the CLI. (The console, the public screen and the signed webhook: tests/test_questions_web.py.)"""
from __future__ import annotations

import json

from bot.messenger import simulator

MODERATOR = "7000"


def texts(messages):
    return simulator.texts_of(messages)


def cli(bot, *args):
    result = bot.app.test_cli_runner().invoke(args=list(args))
    return result


def ok(bot, *args) -> str:
    result = cli(bot, *args)
    assert result.exit_code == 0, result.output
    return result.output


def shown(bot, session="opening") -> dict:
    """What the public screen shows now (bot/screens/questions.py)."""
    with bot.db() as conn:
        return bot.runtime.screens["qa"].snapshot(conn, session)


def ask(bot, psid, question, name="anon"):
    bot.say(psid, "ถามวิทยากร")
    bot.say(psid, question)
    bot.tap(psid, "name", f"ASKQ:NAME:{name}")
    return bot.tap(psid, "ok", "ASKQ:CONFIRM")


def question_ids(bot) -> list[int]:
    return [q["id"] for q in json.loads(ok(bot, "qa", "export", "--json"))]


def comment(comment_id, video, commenter, words, verb="add"):
    return {"field": "feed", "value": {"item": "comment", "verb": verb, "comment_id": comment_id,
                                       "post_id": f"100000000000001_{video}", "message": words,
                                       "from": {"id": commenter, "name": "Viewer"}, "created_time": 1595656800}}


def test_asking_anonymously_in_thai_goes_to_moderators_first_and_the_asker_hears_of_the_approval(chat):
    assert "ยังไม่มีช่วงที่เปิดรับคำถาม" in texts(chat.say("6001", "ถามวิทยากร"))[0]
    ok(chat, "qa", "open", "opening")
    prompt = chat.say("6001", "มีคำถามค่ะ")
    assert "พิมพ์คำถามถึงวิทยากร" in texts(prompt)[0]
    assert "10–300" in texts(chat.say("6001", "สั้นไป"))[0]  # under 10 characters: asked again
    naming = chat.say("6001", "รัฐจะช่วยคนตกงานหลังโควิดอย่างไรบ้าง?")  # a question mark is the question, not an FAQ
    assert "แสดงชื่อ" in texts(naming)[0]
    assert [q["payload"] for q in simulator.quick_replies_of(naming[-1])][-2:] == ["ASKQ:NAME:anon", "ASKQ:CANCEL"]
    summary = texts(chat.tap("6001", "🙈 ไม่ระบุชื่อ", "ASKQ:NAME:anon"))[0]
    assert "รัฐจะช่วยคนตกงานหลังโควิดอย่างไรบ้าง?" in summary and "ไม่ระบุชื่อ" in summary
    assert "ผู้ดูแลจะตรวจก่อนขึ้นจอ" in texts(chat.tap("6001", "✅ ส่งคำถาม", "ASKQ:CONFIRM"))[0]

    assert shown(chat)["questions"] == []  # nothing public before a moderator approves
    assert "ยังไม่มีคำถามที่ผ่านการตรวจ" in texts(chat.say("6002", "ดูคำถาม"))[0]
    (question_id,) = question_ids(chat)
    ok(chat, "qa", "approve", str(question_id))
    chat.settle()
    assert "ขึ้นรายการแล้ว" in texts(chat.graph.messages("6001"))[-1]
    assert [(q["text"], q["name"]) for q in shown(chat)["questions"]] == [("รัฐจะช่วยคนตกงานหลังโควิดอย่างไรบ้าง?", None)]
    cards = chat.say("6002", "ดูคำถาม")[-1]["body"]["message"]["attachment"]["payload"]["elements"]
    assert cards[0]["title"] == "รัฐจะช่วยคนตกงานหลังโควิดอย่างไรบ้าง?"
    assert cards[0]["buttons"][0]["payload"] == f"QA_UP:{question_id}"


def test_asking_in_english_with_the_first_name_shown_and_choosing_among_open_sessions(start_chat):
    chat = start_chat(moderator_psids=frozenset({MODERATOR}))
    chat.graph.set_profile("6010", first_name="Mali", last_name="Dee", locale="en_US")
    assert texts(chat.say("6010", "/qa open opening")) != ["Q&A is open for opening"]  # not a moderator
    assert texts(chat.say(MODERATOR, "/qa open opening")) == ["Q&A is open for opening"]
    assert texts(chat.say(MODERATOR, "/qa open challenges")) == ["Q&A is open for challenges"]
    choose = chat.say("6010", "ask a question")
    assert "Which session" in texts(choose)[0]
    assert {q["payload"] for q in simulator.quick_replies_of(choose[-1])} >= {"ASKQ:SESSION:opening", "ASKQ:SESSION:challenges"}
    chat.tap("6010", "challenges", "ASKQ:SESSION:challenges")
    naming = chat.say("6010", "How will the winning ideas be funded after the event?")
    assert [q["title"] for q in simulator.quick_replies_of(naming[-1])][:2] == ["👤 Mali", "🙈 Ask anonymously"]
    summary = texts(chat.tap("6010", "👤 Mali", "ASKQ:NAME:name"))[0]
    assert "Shown as: Mali" in summary
    assert "Question sent" in texts(chat.tap("6010", "✅ Send it", "ASKQ:CONFIRM"))[0]
    listed = json.loads(ok(chat, "qa", "show", "challenges", "--json"))["questions"]
    assert [(q["text"], q["name"], q["status"]) for q in listed] == [
        ("How will the winning ideas be funded after the event?", "Mali", "pending")]
    assert "questions 1, pending 1" in next(line for line in ok(chat, "qa", "list").splitlines() if "challenges" in line)
    assert texts(chat.say(MODERATOR, "/qa close challenges")) == ["Q&A for challenges is closed"]


def test_a_session_with_auto_approve_lists_questions_at_once(chat):
    ok(chat, "qa", "open", "opening", "--auto-approve")
    assert "ขึ้นรายการแล้ว" in texts(ask(chat, "6020", "ทีมที่ชนะจะได้รับการสนับสนุนต่ออย่างไร"))[0]
    assert [q["text"] for q in shown(chat)["questions"]] == ["ทีมที่ชนะจะได้รับการสนับสนุนต่ออย่างไร"]


def test_a_rude_question_waits_for_a_moderator_even_where_the_session_auto_approves(chat):
    """Field report: with auto-approve, "โครงการนี้มันห่วยแตก ไอ้สัส ตอบมาดิ" went straight onto the live screen."""
    ok(chat, "qa", "open", "opening", "--auto-approve")
    sent = texts(ask(chat, "6021", "โครงการนี้มันห่วยแตก ไอ้สัส ตอบมาดิ"))[0]
    assert "ผู้ดูแลจะตรวจก่อนขึ้นจอ" in sent and "ขึ้นรายการแล้ว" not in sent
    assert shown(chat)["questions"] == []
    (question_id,) = question_ids(chat)
    assert "สัส" in ok(chat, "qa", "show", "opening")  # flagged for the moderators, who decide


def test_live_comments_marked_as_questions_ask_once_and_get_one_private_reply_to_follow_in_the_chat(chat):
    ok(chat, "qa", "open", "opening", "--video-id", "555")
    changes = [comment("c1", "555", "6030", "ถาม: งบประมาณของโครงการมาจากไหนครับ"),
               comment("c2", "555", "6031", "Q: Will the pitches be recorded for later?"),
               comment("c3", "555", "6032", "? ใครเป็นกรรมการตัดสินบ้าง"),
               comment("c4", "555", "6033", "ไลฟ์สนุกมากค่ะ"),  # not a question
               comment("c5", "999", "6034", "ถาม: วิดีโออื่นไม่ใช่ช่วงนี้นะ")]  # another video
    for change in changes:
        body = simulator.page_body(changes=[change])
        chat.webhook.post(body)
        chat.webhook.post(body)  # Facebook redelivers
    replies = [m for m in chat.graph.messages() if "comment_id" in m["body"]["recipient"]]
    assert sorted(m["body"]["recipient"]["comment_id"] for m in replies) == ["c1", "c2", "c3"]  # one each
    english = next(m for m in replies if m["body"]["recipient"]["comment_id"] == "c2")["body"]["message"]
    assert "We got your question" in english["attachment"]["payload"]["text"]
    follow = next(m for m in replies if m["body"]["recipient"]["comment_id"] == "c1")["body"]["message"]
    button = follow["attachment"]["payload"]["buttons"][0]
    listed = json.loads(ok(chat, "qa", "show", "opening", "--json"))["questions"]
    assert sorted(q["text"] for q in listed) == ["Will the pitches be recorded for later?",
                                                 "งบประมาณของโครงการมาจากไหนครับ", "ใครเป็นกรรมการตัดสินบ้าง"]
    assert all(q["status"] == "pending" and q["channel"] == "comment" for q in listed)

    forged = button["payload"].rsplit(":", 1)[0] + ":000000000000"  # someone else's question, a guessed token
    chat.webhook.send(simulator.postback("6099", forged))
    assert "เราจะแจ้งในแชทนี้" not in " ".join(texts(chat.graph.messages("6099")))
    with chat.db() as conn:
        assert conn.execute("SELECT count(*) FROM questions WHERE asker = '6099'").fetchone()[0] == 0
    webhook_event = simulator.postback("6030", button["payload"], title=button["title"])
    chat.webhook.send(webhook_event)
    assert "เราจะแจ้งในแชทนี้" in texts(chat.graph.messages("6030"))[-1]
    first = next(q for q in listed if q["text"].startswith("งบประมาณ"))
    ok(chat, "qa", "approve", str(first["id"]))
    chat.settle()
    assert "ขึ้นรายการแล้ว" in texts(chat.graph.messages("6030"))[-1]

    chat.webhook.post(simulator.page_body(changes=[comment("c3", "555", "6032", "", verb="remove")]))
    statuses = {q["text"]: q["status"] for q in json.loads(ok(chat, "qa", "show", "opening", "--json"))["questions"]}
    assert statuses["ใครเป็นกรรมการตัดสินบ้าง"] == "dismissed"  # a deleted comment takes its question back


def test_moderators_dismiss_with_a_reason_correct_typos_and_see_rude_words_flagged(chat):
    ok(chat, "qa", "open", "opening")
    ask(chat, "6040", "ทำไมรัฐบาลทำงานเหี้ยแบบนี้ ช่วยตอบหน่อย")
    ask(chat, "6041", "โครงการนี้จะขยายไปต่างจังหวัดไหมคะ พรุ่งนี้")
    rude, typo = question_ids(chat)
    listed = {q["id"]: q for q in json.loads(ok(chat, "qa", "show", "opening", "--json"))["questions"]}
    assert listed[rude]["flagged"] == "เหี้ย" and listed[typo]["flagged"] is None
    assert cli(chat, "qa", "dismiss", str(rude)).exit_code != 0  # a reason is required
    ok(chat, "qa", "dismiss", str(rude), "--reason", "ใช้คำไม่สุภาพ")
    chat.settle()
    assert "เหตุผล: ใช้คำไม่สุภาพ" in texts(chat.graph.messages("6040"))[-1]
    ok(chat, "qa", "edit", str(typo), "โครงการนี้จะขยายไปต่างจังหวัดไหมคะ")
    ok(chat, "qa", "approve", str(typo))
    assert [q["text"] for q in shown(chat)["questions"]] == ["โครงการนี้จะขยายไปต่างจังหวัดไหมคะ"]
    corrected = {q["id"]: q for q in json.loads(ok(chat, "qa", "show", "opening", "--json"))["questions"]}[typo]
    assert corrected["original"] == "โครงการนี้จะขยายไปต่างจังหวัดไหมคะ พรุ่งนี้"
    assert "is dismissed" in cli(chat, "qa", "answer", str(rude)).output  # only approved questions are answered


def upvotes(bot, question_id) -> int:
    return next(q["upvotes"] for q in json.loads(ok(bot, "qa", "export", "--json")) if q["id"] == question_id)


def test_a_burst_of_upvotes_with_redeliveries_is_counted_exactly_once_per_person(chat):
    ok(chat, "qa", "open", "opening", "--auto-approve")
    ask(chat, "6050", "จะมีการติดตามผลโครงการหลังจบงานอย่างไร")
    ask(chat, "6051", "ผู้ชนะจะได้ร่วมงานกับหน่วยงานไหนบ้าง")
    first, second = question_ids(chat)
    events = [simulator.postback(f"61{i:03d}", f"QA_UP:{first if i % 3 else second}", mid=f"m_up_{i}") for i in range(120)]
    for start in range(0, 120, 12):
        chat.webhook.send(*events[start:start + 12])
        chat.webhook.send(*events[start:start + 6])  # redelivered
    chat.webhook.send(simulator.postback("61001", f"QA_UP:{first}"))  # the same person taps again: not counted
    assert (upvotes(chat, first), upvotes(chat, second)) == (80, 40)
    assert [q["upvotes"] for q in shown(chat)["questions"]] == [80, 40]  # most upvoted first
    assert "ไปแล้ว" in texts(chat.tap("61001", "👍", f"QA_UP:{first}"))[0]


def erase(bot, psid):
    bot.say(psid, "ลบข้อมูล")
    assert "ลบข้อมูลของคุณเรียบร้อย" in texts(bot.tap(psid, "🗑️ ลบเลย", "DATA:DELETE:yes"))[0]


def test_after_erasure_an_upvote_stays_counted_and_still_blocks_a_second_one(chat):
    ok(chat, "qa", "open", "opening", "--auto-approve")
    ask(chat, "6060", "หน่วยงานรัฐจะนำไอเดียไปใช้จริงเมื่อไหร่")
    (question_id,) = question_ids(chat)
    chat.tap("6061", "👍", f"QA_UP:{question_id}")
    erase(chat, "6061")
    with chat.db() as conn:
        assert conn.execute("SELECT count(*) FROM question_upvotes WHERE psid = '6061'").fetchone()[0] == 0
    assert "ไปแล้ว" in texts(chat.tap("6061", "👍", f"QA_UP:{question_id}"))[0]
    assert upvotes(chat, question_id) == 1


def test_erasure_keeps_an_approved_question_that_names_no_one_without_its_author_and_drops_the_rest(chat):
    ok(chat, "qa", "open", "opening")
    chat.graph.set_profile("6070", first_name="Somchai", last_name="Jaidee", locale="th_TH")
    ask(chat, "6070", "นโยบายนี้จะช่วยเกษตรกรรายย่อยอย่างไร")  # approved, names no one: stays, authorless
    ask(chat, "6070", "ขอให้คุณสมศรีจากกระทรวงตอบเรื่องงบประมาณด้วย")  # approved, names someone: goes
    ask(chat, "6070", "Somchai asks: what is the budget of the pilot?", name="name")  # shows the name: goes
    ask(chat, "6070", "คำถามที่ยังไม่ผ่านการตรวจของฉันเอง")  # pending: goes
    kept, naming, named, pending = question_ids(chat)
    for question_id in (kept, naming, named):
        ok(chat, "qa", "approve", str(question_id))
    chat.tap("6071", "👍", f"QA_UP:{naming}")
    erase(chat, "6070")
    with chat.db() as conn:
        rows = [tuple(r) for r in conn.execute("SELECT id, text, asker, shown_name FROM questions ORDER BY id")]
        assert rows == [(kept, "นโยบายนี้จะช่วยเกษตรกรรายย่อยอย่างไร", None, None)]
        assert conn.execute("SELECT count(*) FROM question_upvotes").fetchone()[0] == 0
        for needle in ("สมศรี", "Somchai asks", "คำถามที่ยังไม่ผ่าน"):
            assert not [t for t, in conn.execute("SELECT text FROM questions") if needle in t]
    assert [q["text"] for q in shown(chat)["questions"]] == ["นโยบายนี้จะช่วยเกษตรกรรายย่อยอย่างไร"]


def test_near_duplicates_are_suggested_and_merging_counts_each_upvoter_once_then_answers_tell_everyone(chat):
    ok(chat, "qa", "open", "opening", "--auto-approve")
    ask(chat, "6080", "ทีมที่ชนะจะได้รับเงินทุนเท่าไหร่")
    ask(chat, "6081", "How much funding will the winning team receive?")
    ask(chat, "6082", "การเดินทางมาที่งานสะดวกไหม มีที่จอดรถหรือเปล่า")
    original, duplicate, other = question_ids(chat)
    suggestions = json.loads(ok(chat, "qa", "show", "opening", "--json"))["duplicates"]
    assert [(s["question"], s["duplicate_of"]) for s in suggestions] == [(duplicate, original)]
    assert f"qa merge {duplicate} {original}" in ok(chat, "qa", "show", "opening")
    chat.tap("6083", "👍", f"QA_UP:{original}")
    chat.tap("6083", "👍", f"QA_UP:{duplicate}")  # the same person on both: once after the merge
    chat.tap("6084", "👍", f"QA_UP:{duplicate}")
    assert "(2 upvotes)" in ok(chat, "qa", "merge", str(duplicate), str(original))
    assert [q["id"] for q in shown(chat)["questions"]] == [original, other]
    assert "👍" in texts(chat.tap("6085", "👍", f"QA_UP:{duplicate}"))[0]  # an old button counts for the kept one
    assert upvotes(chat, original) == 3
    ok(chat, "qa", "pin", str(original))
    assert shown(chat)["pinned"]["id"] == original
    assert "5 people told" in ok(chat, "qa", "answer", str(original), "--at", "1:02:30")
    chat.settle()
    for psid in ("6080", "6081", "6083", "6084", "6085"):
        assert "1:02:30" in texts(chat.graph.messages(psid))[-1], psid
    assert "1:02:30" not in " ".join(texts(chat.graph.messages("6082")))
    assert shown(chat)["pinned"] is None and shown(chat)["questions"][0]["answered"] is True


def test_the_export_has_pseudonymous_askers_and_the_figures_per_session(chat):
    ok(chat, "qa", "open", "opening")
    ask(chat, "6090", "ข้อมูลเปิดภาครัฐหาได้จากที่ไหนบ้าง")
    ask(chat, "6090", "จะมีการจัดงานแบบนี้อีกไหมในปีหน้า")
    ask(chat, "6091", "ผู้เข้าร่วมต้องมีพื้นฐานเขียนโปรแกรมไหม")
    rows = json.loads(ok(chat, "qa", "export", "opening", "--json"))
    assert rows[0]["asker"] == rows[1]["asker"] != rows[2]["asker"]
    # the PSID is no value of any row (whole values: a hex key or a timestamp may hold the same four digits)
    assert not {"6090", "6091"} & {str(v) for row in rows for v in row.values()}
    csv_text = ok(chat, "qa", "export", "opening")
    assert csv_text.startswith("\ufeffid,session,text") and "ข้อมูลเปิดภาครัฐ" in csv_text
    figures = json.loads(ok(chat, "qa", "list", "--json"))
    assert [(f["session"], f["questions"], f["pending"]) for f in figures] == [("opening", 3, 3)]
    assert cli(chat, "qa", "open", "no-such-session").exit_code != 0


def test_asking_through_the_understanding_step(chat):
    ok(chat, "qa", "open", "opening")
    assert "พิมพ์คำถามถึงวิทยากร" in " ".join(texts(chat.say("6095", "อยากส่งคำถามถึงคนบนเวทีค่ะ")))


def test_the_agencys_report_counts_questions_per_session(chat):
    from datetime import datetime, timedelta

    from bot.domain.reports.gather import gather
    from bot.domain.reports.model import Period

    ok(chat, "qa", "open", "opening")
    ask(chat, "6096", "งานนี้มีผู้เข้าร่วมทั้งหมดกี่คน")
    ask(chat, "6097", "ผลงานจะเผยแพร่ให้ประชาชนดูได้ที่ไหน")
    first, second = question_ids(chat)
    ok(chat, "qa", "approve", str(first))
    ok(chat, "qa", "answer", str(first))
    chat.tap("6098", "👍", f"QA_UP:{first}")
    tz = chat.settings.tz
    today = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    with chat.db() as conn:
        report = gather(conn, chat.runtime.content.texts, Period(today, today + timedelta(days=1)),
                        agenda=chat.runtime.content["agenda"])
    (row,) = report.questions
    assert (row.session_id, row.session.en, row.asked, row.approved, row.answered, row.upvotes) == (
        "opening", chat.runtime.content["agenda"].get("opening").title["en"], 2, 1, 1, 1)


def test_see_questions_pages_ten_cards_at_a_time_most_upvoted_first(chat):
    ok(chat, "qa", "open", "opening", "--auto-approve")
    for n in range(12):
        ask(chat, f"63{n:02d}", f"คำถามทดสอบหมายเลข {n} เกี่ยวกับการเยียวยา")
    ids = question_ids(chat)
    chat.tap("6399", "👍", f"QA_UP:{ids[11]}")
    first = chat.say("6399", "see questions")
    assert texts(first)[0].startswith("📋 Questions for the speakers")
    cards = first[-1]["body"]["message"]["attachment"]["payload"]["elements"]
    assert len(cards) == 10 and cards[0]["title"].startswith("คำถามทดสอบหมายเลข 11") and cards[0]["subtitle"] == "👍 1"
    more = simulator.quick_replies_of(first[-1])[0]
    assert more["payload"] == "QA_LIST:opening:10"
    second = chat.tap("6399", more["title"], more["payload"])
    rest = second[-1]["body"]["message"]["attachment"]["payload"]["elements"]
    assert [c["title"] for c in rest] == ["คำถามทดสอบหมายเลข 9 เกี่ยวกับการเยียวยา", "คำถามทดสอบหมายเลข 10 เกี่ยวกับการเยียวยา"]


def test_the_dashboards_activity_chart_counts_questions_as_they_are_asked(chat):
    import time
    from zoneinfo import ZoneInfo

    from bot.domain import timeline

    ok(chat, "qa", "open", "opening")
    ask(chat, "6401", "จะมีการถ่ายทอดสดย้อนหลังให้ดูไหมคะ")
    with chat.db() as conn:
        chart = timeline.activity(conn, ZoneInfo("Asia/Bangkok"), time.time())
    series = {s["name"]: s["data"] for s in chart["series"]}
    assert sum(series["คำถามถึงวิทยากร / Questions for the speakers"][-2:]) == 1  # this minute (or the one before)
    assert sum(series["ความเห็น / Opinion votes"]) == 0


def test_a_question_confirmed_after_its_session_closed_is_said_to_be_unsent_and_shown_back(chat):
    ok(chat, "qa", "open", "opening")
    chat.say("6030", "ถามวิทยากร")
    chat.say("6030", "ระบบราชการจะเปิดข้อมูลให้ประชาชนได้มากขึ้นไหม")
    chat.tap("6030", "anon", "ASKQ:NAME:anon")
    ok(chat, "qa", "close", "opening")
    answer = texts(chat.tap("6030", "ok", "ASKQ:CONFIRM"))[0]
    assert "ยังไม่ได้ส่ง" in answer and "ระบบราชการจะเปิดข้อมูลให้ประชาชนได้มากขึ้นไหม" in answer
    assert question_ids(chat) == []
