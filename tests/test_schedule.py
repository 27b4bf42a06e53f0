"""The schedule: agenda content, days and carousels in the chat, now and next, the calendar feed."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from icalendar import Calendar

from bot.messenger import simulator
from bot.domain.agenda import Agenda, span
from bot.content import ContentError
from conftest import ROOT, texts

BANGKOK = ZoneInfo("Asia/Bangkok")


def cards_of(message):
    return message["body"]["message"]["attachment"]["payload"]["elements"]


def agenda_file(directory, sessions, note=True) -> None:
    lines = ['note.th = "เวลาเป็นตัวอย่าง"', 'note.en = "Times are an example"'] if note else []
    for s in sessions:
        lines += ["[[session]]", f'id = "{s["id"]}"', f'title = {{ th = "{s["th"]}", en = "{s["en"]}" }}',
                  'description = { th = "รายละเอียด", en = "Details" }', f'start = "{s["start"]}"', f'end = "{s["end"]}"',
                  f'topic = "{s.get("topic", "all")}"']
        if s.get("live"):
            lines.append(f'live = "{s["live"]}"')
    (directory / "agenda.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def live_content(tmp_path):
    """The real content with an agenda around the present moment (a session on now, one next)."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    now = datetime.now(BANGKOK).replace(second=0, microsecond=0)
    fmt = "%Y-%m-%dT%H:%M"
    agenda_file(content, [
        {"id": "earlier", "th": "ช่วงเช้า", "en": "Morning", "start": (now - timedelta(hours=3)).strftime(fmt),
         "end": (now - timedelta(hours=2)).strftime(fmt)},
        {"id": "live-now", "th": "กำลังไลฟ์", "en": "Live now", "start": (now - timedelta(minutes=10)).strftime(fmt),
         "end": (now + timedelta(minutes=50)).strftime(fmt), "live": "https://www.facebook.com/Opengovthailand/live"},
        {"id": "coming-up", "th": "ช่วงถัดไป", "en": "Coming up", "start": (now + timedelta(hours=1)).strftime(fmt),
         "end": (now + timedelta(hours=2)).strftime(fmt), "topic": "3"},
    ])
    return content


# -- content ---------------------------------------------------------------------------------------------------
def test_the_demo_agenda_spans_the_real_days_and_says_its_times_are_an_example():
    agenda = Agenda.load(ROOT / "content", BANGKOK)
    assert [d.isoformat() for d in agenda.days] == ["2020-07-17", "2020-07-18", "2020-07-19", "2020-07-25"]
    assert "ตัวอย่าง" in agenda.note["th"] and "example" in agenda.note["en"]
    assert all(s.start.tzinfo is not None for s in agenda.sessions)


@pytest.mark.parametrize("session,reason", [
    ({"id": "x", "th": "ก", "en": "a", "start": "2020-07-17T14:00", "end": "2020-07-17T13:00"}, "end must be after start"),
    ({"id": "x", "th": "ก", "en": "a", "start": "2020-07-17T13:00", "end": "2020-07-17T14:00", "topic": "9"}, "topic must be"),
    ({"id": "x", "th": "ก", "en": "a", "start": "17/7/2020", "end": "2020-07-17T14:00"}, "ISO 8601"),
])
def test_a_broken_agenda_names_the_file_the_session_and_the_reason(tmp_path, session, reason):
    agenda_file(tmp_path, [session])
    with pytest.raises(ContentError) as caught:
        Agenda.load(tmp_path, BANGKOK)
    assert "agenda.toml" in str(caught.value) and "'x'" in str(caught.value) and reason in str(caught.value)


def test_duplicate_session_ids_are_refused(tmp_path):
    same = {"id": "x", "th": "ก", "en": "a", "start": "2020-07-17T13:00", "end": "2020-07-17T14:00"}
    agenda_file(tmp_path, [same, same])
    with pytest.raises(ContentError, match="duplicate id"):
        Agenda.load(tmp_path, BANGKOK)


