"""Votes in Messenger: polls opened by moderators, one vote per person, changes, closed polls, exact tallies."""
from __future__ import annotations

import json

from bot.messenger import simulator
from conftest import eventually, texts


def cli(bot, *args):
    return bot.app.test_cli_runner().invoke(args=list(args))


def make_poll(bot, *extra) -> int:
    result = cli(bot, "poll", "create", "--question", "ทีมไหนควรได้ทุนก่อน | Which team should be funded first?",
                 "--option", "AI Doctor", "--option", "QR ถุงข้าว | QR rice bag", "--option", "Ocard", *extra)
    assert result.exit_code == 0, result.output
    return int(result.output.strip())


def test_a_poll_needs_two_to_ten_options(chat):
    result = cli(chat, "poll", "create", "--question", "ถามอะไร", "--option", "เดียว")
    assert result.exit_code != 0 and "2 to 10 options" in result.output


def test_opening_sends_the_poll_to_people_who_opted_in_inside_their_window_never_tagged(chat):
    no_vote_yet = chat.say("9101", "โหวต")
    assert "ยังไม่มีโหวตที่เปิดอยู่" in texts(no_vote_yet)[0]
    assert "REMIND:POLLS" in [q["payload"] for q in simulator.quick_replies_of(no_vote_yet[-1])]
    chat.tap("9101", "🔔 แจ้งเมื่อเปิดโหวต", "REMIND:POLLS")
    chat.tap("9102", "🔔 ทุกช่วง", "REMIND:ALL")
    chat.say("9103", "สวัสดี")  # did not opt in
    with chat.db() as conn:
        conn.execute("UPDATE users SET last_interaction_at = last_interaction_at - 90000 WHERE psid = '9102'")
    poll_id = make_poll(chat)
    assert "queued for 2 people" in cli(chat, "poll", "open", str(poll_id)).output
    chat.wait_idle()
    ballot = chat.graph.messages("9101")[-1]["body"]
    assert ballot["messaging_type"] == "UPDATE" and "tag" not in ballot
    assert [q["payload"] for q in ballot["message"]["quick_replies"]] == [f"VOTE:{poll_id}:{i}" for i in (1, 2, 3)]
    assert not any("ทีมไหน" in t for t in texts(chat.graph.messages("9103")))
    with chat.db() as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM outbox WHERE batch = ?", (f"poll:{poll_id}",))]
    assert sorted(statuses) == ["outside_window", "sent"]


def test_a_vote_is_counted_once_can_be_changed_and_after_closing_gets_the_results(chat):
    poll_id = make_poll(chat)
    cli(chat, "poll", "open", str(poll_id))
    ballot = chat.say("9110", "โหวต")
    assert "ทีมไหนควรได้ทุนก่อน" in texts(ballot)[0]
    assert "บันทึกคะแนนโหวต \"AI Doctor\"" in texts(chat.tap("9110", "1. AI Doctor", f"VOTE:{poll_id}:1"))[0]
    assert "เปลี่ยนคะแนนโหวตเป็น \"QR ถุงข้าว\"" in texts(chat.tap("9110", "2", f"VOTE:{poll_id}:2"))[0]
    chat.tap("9111", "2", f"VOTE:{poll_id}:2")
    results = json.loads(cli(chat, "poll", "results", str(poll_id), "--json").output)
    assert [o["votes"] for o in results["options"]] == [0, 2, 0] and results["total"] == 2
    cli(chat, "poll", "close", str(poll_id))
    late = texts(chat.tap("9112", "3", f"VOTE:{poll_id}:3"))[0]
    assert "ปิดโหวตแล้ว" in late and "QR ถุงข้าว: 2 (100%)" in late


def test_a_poll_that_forbids_changes_keeps_the_first_vote(chat):
    poll_id = make_poll(chat, "--no-change")
    cli(chat, "poll", "open", str(poll_id))
    chat.tap("9120", "1", f"VOTE:{poll_id}:1")
    assert "โหวตโพลนี้ไปแล้วค่ะ (\"AI Doctor\")" in texts(chat.tap("9120", "3", f"VOTE:{poll_id}:3"))[0]
    assert json.loads(cli(chat, "poll", "results", str(poll_id), "--json").output)["options"][0]["votes"] == 1


def test_a_burst_of_votes_with_redeliveries_is_tallied_exactly(chat):
    poll_id = make_poll(chat)
    cli(chat, "poll", "open", str(poll_id))
    events = [simulator.quick_reply(f"92{i:03d}", "x", f"VOTE:{poll_id}:{i % 3 + 1}", mid=f"m_vote_{i}") for i in range(150)]
    for start in range(0, 150, 10):
        chat.webhook.send(*events[start:start + 10])
        chat.webhook.send(*events[start:start + 5])  # Facebook delivers some twice
    chat.wait_idle(timeout=30)
    counts = [o["votes"] for o in json.loads(cli(chat, "poll", "results", str(poll_id), "--json").output)["options"]]
    assert counts == [50, 50, 50]


