"""Opinion rounds in the chat (Pol.is in Messenger): one statement at a time, agree / disagree / pass, fewer-voted
first, never twice, a vote changed by answering again, statements written by participants and moderated, "where do
I stand?", erasure, and the operators' commands. In process (tests/in_process.py), except one signed webhook test."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

from bot.messenger import simulator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from opinion_synth import planted_round  # noqa: E402

TEXT = simulator.texts_of


def cli(bot, *args):
    return bot.app.test_cli_runner().invoke(args=list(args))


def quick(message: dict) -> dict[str, str]:
    """title -> payload of a message's quick replies."""
    return {q["title"]: q["payload"] for q in simulator.quick_replies_of(message)}


def open_round(bot, *args) -> int:
    made = cli(bot, "opinions", "create", *(args or ("--topic", "3")))
    assert made.exit_code == 0, made.output
    round_id = int(made.output.strip())
    assert cli(bot, "opinions", "open", str(round_id)).exit_code == 0
    return round_id


def small_round(bot, n: int = 3) -> int:
    return open_round(bot, "--title", "ทดสอบ | Test", *[a for i in range(1, n + 1) for a in
                                                        ("--statement", f"ข้อความทดสอบที่ {i} | Test statement {i}")])


def statement_ids(bot, round_id: int) -> list[int]:
    return [s["statement"] for s in json.loads(cli(bot, "opinions", "statements", str(round_id), "--json").output)]


def test_share_your_view_shows_one_statement_at_a_time_with_agree_disagree_pass_write_and_stop(chat):
    assert "ยังไม่มีรอบร่วมแสดงความเห็น" in TEXT(chat.say("7001", "ร่วมแสดงความเห็น"))[0]
    round_id = open_round(chat)
    first = chat.say("7001", "ร่วมแสดงความเห็น")[-1]
    text = TEXT([first])[0]
    assert "ข้อ 1 จาก 20" in text and "นักเรียนทุกคนควรได้อุปกรณ์" in text
    ids = statement_ids(chat, round_id)
    assert quick(first) == {"👍 เห็นด้วย": f"OPINION:VOTE:{ids[0]}:1", "👎 ไม่เห็นด้วย": f"OPINION:VOTE:{ids[0]}:-1",
                            "🤷 ผ่าน": f"OPINION:VOTE:{ids[0]}:0", "✍️ เขียนความเห็นเอง": f"OPINION:WRITE:{round_id}",
                            "⏹️ พอก่อน": f"OPINION:STOP:{round_id}"}
    second = TEXT(chat.tap("7001", "👍 เห็นด้วย", f"OPINION:VOTE:{ids[0]}:1"))[0]
    assert second.startswith("✅ บันทึก \"👍 เห็นด้วย\" แล้วค่ะ") and "ข้อ 2 จาก 20" in second
    stopped = TEXT(chat.tap("7001", "⏹️ พอก่อน", f"OPINION:STOP:{round_id}"))[0]
    assert "ตอบไปแล้ว 1 จาก 20 ข้อ" in stopped
    english = chat.say("7002", "share your view")[-1]
    assert "Statement 1 of 20" in TEXT([english])[0] and "👍 Agree" in quick(english)


def test_fewer_voted_statements_come_first_and_nobody_sees_one_twice(chat):
    round_id = small_round(chat, 3)
    a, b, c = statement_ids(chat, round_id)
    chat.tap("7010", "x", f"OPINION:VOTE:{a}:1")  # a has a vote: b and c come before it for everyone else
    chat.tap("7011", "x", f"OPINION:VOTE:{b}:-1")
    shown = chat.say("7012", "แสดงความเห็น")[-1]
    assert f"OPINION:VOTE:{c}:1" in quick(shown).values()
    seen = []
    for _ in range(3):
        payload = next(p for p in quick(chat.graph.messages("7012")[-1]).values() if p.startswith("OPINION:VOTE"))
        seen.append(int(payload.split(":")[2]))
        chat.tap("7012", "x", payload.rsplit(":", 1)[0] + ":0")
    assert sorted(seen) == [a, b, c] and seen[0] == c
    done = chat.graph.messages("7012")[-1]
    assert "คุณตอบครบทุกข้อแล้ว (3 ข้อ)" in TEXT([done])[0] and "🧭 ฉันอยู่กลุ่มไหน" in quick(done)


