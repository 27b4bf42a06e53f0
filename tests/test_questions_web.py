"""Questions for the speakers on the web and through the real webhook: the signed webhook end to end, the public
screen (page, overlay, JSON, CSV, live stream), the console's moderation, and "delete my data" leaving no trace in
any file. (Conversations in-process: tests/test_questions.py.)"""
from __future__ import annotations

import json
import re
import time

import requests

from bot.messenger import simulator
from test_console import logged_in, post_form
from conftest import eventually
from test_privacy import files_holding
from test_questions import ask, cli, ok, question_ids, texts


def screen(bot, session="opening", suffix=".json"):
    return requests.get(f"{bot.url}/live/qa/{session}{suffix}", timeout=10)


def test_a_question_through_the_signed_webhook_reaches_the_screen_only_when_approved_and_updates_it_live(bot):
    assert screen(bot).status_code == 404  # a session that never took questions
    ok(bot, "qa", "open", "opening")
    bot.graph.set_profile("6201", first_name="Anan", last_name="K", locale="en_US")
    assert "Type your question" in texts(bot.say("6201", "ask a question"))[0]
    bot.say("6201", "What happens to the prototypes after the hackathon ends?")
    bot.tap("6201", "👤 Anan", "ASKQ:NAME:name")
    assert "Question sent" in texts(bot.tap("6201", "✅ Send it", "ASKQ:CONFIRM"))[0]
    assert screen(bot).json()["questions"] == []  # pending: nothing public
    (question_id,) = question_ids(bot)
    ok(bot, "qa", "approve", str(question_id))
    assert eventually(lambda: screen(bot).json()["questions"], timeout=5)  # within a second (the server's watcher)
    snap = screen(bot).json()
    assert [(q["text"], q["name"], q["upvotes"]) for q in snap["questions"]] == [
        ("What happens to the prototypes after the hackathon ends?", "Anan", 0)]
    assert "6201" not in re.findall(r"\w+", json.dumps(snap))  # whole words (a timestamp may hold its digits)
    page = screen(bot, suffix="?overlay=1")
    assert page.status_code == 200 and "background: transparent" in page.text and "What happens to the prototypes" in page.text
    assert "Questions for the speakers" in screen(bot, suffix="?lang=en").text
    csv_text = screen(bot, suffix=".csv").content
    assert csv_text.startswith(b"\xef\xbb\xbfid,question") and b"What happens to the prototypes" in csv_text
    with requests.get(f"{bot.url}/live/qa/opening/events", stream=True, timeout=10) as stream:
        lines = stream.iter_lines(decode_unicode=True)
        first = json.loads(next(line for line in lines if line.startswith("data:"))[5:])
        assert first["questions"][0]["upvotes"] == 0
        bot.webhook.send(simulator.postback("6202", f"QA_UP:{question_id}"))
        update = json.loads(next(line for line in lines if line.startswith("data:"))[5:])  # pushed, not reloaded
        assert update["questions"][0]["upvotes"] == 1
        ok(bot, "qa", "pin", str(question_id))
        pinned = json.loads(next(line for line in lines if line.startswith("data:"))[5:])
        assert pinned["pinned"]["id"] == question_id and pinned["questions"] == []


