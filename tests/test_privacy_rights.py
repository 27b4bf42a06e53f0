"""A person's rights over their data, as they notice them: after "delete my data" the bot never writes to them
again (no broadcast, reminder or poll opening) until they write again; "my data" shows everything kept."""
from __future__ import annotations

import time

from bot.domain import broadcasts
from bot.domain.segments import Segment
from conftest import texts
from test_privacy import cli, rows_holding
from test_registration import fill_in

PSID = "7771000000000001"
OTHER = "7771000000000002"


def test_an_erased_person_is_in_no_audience_and_their_psid_is_nowhere(chat):
    chat.say(OTHER, "สวัสดี")
    chat.say(PSID, "สวัสดี")
    chat.tap(PSID, "🔔", "REMIND:ALL")
    chat.tap(PSID, "🔔", "REMIND:POLLS")
    fill_in(chat, PSID)
    chat.tap(PSID, "✅ ยืนยัน", "REG:CONFIRM")
    chat.say(PSID, "ลบข้อมูล")
    erased_at = time.time()
    assert "ลบข้อมูลของคุณเรียบร้อย" in texts(chat.tap(PSID, "🗑️ ลบเลย", "DATA:DELETE:yes"))[0]  # still delivered

    # Only the confirmation just sent holds the PSID: no users row (first_seen, last_seen, window, language).
    places = {(table, column) for table, column, row in rows_holding(chat.settings.database_path, PSID)
              if not (table == "outbox" and row["created_at"] >= erased_at - 1)}
    assert places == set()

    before = len(chat.graph.messages(PSID))
    with chat.runtime.store.write() as conn:
        broadcast = broadcasts.create(conn, text_th="ประกาศ: เริ่มไลฟ์แล้ว", segment=Segment.parse("everyone"),
                                      created_by="test")
        broadcasts.schedule(conn, broadcast)
    while broadcasts.fan_out_chunk(chat.runtime.store, broadcast):
        pass
    poll = cli(chat, "poll", "create", "--question", "ชอบไหม", "--option", "ชอบ", "--option", "ไม่ชอบ").output
    cli(chat, "poll", "open", poll.strip().splitlines()[-1])
    chat.settle()
    assert any("เริ่มไลฟ์แล้ว" in t for t in texts(chat.graph.messages(OTHER)))  # the broadcast went out
    assert chat.graph.messages(PSID)[before:] == []  # neither it nor the poll reached the erased person

    # Writing again, they are a new person: greeted as one, in a new row.
    assert texts(chat.say(PSID, "สวัสดี"))[0].startswith("สวัสดีค่ะ")
    with chat.db() as conn:
        assert conn.execute("SELECT first_seen FROM users WHERE psid = ?", (PSID,)).fetchone()[0] >= erased_at - 1