def test_answering_again_changes_the_vote_and_a_repeat_counts_once(chat):
    round_id = small_round(chat, 3)
    a = statement_ids(chat, round_id)[0]
    chat.tap("7020", "x", f"OPINION:VOTE:{a}:1")
    chat.tap("7020", "x", f"OPINION:VOTE:{a}:1")  # the same tap again (Facebook redelivers, people tap twice)
    assert "คำตอบของข้อนี้คือ" in TEXT(chat.graph.messages("7020")[-1:])[0]
    assert TEXT(chat.tap("7020", "x", f"OPINION:VOTE:{a}:-1"))[0].startswith("🔄 เปลี่ยนคำตอบเป็น \"👎 ไม่เห็นด้วย\"")
    csv = cli(chat, "opinions", "votes", str(round_id)).output.strip().splitlines()
    assert len(csv) == 2 and csv[1].endswith(f",{a},-1") and csv[1].startswith("p1:")  # one vote, by key, not PSID
    assert "7020" not in {field for line in csv for field in line.split(",")}  # whole values (hex may hold digits)


def test_a_closed_round_takes_no_votes(chat):
    round_id = small_round(chat, 2)
    a = statement_ids(chat, round_id)[0]
    cli(chat, "opinions", "close", str(round_id))
    assert "ปิดรับความเห็นแล้ว" in TEXT(chat.tap("7030", "x", f"OPINION:VOTE:{a}:1"))[0]
    assert cli(chat, "opinions", "votes", str(round_id)).output.strip().splitlines() == ["voter,statement,vote"]
    assert "ตัวเลือกนี้หมดอายุแล้ว" in TEXT(chat.tap("7030", "x", "OPINION:VOTE:99999:1"))[0]
    assert "ตัวเลือกนี้หมดอายุแล้ว" in TEXT(chat.tap("7030", "x", f"OPINION:VOTE:{a}:7"))[0]


def test_a_written_statement_is_moderated_flagged_and_its_author_told_when_it_goes_live(chat):
    round_id = open_round(chat, "--topic", "3")
    prompt = chat.tap("7040", "✍️", f"OPINION:WRITE:{round_id}")
    assert "10-140 ตัวอักษร" in TEXT(prompt)[0]
    assert "ขอเป็นประโยคเดียว" in TEXT(chat.say("7040", "สั้นไป"))[0]
    summary = chat.say("7040", "พ่อแม่รับภาระหนักเกินไปตอนลูกเรียนออนไลน์ที่บ้าน")[-1]
    assert "ทีมงานจะตรวจก่อนเผยแพร่" in TEXT([summary])[0]
    assert "📨 ส่งแล้วค่ะ" in TEXT(chat.tap("7040", "✅ ส่งเลย", quick(summary)["✅ ส่งเลย"]))[0]
    chat.tap("7040", "✍️", f"OPINION:WRITE:{round_id}")
    rude = chat.say("7040", "ไอ้โง่ที่ไม่เห็นด้วยกับรัฐ")[-1]
    chat.tap("7040", "✅ ส่งเลย", quick(rude)["✅ ส่งเลย"])

    queue = json.loads(cli(chat, "opinions", "statements", str(round_id), "--pending", "--json").output)
    near, rude_one = queue
    burden = next(s["statement"] for s in json.loads(cli(chat, "opinions", "statements", str(round_id), "--json").output)
                  if s["text"]["th"].startswith("ผู้ปกครองแบกภาระ"))
    assert near["flags"]["near"][0] == burden and not near["flags"]["rude"]
    assert rude_one["flags"]["rude"] == ["โง่"]
    # Nobody else sees it while it waits.
    others = chat.say("7041", "แสดงความเห็น")
    assert "ข้อ 1 จาก 20" in TEXT(others)[-1]

    assert "approved" in cli(chat, "opinions", "approve", str(near["statement"]), "--en",
                             "Parents carry too heavy a load when children study online at home.").output
    assert "rejected" in cli(chat, "opinions", "approve", str(rude_one["statement"]), "--reject").output
    chat.settle()
    told = TEXT(chat.graph.messages("7040")[-1:])[0]
    assert "ความเห็นของคุณเผยแพร่แล้ว" in told and "พ่อแม่รับภาระ" in told
    # Now others get it, first as it has the fewest votes (its author does not: they agreed by writing it).
    assert "ข้อ 1 จาก 21" in TEXT(chat.say("7042", "แสดงความเห็น"))[-1]
    for _ in range(22):
        last = chat.graph.messages("7041")[-1]
        payload = next((p for p in quick(last).values() if p.startswith("OPINION:VOTE")), None)
        if payload is None:
            break
        chat.tap("7041", "x", payload)
    answered = [int(l.split(",")[1]) for l in cli(chat, "opinions", "votes", str(round_id)).output.splitlines()[1:]]
    assert answered.count(near["statement"]) == 2 and answered.count(rude_one["statement"]) == 1  # the author's
    with chat.db() as conn:
        assert conn.execute("SELECT count(*) FROM opinion_statements WHERE author_psid IS NOT NULL").fetchone()[0] == 0