def test_times_without_an_offset_are_in_the_configured_zone_and_read_naturally():
    agenda = Agenda.load(ROOT / "content", BANGKOK)
    opening = agenda.get("opening")
    assert opening.start.utcoffset() == timedelta(hours=7)
    assert span(opening, "th") == "17 ก.ค. 2563 เวลา 13:00–14:00 น."
    assert span(opening, "en") == "17 Jul 2020, 13:00–14:00"


# -- in the chat ------------------------------------------------------------------------------------------------
def test_the_schedule_offers_the_days_and_a_day_shows_its_sessions_as_cards(chat):
    answer = chat.say("8001", "ตารางงาน")
    assert "ตัวอย่าง" in texts(answer)[0]
    days = {q["title"]: q["payload"] for q in simulator.quick_replies_of(answer[-1])}
    assert list(days)[:4] == ["ศ 17 ก.ค.", "ส 18 ก.ค.", "อา 19 ก.ค.", "ส 25 ก.ค."]
    answer = chat.tap("8001", "ส 25 ก.ค.", days["ส 25 ก.ค."])
    cards = cards_of(answer[-1])
    assert [c["title"] for c in cards] == ["นำเสนอผลงานต่อผู้บริหารภาครัฐ", "ประกาศ 12 ทีมที่ผ่านการพิจารณา"]
    assert cards[0]["subtitle"].startswith("25 ก.ค. 2563 เวลา 13:00–16:00 น.")
    buttons = {b["title"]: b.get("url") or b.get("payload") for b in cards[0]["buttons"]}
    assert "🔔 เตือนฉัน" not in buttons and "จบแล้ว" in cards[0]["subtitle"]  # July 2020 is over: nothing to remind
    assert buttons["📺 ดูไลฟ์"].startswith("https://www.facebook.com/Opengovthailand")
    assert buttons["📅 ลงปฏิทิน"].endswith("/agenda/final-pitch.ics")


def test_english_readers_get_english_times(chat):
    chat.say("8002", "English")
    answer = chat.tap("8002", "Fri 17 Jul", "SCHEDULE:DAY:2020-07-17")
    assert cards_of(answer[-1])[0]["subtitle"].startswith("17 Jul 2020, 13:00–14:00")