def test_moderators_run_the_queue_from_the_console(bot):
    http = logged_in(bot)
    opened = post_form(bot, http, "/console/qa", "/console/qa/open", session_id="opening", video_id="555")
    assert "Q&amp;A open for opening" in opened.text and "/live/qa/opening?overlay=1" in opened.text
    ask(bot, "6210", "ทีมที่ชนะจะได้รับเงินทุนเท่าไหร่")
    ask(bot, "6211", "How much funding will the winning team receive?")
    ask(bot, "6212", "ทำไมรัฐบาลทำงานเหี้ยแบบนี้ ช่วยตอบหน่อย")
    original, duplicate, rude = question_ids(bot)
    page = http.get(f"{bot.url}/console/qa/opening").text
    assert f'id="flag-{rude}"' in page and "เหี้ย" in page
    assert re.search(rf'id="similar-{duplicate}">[^<]*#{original}', page)
    page_url = "/console/qa/opening"
    post_form(bot, http, page_url, f"/console/qa/questions/{original}/approve")
    post_form(bot, http, page_url, f"/console/qa/questions/{duplicate}/merge", value=str(original))
    dismissed = post_form(bot, http, page_url, f"/console/qa/questions/{rude}/dismiss", value="ใช้คำไม่สุภาพ")
    assert "dismiss ✓" in dismissed.text
    refused = post_form(bot, http, page_url, f"/console/qa/questions/{original}/answer", value="not a time")
    assert "H:MM:SS" in refused.text
    answered = post_form(bot, http, page_url, f"/console/qa/questions/{original}/answer", value="45:10")
    assert "answer ✓" in answered.text and "✅ 45:10" in answered.text
    assert eventually(lambda: [q["text"] for q in screen(bot).json()["questions"]] == ["ทีมที่ชนะจะได้รับเงินทุนเท่าไหร่"])
    assert screen(bot).json()["questions"][0]["answered"] is True
    assert eventually(lambda: "45:10" in " ".join(texts(bot.graph.messages("6211"))))  # the merged duplicate's asker
    assert "ใช้คำไม่สุภาพ" in " ".join(texts(bot.graph.messages("6212")))
    listing = http.get(f"{bot.url}/console/qa").text
    assert re.search(r"<td>3</td><td><strong>0</strong></td>\s*<td>1</td><td>1</td>", listing)
    assert "เปิดรับคำถาม / Taking questions" in listing  # the state in words, not "open"
    export = http.get(f"{bot.url}/console/qa/opening/export.csv")
    assert export.text.startswith("\ufeffid,session,text") and "6210" not in re.findall(r"\w+", export.text)
    with bot.db() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE moderator = 'somsri' ORDER BY id")]
    assert actions[2:] == ["qa_open", "qa_approve", "qa_merge", "qa_dismiss", "qa_answer", "qa_export"]


def test_delete_my_data_leaves_no_trace_of_a_question_that_must_go_in_any_file(bot):
    ok(bot, "qa", "open", "opening", "--video-id", "555")
    bot.graph.set_profile("6220", first_name="Kanokwan", last_name="Srisuk", locale="th_TH")
    secret = "คุณกนกวรรณถามเรื่องซอยทองหล่อquokka"  # names someone: goes even though approved
    ask(bot, "6220", secret, name="name")
    bot.webhook.post(simulator.page_body(changes=[{"field": "feed", "value": {
        "item": "comment", "verb": "add", "comment_id": "cq1", "post_id": "100000000000001_555",
        "message": "ถาม: ขอถามเรื่องมะละกอpapayaquokka ค่ะ", "from": {"id": "6220", "name": "Kanokwan"},
        "created_time": int(time.time())}}]))
    bot.wait_idle()
    for question_id in question_ids(bot):
        ok(bot, "qa", "approve", str(question_id))
    directory = bot.settings.database_path.parent
    traces = ["กนกวรรณ", "papayaquokka", "Kanokwan"]
    assert files_holding(directory, traces)
    bot.say("6220", "ลบข้อมูล")
    assert "ลบข้อมูลของคุณเรียบร้อย" in texts(bot.tap("6220", "🗑️ ลบเลย", "DATA:DELETE:yes"))[0]
    with bot.db() as conn:
        assert eventually(lambda: conn.execute("SELECT 1 FROM runtime_state WHERE key = 'privacy_wal_scrub_requested'")
                          .fetchone() is None)
        remaining = [tuple(r) for r in conn.execute("SELECT text, asker, shown_name, comment_id FROM questions")]
    assert remaining == [("ขอถามเรื่องมะละกอpapayaquokka ค่ะ", None, None, None)]  # approved, names no one: authorless
    assert files_holding(directory, ["กนกวรรณ", "Kanokwan", "ซอยทองหล่อ"]) == {}
    assert cli(bot, "qa", "show", "opening").exit_code == 0