def planted_open_round(bot, planted, title: str) -> int:
    """An open round of the planted statements, in their order ("ข้อความที่ปลูกไว้ 1" is planted statement 1)."""
    return open_round(bot, "--title", title, *[a for i in planted.statement_ids for a in
                                               ("--statement", f"ข้อความที่ปลูกไว้ {i} | Planted statement {i}")])


def drive_planted_round(bot, planted, round_id: int, batch: int = 100) -> dict[str, str]:
    """Every planted vote as a tapped quick reply, in batches as Facebook delivers them; {psid: participant}."""
    ids = statement_ids(bot, round_id)
    psid_of = {key: f"8{n:05d}" for n, key in enumerate(sorted(planted.group_of))}
    events = [simulator.quick_reply(psid_of[key], "x", f"OPINION:VOTE:{ids[sid - 1]}:{vote}")
              for key, sid, vote in planted.votes]
    for start in range(0, len(events), batch):
        bot.webhook.send(*events[start:start + batch])
    bot.wait_idle(timeout=60)
    return {psid: key for key, psid in psid_of.items()}


def test_a_planted_round_voted_through_the_chat_gives_the_planted_groups_and_consensus(chat):
    planted = planted_round(participants=150, groups=3, statements=20, consensus=3, seen=(9, 20), seed=2)
    round_id = planted_open_round(chat, planted, "ทดสอบกลุ่ม | Planted")
    participant_of = drive_planted_round(chat, planted, round_id)
    assert len(chat.graph.messages()) >= len(planted.votes)  # every vote was answered

    report = json.loads(cli(chat, "opinions", "report", str(round_id), "--json").output)
    assert report["status"] == "ready" and len(report["groups"]) == 3
    ids = statement_ids(chat, round_id)
    assert {c["statement"] for c in report["consensus"]} == {ids[i - 1] for i in planted.consensus_ids}
    assert all(c["direction"] == "agree" for c in report["consensus"])
    # Each found group is one planted group: ask every counted participant where they stand.
    found, truth = [], []
    for psid, key in list(participant_of.items())[:60]:
        answer = TEXT(chat.say(psid, "ฉันอยู่กลุ่มไหน"))[0]
        if placed := re.search(r"คุณอยู่กลุ่ม ([A-Z]) ", answer):
            found.append(placed[1])
            truth.append(planted.group_of[key])
    assert len(found) >= 50 and adjusted_rand_score(truth, found) >= 0.9
    assert "ทุกกลุ่มเห็นตรงกันว่า" in answer
    text = cli(chat, "opinions", "report", str(round_id), "--stored").output
    assert "กลุ่ม A:" in text and "ทุกกลุ่มเห็นตรงกัน:" in text and "Every group agrees:" in text