def test_a_day_with_more_than_ten_sessions_continues_with_more(start_chat, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    agenda_file(content, [{"id": f"s{i:02d}", "th": f"ช่วง {i}", "en": f"Session {i}",
                           "start": f"2020-07-18T{8 + i // 2:02d}:{30 * (i % 2):02d}",
                           "end": f"2020-07-18T{8 + i // 2:02d}:{30 * (i % 2) + 29:02d}"} for i in range(12)])
    chat = start_chat(content_dir=content)
    answer = chat.tap("8003", "day", "SCHEDULE:DAY:2020-07-18")
    assert len(cards_of(answer[-1])) == 10
    more = next(q for q in simulator.quick_replies_of(answer[-1]) if q["payload"].endswith(":10"))
    answer = chat.tap("8003", more["title"], more["payload"])
    assert [c["title"] for c in cards_of(answer[-1])] == ["ช่วง 10", "ช่วง 11"]


def test_now_and_next_answer_from_the_current_time(start_chat, live_content):
    chat = start_chat(content_dir=live_content)
    answer = chat.say("8004", "ตอนนี้มีอะไร")
    assert texts(answer)[0] == "กำลังจัดอยู่ตอนนี้ 👇"
    assert [c["title"] for c in cards_of(answer[-1])] == ["กำลังไลฟ์"]
    answer = chat.say("8004", "ต่อไป")
    assert [c["title"] for c in cards_of(answer[-1])] == ["ช่วงถัดไป"]
    answer = chat.say("8004", "next")  # asked in English: answered in English, whatever the profile's locale
    assert [c["title"] for c in cards_of(answer[-1])] == ["Coming up"]


def test_after_the_event_next_says_when_it_was(chat):
    assert "17–19 และ 25 กรกฎาคม 2563" in texts(chat.say("8005", "ต่อไป"))[0]


# -- the calendar feed ----------------------------------------------------------------------------------------
def test_the_calendar_feed_parses_back_with_stable_uids_and_time_zones(bot):
    first = requests.get(f"{bot.url}/agenda.ics")
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(first.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 9
    uids = [str(e["UID"]) for e in events]
    assert "opening@opengov-event-bot" in uids
    assert [str(e["UID"]) for e in Calendar.from_ical(requests.get(f"{bot.url}/agenda.ics").content).walk("VEVENT")] == uids
    opening = next(e for e in events if str(e["UID"]) == "opening@opengov-event-bot")
    assert opening.decoded("DTSTART") == datetime(2020, 7, 17, 13, 0, tzinfo=BANGKOK)
    assert opening["DTSTART"].params["TZID"] == "Asia/Bangkok"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Asia/Bangkok"
    assert "เปิดงาน" in str(opening["SUMMARY"]) and "Opening" in str(opening["SUMMARY"])
    one = Calendar.from_ical(requests.get(f"{bot.url}/agenda/results.ics").content).walk("VEVENT")
    assert [str(e["UID"]) for e in one] == ["results@opengov-event-bot"]
    assert requests.get(f"{bot.url}/agenda/nothing-here.ics").status_code == 404


def test_flask_agenda_prints_it(chat):
    out = chat.app.test_cli_runner().invoke(args=["agenda"]).output
    assert "13:00-14:00  opening" in out and "Sat 25 Jul" in out and "example" in out


def titles_shown(answer) -> list[str]:
    return [c["title"] for m in answer if "attachment" in m["body"]["message"] for c in cards_of(m)]


def test_a_day_named_in_words_opens_that_days_sessions(chat):
    """Field report (issue 14): "วันที่ 19 มีอะไรบ้างคะ" and "what's on the 25th" were declined; the schedule asked
    for with a day named showed the days to pick from instead of that day."""
    answer = chat.say("8010", "วันที่ 19 มีอะไรบ้างคะ")
    assert texts(answer)[0] == "📅 กำหนดการ อา 19 ก.ค. 👇"
    assert titles_shown(answer) == ["พัฒนาไอเดีย: การเรียนการสอนยุค New Normal", "พัฒนาไอเดีย: มาตรการควบคุมการระบาด"]
    answer = chat.say("8011", "what's on the 25th")
    assert texts(answer)[0] == "📅 The sessions on Sat 25 Jul 👇"
    assert titles_shown(answer) == ["Final pitches to government executives", "The 12 selected teams"]
    assert titles_shown(chat.say("8012", "ขอตารางงานวันศุกร์หน่อยค่ะ"))[0] == "เปิดงาน MY BETTER COUNTRY HACKATHON #4"
    assert titles_shown(chat.say("8013", "schedule for july 18 please")) == [
        "Building ideas: jobs and livelihoods", "Building ideas: relief for those affected"]


def test_a_day_the_agenda_does_not_have_or_two_days_offer_the_days(chat):
    answer = chat.say("8014", "ขอตารางงานวันเสาร์หน่อยค่ะ")  # two Saturdays (18 and 25 July): which one?
    assert not titles_shown(answer)
    assert "ส 18 ก.ค." in [q["title"] for q in simulator.quick_replies_of(answer[-1])]
    assert not titles_shown(chat.say("8015", "วันที่ 20 มีอะไรบ้างคะ"))  # no session that day: no cards of another


def test_what_is_on_at_the_moment_asked_in_other_words_answers_from_the_clock(chat):
    """Field report (issue 14): "what are they talking about at the moment" was declined."""
    assert texts(chat.say("8016", "what are they talking about at the moment"))[0].startswith(
        ("Nothing is on right now", "On right now"))
    assert texts(chat.say("8017", "ตอนนี้เขาคุยเรื่องอะไรกันอยู่คะ"))[0].startswith(("ตอนนี้ไม่มี", "กำลังจัดอยู่ตอนนี้"))