def test_only_moderators_run_poll_commands_in_messenger(start_chat):
    chat = start_chat(moderator_psids=frozenset({"9130"}))
    poll_id = make_poll(chat)
    reply = texts(chat.say("9131", f"/poll open {poll_id}"))[0]
    assert "is open" not in reply and "สำหรับผู้ดูแลงานเท่านั้น" in reply  # said plainly, not read as a question
    assert "สำหรับผู้ดูแลงานเท่านั้น" in texts(chat.say("9131", "/broadcast hello everyone"))[0]
    assert "draft" in cli(chat, "poll", "list").output
    assert f"poll {poll_id} is open" in texts(chat.say("9130", f"/poll open {poll_id}"))[0]
    chat.tap("9131", "1", f"VOTE:{poll_id}:1")
    assert "AI Doctor: 1 (100%)" in texts(chat.say("9130", f"/poll results {poll_id}"))[0]
    assert "closed" in texts(chat.say("9130", f"/poll close {poll_id}"))[0]
    with chat.db() as conn:  # who did what is in the audit log, from the shell and from Messenger alike
        actions = [tuple(r) for r in conn.execute("SELECT moderator, action FROM audit_log ORDER BY id")]
    assert actions == [("cli", "poll_create"), ("messenger:9130", "poll_open"), ("messenger:9130", "poll_close")]


def results(bot, poll_id) -> list[int]:
    return [o["votes"] for o in json.loads(cli(bot, "poll", "results", str(poll_id), "--json").output)["options"]]


def test_an_option_typed_after_the_ballot_is_a_vote_as_a_tap_is(chat):
    """Field report: after "โหวต" showed the ballot, "2" got "I don't know that yet", "ทีม B" got the FAQ's list of
    teams, and no vote was counted (live comments "1" and "#2" did count)."""
    poll_id = make_poll(chat)
    cli(chat, "poll", "open", str(poll_id))
    chat.say("9120", "โหวต")
    assert "บันทึกคะแนนโหวต \"QR ถุงข้าว\"" in texts(chat.say("9120", "2"))[0]
    assert "บันทึกคะแนนโหวต \"Ocard\"" in texts(chat.say("9121", "ocard ค่ะ"))[0]  # an option's own words
    assert "AI Doctor" in texts(chat.say("9122", "ข้อ 1"))[0]
    assert "QR rice bag" in texts(chat.say("9123", "QR rice bag"))[0]  # in English, answered in English
    assert results(chat, poll_id) == [1, 2, 1]
    with chat.db() as conn:  # a registration's topic step still takes "2" as its answer
        conn.execute("DELETE FROM form_state")
    chat.say("9124", "ลงทะเบียน")
    chat.tap("9124", "✅", "REG:CONSENT:yes")
    chat.say("9124", "สมชาย ใจดี")
    chat.say("9124", "0812345678")
    chat.tap("9124", "role", "REG:ROLE:student")
    chat.say("9124", "2")
    assert results(chat, poll_id) == [1, 2, 1]


def test_anyone_asks_for_the_results_so_far_and_after_closing(chat):
    """Field report: "ผลโหวตเป็นยังไงบ้าง" got the ballot while the poll was open, and "ผลโหวต" after it closed got
    "no poll is open"."""
    poll_id = make_poll(chat)
    cli(chat, "poll", "open", str(poll_id))
    chat.say("9126", "2")
    so_far = texts(chat.say("9127", "ผลโหวตเป็นยังไงบ้าง"))[0]
    assert "QR ถุงข้าว: 1 (100%)" in so_far and "ยังโหวตได้" in so_far
    cli(chat, "poll", "close", str(poll_id))
    closed = texts(chat.say("9127", "poll results"))[0]
    assert "QR rice bag: 1 (100%)" in closed and "closed" in closed


def test_with_two_polls_open_a_bare_number_is_no_vote(chat):
    first, second = make_poll(chat), make_poll(chat)
    cli(chat, "poll", "open", str(first))
    cli(chat, "poll", "open", str(second))
    chat.say("9125", "2")
    assert results(chat, first) == [0, 0, 0] and results(chat, second) == [0, 0, 0]


def erase(bot, psid):
    bot.say(psid, "ลบข้อมูล")
    assert "ลบข้อมูลของคุณเรียบร้อย" in texts(bot.tap(psid, "🗑️ ลบเลย", "DATA:DELETE:yes"))[0]


def test_an_erased_persons_vote_stays_counted_once_and_voting_again_is_still_one_vote(chat):
    poll_id = make_poll(chat)
    cli(chat, "poll", "open", str(poll_id))
    chat.tap("9140", "1", f"VOTE:{poll_id}:1")
    for option in (2, 3, 2):  # erase, vote again: round after round (the finding: 1 -> 2 -> 3 -> 4)
        erase(chat, "9140")
        assert sum(results(chat, poll_id)) == 1
        chat.tap("9140", str(option), f"VOTE:{poll_id}:{option}")
        assert results(chat, poll_id) == [0, 1, 0] if option == 2 else [0, 0, 1]  # changed, never added
    with chat.db() as conn:
        voters = [r[0] for r in conn.execute("SELECT voter FROM votes")]
    assert len(voters) == 1 and voters[0].startswith("p1:") and voters[0] != "9140"  # a key, not the PSID