def test_groups_keep_their_letters_when_the_map_is_recomputed(chat):
    planted = planted_round(participants=120, groups=2, statements=12, consensus=2, seen=(8, 12), seed=5,
                            shares=(0.7, 0.3))
    round_id = planted_open_round(chat, planted, "ทดสอบ | Test")
    participant_of = drive_planted_round(chat, planted, round_id)
    before = json.loads(cli(chat, "opinions", "report", str(round_id), "--json").output)
    assert [g["label"] for g in before["groups"]] == ["A", "B"]  # the larger first

    def letters() -> dict[int, str]:
        """Planted group -> the letter its members are told ("where do I stand?"), for a few of each."""
        told = {}
        for psid, key in participant_of.items():
            if planted.group_of[key] not in told and (placed := re.search(r"group ([A-Z]) ", TEXT(chat.say(psid, "where do I stand"))[0])):
                told[planted.group_of[key]] = placed[1]
        return told

    first = letters()
    # New people join with the views of the smaller group (the same seed plants the same stances), until it is
    # the larger: a map numbered by size would swap the letters; the people in each group keep theirs.
    more = planted_round(participants=100, groups=2, statements=12, consensus=2, seen=(8, 12), seed=5, shares=(0.0, 1.0))
    ids = statement_ids(chat, round_id)
    chat.webhook.send(*[simulator.quick_reply(f"9{key}", "x", f"OPINION:VOTE:{ids[sid - 1]}:{vote}")
                        for key, sid, vote in more.votes])
    after = json.loads(cli(chat, "opinions", "report", str(round_id), "--json").output)
    assert [g["label"] for g in after["groups"]] == ["B", "A"]  # B is now the larger
    assert letters() == first


def test_where_do_i_stand_before_enough_votes_asks_for_more(chat):
    assert "ยังไม่ได้ร่วมแสดงความเห็น" in TEXT(chat.say("7050", "ฉันอยู่กลุ่มไหน"))[0]
    round_id = small_round(chat, 9)
    chat.tap("7050", "x", f"OPINION:VOTE:{statement_ids(chat, round_id)[0]}:1")
    assert "ตอบอีก 6 ข้อ" in TEXT(chat.say("7050", "ฉันอยู่กลุ่มไหน"))[0]


def test_erasure_removes_the_person_from_votes_statements_and_maps(chat):
    planted = planted_round(participants=60, groups=2, statements=10, consensus=2, seen=(8, 10), seed=9)
    round_id = planted_open_round(chat, planted, "ทดสอบ | Test")
    participant_of = drive_planted_round(chat, planted, round_id)
    psid = next(iter(participant_of))
    chat.tap(psid, "✍️", f"OPINION:WRITE:{round_id}")
    summary = chat.say(psid, "ข้อเสนอของคนที่จะขอลบข้อมูลตัวเอง")[-1]
    chat.tap(psid, "✅", quick(summary)["✅ ส่งเลย"])
    cli(chat, "opinions", "report", str(round_id))
    key = chat.runtime.privacy.pseudonym(f"opinion:{round_id}", psid)
    votes_before = cli(chat, "opinions", "votes", str(round_id)).output
    assert key in votes_before
    with chat.db() as conn:
        assert conn.execute("SELECT count(*) FROM opinion_maps WHERE result LIKE ?", (f"%{key}%",)).fetchone()[0] == 1

    chat.say(psid, "ลบข้อมูล")
    assert "ลบข้อมูลของคุณเรียบร้อย" in TEXT(chat.tap(psid, "🗑️ ลบเลย", "DATA:DELETE:yes"))[0]
    votes_after = cli(chat, "opinions", "votes", str(round_id)).output
    assert key not in votes_after and len(votes_after.splitlines()) == len(votes_before.splitlines()) - 1  # their
    # statement's own vote went with it; every other vote still counts, under a key that names nobody
    with chat.db() as conn:
        for table in ("opinion_votes", "opinion_statements", "opinion_maps"):
            rows = conn.execute(f"SELECT * FROM {table}").fetchall()
            assert not any(key in str(v) or psid == str(v) for r in rows for v in tuple(r)), table
        assert conn.execute("SELECT count(*) FROM opinion_statements WHERE text_th LIKE '%ขอลบข้อมูล%'").fetchone()[0] == 0
    assert json.loads(cli(chat, "opinions", "report", str(round_id), "--json").output)["voters"] == 60


def test_through_the_signed_webhook_votes_become_a_map_on_the_job_queue_and_the_public_screen(bot):
    """End to end: real HTTP, signed webhook, the runner's job queue computing the map, the public screen."""
    import requests

    from conftest import eventually

    planted = planted_round(participants=40, groups=2, statements=10, consensus=2, seen=(8, 10), seed=2, drive_by=0)
    made = cli(bot, "opinions", "create", "--title", "ทดสอบ | Test", *[a for i in planted.statement_ids for a in
                                                                   ("--statement", f"ข้อความที่ปลูกไว้ {i} | Planted statement {i}")])
    round_id = int(made.output)
    assert requests.get(f"{bot.url}/live/opinions/{round_id}.json", timeout=10).status_code == 404  # a draft
    cli(bot, "opinions", "open", str(round_id))
    first = bot.say("8000", "ร่วมแสดงความเห็น")
    assert "ข้อ 1 จาก 10" in TEXT(first)[-1]
    ids = statement_ids(bot, round_id)
    events = [simulator.quick_reply(f"8{key}", "x", f"OPINION:VOTE:{ids[sid - 1]}:{vote}") for key, sid, vote in planted.votes]
    for start in range(0, len(events), 50):
        assert bot.webhook.post(simulator.page_body(events[start:start + 50])).status_code == 200
    bot.wait_idle(timeout=60)

    def public() -> dict | None:
        response = requests.get(f"{bot.url}/live/opinions/{round_id}.json", timeout=10)
        snap = response.json() if response.status_code == 200 else None
        return snap if snap and snap["status"] == "ready" and snap["counted"] == 40 else None

    snap = eventually(public, timeout=60, message="the job queue did not compute the map")
    assert {c["statement"] for c in snap["consensus"]} == {ids[0], ids[1]} and len(snap["groups"]) == 2
    page = requests.get(f"{bot.url}/live/opinions/{round_id}?overlay=1", timeout=10).text
    assert "ทุกกลุ่มเห็นตรงกันว่า" in page and "ข้อความที่ปลูกไว้ 1" in page and "transparent" in page
    assert "Every group agrees" in requests.get(f"{bot.url}/live/opinions/{round_id}?lang=en", timeout=10).text
    rows = requests.get(f"{bot.url}/live/opinions/{round_id}.csv", timeout=10).text.splitlines()
    assert rows[0].lstrip("\ufeff").startswith("kind,group,statement") and sum(r.startswith("consensus,") for r in rows) == 2
    standing = TEXT(bot.say(f"8{sorted(planted.group_of)[0]}", "ฉันอยู่กลุ่มไหน"))[0]
    assert re.search(r"คุณอยู่กลุ่ม [AB] \(\d+ คน\) จาก 2 กลุ่มความเห็น \(40 คน\)", standing)