def test_a_poll_that_forbids_changes_keeps_an_erased_persons_first_vote(chat):
    poll_id = make_poll(chat, "--no-change")
    cli(chat, "poll", "open", str(poll_id))
    chat.tap("9141", "1", f"VOTE:{poll_id}:1")
    erase(chat, "9141")
    chat.tap("9141", "3", f"VOTE:{poll_id}:3")
    assert results(chat, poll_id) == [1, 0, 0]


def comment(comment_id, video, commenter, words, verb="add"):
    return {"field": "feed", "value": {"item": "comment", "verb": verb, "comment_id": comment_id,
                                       "post_id": f"100000000000001_{video}", "message": words,
                                       "from": {"id": commenter, "name": "Viewer"}, "created_time": 1595656800}}


def test_comments_on_the_polls_live_video_are_votes_and_edits_and_deletions_count(chat):
    poll_id = make_poll(chat, "--video-id", "777")
    cli(chat, "poll", "open", str(poll_id))
    changes = [
        comment("c1", "777", "u1", "1"), comment("c2", "777", "u2", "#2"), comment("c3", "777", "u3", "ข้อ 2"),
        comment("c4", "777", "u4", "ไลฟ์สนุกมาก!"), comment("c5", "888", "u5", "2"),
        comment("c1", "777", "u1", "3", verb="edited"), comment("c3", "777", "u3", "", verb="remove"),
        comment("c6", "777", "u6", "B"),
    ]
    for change in changes:
        body = simulator.page_body(changes=[change])
        chat.webhook.post(body)
        chat.webhook.post(body)  # redelivered
    chat.wait_idle()
    results = json.loads(cli(chat, "poll", "results", str(poll_id), "--json").output)
    assert [o["votes"] for o in results["options"]] == [0, 2, 1]  # u2 "#2", u6 "B"; u1 edited 1 -> 3; u3 removed
    assert chat.graph.messages() == [] or all("comment:" not in m["recipient"] for m in chat.graph.messages())


def test_a_commenter_who_erased_their_data_and_comments_again_still_counts_once(chat):
    poll_id = make_poll(chat, "--video-id", "777")
    cli(chat, "poll", "open", str(poll_id))
    chat.webhook.post(simulator.page_body(changes=[comment("c1", "777", "9150", "1")]))
    chat.wait_idle()
    erase(chat, "9150")  # the same person on Messenger
    with chat.db() as conn:
        assert conn.execute("SELECT comment_id FROM votes").fetchone()[0] is None  # no link to their comment
    chat.webhook.post(simulator.page_body(changes=[comment("c2", "777", "9150", "2")]))
    chat.wait_idle()
    assert results(chat, poll_id) == [0, 1, 0]


def test_the_results_page_json_csv_and_live_stream(bot):
    import requests

    poll_id = make_poll(bot)
    cli(bot, "poll", "open", str(poll_id))
    bot.tap("9150", "1", f"VOTE:{poll_id}:1")
    snap = requests.get(f"{bot.url}/live/{poll_id}.json").json()
    assert [o["votes"] for o in snap["options"]] == [1, 0, 0] and snap["options"][0]["percent"] == 100.0
    page = requests.get(f"{bot.url}/live/{poll_id}?overlay=1")
    assert page.status_code == 200 and "ทีมไหนควรได้ทุนก่อน" in page.text and "background: transparent" in page.text
    assert "Which team should be funded first?" in requests.get(f"{bot.url}/live/{poll_id}?lang=en").text
    csv_text = requests.get(f"{bot.url}/live/{poll_id}.csv").content
    assert csv_text.startswith(b"\xef\xbb\xbf") and "AI Doctor,AI Doctor,1,100.0".encode() in csv_text
    assert requests.get(f"{bot.url}/live/99999.json").status_code == 404
    with requests.get(f"{bot.url}/live/{poll_id}/events", stream=True, timeout=10) as stream:
        lines = stream.iter_lines(decode_unicode=True)
        first = json.loads(next(line for line in lines if line.startswith("data:"))[5:])
        assert first["total"] == 1
        bot.webhook.send(simulator.quick_reply("9151", "2", f"VOTE:{poll_id}:2"))
        update = json.loads(next(line for line in lines if line.startswith("data:"))[5:])  # pushed, not reloaded
        assert update["total"] == 2 and [o["votes"] for o in update["options"]] == [1, 1, 0]


def test_a_poll_opened_with_close_after_closes_by_itself(bot):
    poll_id = make_poll(bot, "--close-after", "0.03")  # about 2 seconds
    cli(bot, "poll", "open", str(poll_id))
    bot.tap("9160", "1", f"VOTE:{poll_id}:1")
    eventually(lambda: "closed" in cli(bot, "poll", "list").output, 10, 0.2, "the poll did not close by itself")
    assert f"{poll_id:>4}  closed" in cli(bot, "poll", "list").output
    assert "ปิดโหวตแล้ว" in texts(bot.tap("9161", "2", f"VOTE:{poll_id}:2"))[0]