def test_moderators_run_a_round_from_the_console_and_read_its_groups_in_plain_words(start_bot):
    from conftest import eventually
    from test_console import logged_in, post_form

    bot = start_bot(moderator_psids=frozenset({"8399"}))
    http = logged_in(bot)
    bot.tap("8301", "🔔 ทุกช่วง", "REMIND:ALL")  # asked to be told of everything
    made = post_form(bot, http, "/console/opinions", "/console/opinions", topic="4", title="", statements="")
    assert "ยังไม่เปิด" in made.text and "มาตรการควบคุมการระบาด ควรเป็นอย่างไร" in made.text
    round_id = int(re.search(r"/console/opinions/(\d+)/open", made.text)[1])
    opened = post_form(bot, http, f"/console/opinions/{round_id}", f"/console/opinions/{round_id}/open")
    assert "แจ้ง 1 คน / 1 told" in opened.text
    notice = eventually(lambda: [m for m in bot.graph.messages("8301") if "เปิดรอบร่วมแสดงความเห็นแล้ว" in TEXT([m])[0]])
    assert "มาตรการควบคุมการระบาด" in TEXT(notice)[0] and quick(notice[0]) == {"▶️ เริ่มตอบ": f"OPINION:ROUND:{round_id}"}
    assert "ข้อ 1 จาก 20" in TEXT(bot.say("8300", "ร่วมแสดงความเห็น"))[-1]
    bot.tap("8300", "✍️", f"OPINION:WRITE:{round_id}")
    summary = bot.say("8300", "ควรบังคับให้ทุกคนใส่หน้ากากเวลาออกนอกบ้าน")[-1]
    bot.tap("8300", "✅", quick(summary)["✅ ส่งเลย"])

    queue = http.get(f"{bot.url}/console/opinions").text
    statement_id = int(re.search(r'id="statement-(\d+)"', queue)[1])
    assert "ควรบังคับให้ทุกคนใส่หน้ากาก" in queue and "คล้ายกับ / close to" in queue and "การสวมหน้ากากในที่สาธารณะ" in queue
    approved = post_form(bot, http, "/console/opinions", f"/console/opinions/statements/{statement_id}/approve",
                         th="ควรบังคับให้ทุกคนใส่หน้ากากเวลาออกนอกบ้าน", en="Everyone should have to wear a mask outdoors.")
    assert "เผยแพร่แล้ว / approved" in approved.text
    eventually(lambda: any("ความเห็นของคุณเผยแพร่แล้ว" in t for t in TEXT(bot.graph.messages("8300"))),
               message="the author was not told")

    planted = planted_round(participants=40, groups=2, statements=21, consensus=3, seen=(10, 21), seed=2, drive_by=0)
    ids = statement_ids(bot, round_id)
    events = [simulator.quick_reply(f"8{key}", "x", f"OPINION:VOTE:{ids[sid - 1]}:{vote}") for key, sid, vote in planted.votes]
    for start in range(0, len(events), 50):
        bot.webhook.send(*events[start:start + 50])
    bot.wait_idle(timeout=60)
    post_form(bot, http, f"/console/opinions/{round_id}", f"/console/opinions/{round_id}/recompute")

    def mapped() -> str | None:
        page = http.get(f"{bot.url}/console/opinions/{round_id}").text
        return page if 'id="map"' in page and "· 40 คนตอบ 7 ข้อขึ้นไป" in page else None  # every vote in

    page = eventually(mapped, timeout=60, message="the job queue did not compute the map")
    assert page.count("<circle") == 40 and "กลุ่ม / Group A" in page and "กลุ่ม / Group B" in page
    assert "ทุกกลุ่มเห็นตรงกัน / What every group agrees on" in page and "ประชาชนควรรู้ล่วงหน้า" in page
    votes = http.get(f"{bot.url}/console/opinions/{round_id}/votes.csv")
    voters = [line.split(",")[0] for line in votes.text.splitlines()[1:]]
    assert votes.text.startswith("\ufeffvoter,statement,vote") and voters  # by one-way key, never the PSID
    assert all(v.startswith("p1:") for v in voters) and "8300" not in voters
    assert http.get(f"{bot.url}/console/opinions/{round_id}.json").json()["counted"] == 40
    report = TEXT(bot.say("8399", f"/round report {round_id}"))  # from Messenger too, through the signed webhook
    assert "กลุ่ม A:" in report[0] and "ทุกกลุ่มเห็นตรงกัน:" in report[0] and "…และอีก" in report[0]
    assert report[1].startswith(f"Opinion round #{round_id}") and "Group A:" in report[1]
    assert f"ปิดรอบ #{round_id}" in TEXT(bot.say("8399", f"/round close {round_id}"))[0]


def test_asking_in_other_words_opens_the_round_and_where_i_stand(chat):
    small_round(chat, 3)
    assert "ข้อ 1 จาก 3" in TEXT(chat.say("7060", "อยากมีส่วนร่วมออกความคิดเห็นเรื่องนี้ค่ะ"))[-1]
    assert "Statement 1 of 3" in TEXT(chat.say("7061", "I'd like to have my say on the proposals"))[-1]
    assert "ยังไม่ได้ร่วมแสดงความเห็น" in TEXT(chat.say("7062", "อยากรู้ว่าความเห็นเราเหมือนกลุ่มไหน"))[-1]


def test_the_agencies_report_lists_each_round_with_its_people_groups_and_consensus(chat, tmp_path):
    import openpyxl
    from test_reports import data_rows

    planted = planted_round(participants=40, groups=2, statements=10, consensus=2, seen=(8, 10), seed=2, drive_by=0)
    round_id = planted_open_round(chat, planted, "ทดสอบรายงาน | Report test")
    drive_planted_round(chat, planted, round_id)
    cli(chat, "opinions", "report", str(round_id))
    path = tmp_path / "report.xlsx"
    assert cli(chat, "report", "--format", "xlsx", "--output", str(path)).exit_code == 0
    [row] = data_rows(openpyxl.load_workbook(path)["ความเห็น Opinions"])
    assert row[:6] == (round_id, "ทดสอบรายงาน", "Report test", 40, 10, 2)
    assert sorted(row[6].split("\n")) == ["ข้อความที่ปลูกไว้ 1", "ข้อความที่ปลูกไว้ 2"]


def test_past_the_retention_a_closed_rounds_voters_keys_become_random_and_its_map_stays(chat):
    import time

    planted = planted_round(participants=40, groups=2, statements=10, consensus=2, seen=(8, 10), seed=2, drive_by=0)
    round_id = planted_open_round(chat, planted, "ทดสอบ | Test")
    drive_planted_round(chat, planted, round_id)
    chat.tap("800000", "✍️", f"OPINION:WRITE:{round_id}")  # a statement left waiting, its author kept until decided
    chat.tap("800000", "✅", quick(chat.say("800000", "ข้อเสนอที่ยังไม่มีใครตรวจเลย")[-1])["✅ ส่งเลย"])
    cli(chat, "opinions", "close", str(round_id))
    before = json.loads(cli(chat, "opinions", "report", str(round_id), "--json").output)
    time.sleep(0.01)
    assert cli(chat, "purge", "--days", "0").exit_code == 0
    with chat.db() as conn:
        keys = [r[0] for r in conn.execute("SELECT DISTINCT voter FROM opinion_votes")]
        assert len(keys) == 40 and all(k.startswith("x1:") for k in keys)
        assert conn.execute("SELECT count(*) FROM opinion_statements WHERE author_psid IS NOT NULL").fetchone()[0] == 0
    after = json.loads(cli(chat, "opinions", "report", str(round_id), "--json").output)
    assert [g["size"] for g in after["groups"]] == [g["size"] for g in before["groups"]]
    assert after["consensus"] == before["consensus"]


def test_rude_words_are_found_as_whole_words_in_thai_and_english_and_innocent_words_are_not():
    from bot.domain.rude_words import find_rude_words

    assert find_rude_words("รัฐบาลเหี้ยมาก") == ["เหี้ย"]
    assert find_rude_words("This policy is SHIIIT, f*** it, sh1t") == ["shiiit", "sh1t"]
    assert find_rude_words("ใส่หีบห่อให้ดี ตีนตุ๊กแกติดผนัง") == []  # "หีบ" is a box, "ตีนตุ๊กแก" a gecko's foot
    assert find_rude_words("Scunthorpe and Essex should get relief") == []


def test_a_round_without_groups_yet_says_why_in_words_not_a_code(chat):
    round_id = open_round(chat)
    ids = statement_ids(chat, round_id)
    chat.say("7901", "ร่วมแสดงความเห็น")
    chat.tap("7901", "👍 เห็นด้วย", f"OPINION:VOTE:{ids[0]}:1")
    text = cli(chat, "opinions", "report", str(round_id)).output
    assert "1 person took part" in text and "No groups yet: too few statements yet" in text
    assert "ยังจัดกลุ่มไม่ได้: ข้อความยังน้อยเกินไป" in text and "_" not in text.split("ยังจัดกลุ่มไม่ได้")[1]
