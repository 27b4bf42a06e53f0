"""The webhook contract with Facebook: handshake, signatures, limits, batches, redelivery."""
from __future__ import annotations

import json
import time

import requests

from bot.messenger import simulator
from bot.messenger.webhook import sign
from conftest import SECRET, VERIFY


def stored_events(bot) -> int:
    """Events kept anywhere: staged by the webhook or already in the inbox."""
    with bot.db() as conn:
        return conn.execute("SELECT count(*) FROM inbox").fetchone()[0] + bot.staged()


# -- handshake ---------------------------------------------------------------------------------------------
def test_handshake_answers_the_challenge_as_plain_text(bot):
    r = requests.get(f"{bot.url}/webhook", params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"})
    assert r.status_code == 200
    assert r.text == "1158201444"
    assert r.headers["Content-Type"].startswith("text/plain")


def test_handshake_with_a_wrong_token_or_mode_is_refused(bot):
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "x"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "x"},
        {},
    ):
        assert requests.get(f"{bot.url}/webhook", params=params).status_code == 403


# -- signatures ---------------------------------------------------------------------------------------------
def test_missing_or_wrong_signature_is_refused_and_nothing_is_stored(bot):
    body = simulator.page_body([simulator.text("111", "สวัสดี")])
    assert bot.webhook.post(body, signature=None).status_code == 403
    assert bot.webhook.post(body, signature="sha256=" + "0" * 64).status_code == 403
    assert bot.webhook.post(body, signature="sha1=abc").status_code == 403
    assert bot.webhook.post(body, signature="sha256=ünïcode").status_code == 403
    assert bot.webhook.post(body, signature=sign(simulator.encode(body), "another-app-secret")).status_code == 403
    assert stored_events(bot) == 0
    assert bot.graph.messages() == []


def test_signature_is_checked_over_the_raw_bytes_not_re_serialised_json(bot):
    """Facebook escapes Thai as \\uXXXX; a bot that re-serialises the JSON computes another signature."""
    body = simulator.page_body([simulator.text("222", "สวัสดีครับ")])
    as_facebook_sends = simulator.encode(body)  # ASCII with \\u escapes
    re_serialised = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert as_facebook_sends != re_serialised
    # Signed over the bytes actually sent: accepted.
    assert bot.webhook.post(as_facebook_sends).status_code == 200
    # Signed over a re-serialisation of the same JSON, sent as Facebook sends it: refused.
    forged = sign(re_serialised, SECRET)
    other = simulator.page_body([simulator.text("222", "สวัสดีครับ", mid="m_other")])
    assert bot.webhook.post(simulator.encode(other), signature=forged).status_code == 403


# -- limits and bad bodies ------------------------------------------------------------------------------------
def test_a_body_over_one_mebibyte_is_refused_with_413(bot):
    huge = simulator.page_body([simulator.text("333", "ก" * (1024 * 1024))])
    assert bot.webhook.post(huge).status_code == 413
    assert stored_events(bot) == 0


def test_bad_json_and_other_objects_get_400(bot):
    assert bot.webhook.post(b"{not json").status_code == 400
    assert bot.webhook.post(b"\xff\xfe").status_code == 400
    assert bot.webhook.post({"object": "instagram", "entry": []}).status_code == 400
    assert bot.webhook.post(b"[1, 2]").status_code == 400
    assert stored_events(bot) == 0


def test_malformed_events_inside_a_valid_batch_do_not_break_the_others(bot):
    body = {"object": "page", "entry": [
        "not an entry",
        {"id": simulator.PAGE_ID, "messaging": "not a list"},
        {"id": simulator.PAGE_ID, "messaging": [{"sender": "nobody", "timestamp": "soon"}, 42,
                                  simulator.text("444", "สวัสดี")]},
        {"id": simulator.PAGE_ID, "changes": [{"field": "feed"}]},
    ]}
    assert bot.webhook.post(body).status_code == 200
    answer = bot.answer("444", 0)
    assert "สวัสดีค่ะ" in simulator.texts_of(answer)[0]
    bot.wait_idle()
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM inbox WHERE status = 'failed'").fetchone()[0] == 0


# -- batches and redelivery -------------------------------------------------------------------------------
def test_every_event_of_every_entry_is_handled(bot):
    body = {"object": "page", "entry": [
        {"id": simulator.PAGE_ID, "time": 1, "messaging": [simulator.text("501", "hi"), simulator.text("502", "hi")]},
        {"id": simulator.PAGE_ID, "time": 2, "messaging": [simulator.text("503", "hi"), simulator.postback("504", "GET_STARTED")]},
    ]}
    started = time.time()
    assert bot.webhook.post(body).status_code == 200
    for psid in ("501", "502", "503", "504"):
        assert len(bot.graph.wait_for(1, psid)) == 1, psid
    assert time.time() - started < 10


def test_a_redelivered_event_is_stored_and_answered_once(bot):
    event = simulator.text("601", "สวัสดี", mid="m_redelivered")
    for _ in range(3):
        assert bot.webhook.post(simulator.page_body([event])).status_code == 200
    # The same event twice inside one batch, too.
    assert bot.webhook.post(simulator.page_body([event, event])).status_code == 200
    bot.wait_idle()
    time.sleep(0.3)
    assert len(bot.graph.messages("601")) == 1
    with bot.db() as conn:
        row = conn.execute("SELECT count(*), max(deliveries) FROM inbox WHERE psid = '601'").fetchone()
    assert tuple(row) == (1, 5)


def test_events_without_mid_are_deduplicated_by_sender_time_and_kind(bot):
    ref = simulator.referral("602", "register")
    again = dict(ref)
    assert bot.webhook.post(simulator.page_body([ref])).status_code == 200
    assert bot.webhook.post(simulator.page_body([again])).status_code == 200
    later = simulator.referral("602", "register")
    later["timestamp"] += 1000
    assert bot.webhook.post(simulator.page_body([later])).status_code == 200
    bot.wait_idle()
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM inbox WHERE psid = '602'").fetchone()[0] == 2


def test_echoes_deliveries_reads_and_unknown_kinds_are_kept_but_never_answered(bot):
    psid = "701"
    events = [
        {"sender": {"id": simulator.PAGE_ID}, "recipient": {"id": psid}, "timestamp": 1,
         "message": {"mid": "m_echo", "is_echo": True, "text": "hello from the page"}},
        {"sender": {"id": psid}, "recipient": {"id": simulator.PAGE_ID}, "timestamp": 2,
         "delivery": {"mids": ["m_x"], "watermark": 1}},
        {"sender": {"id": psid}, "recipient": {"id": simulator.PAGE_ID}, "timestamp": 3, "read": {"watermark": 1}},
        {"sender": {"id": psid}, "recipient": {"id": simulator.PAGE_ID}, "timestamp": 4,
         "reaction": {"mid": "m_x", "action": "react", "emoji": "❤"}},
        {"sender": {"id": psid}, "recipient": {"id": simulator.PAGE_ID}, "timestamp": 5, "brand_new_kind": {"x": 1}},
    ]
    assert bot.webhook.post(simulator.page_body(events)).status_code == 200
    bot.wait_idle()
    time.sleep(0.3)
    assert bot.graph.messages(psid) == []
    with bot.db() as conn:
        kinds = sorted(r[0] for r in conn.execute("SELECT kind FROM inbox WHERE psid = ?", (psid,)))
    assert kinds == ["delivery", "echo", "reaction", "read", "unknown"]


def test_feed_changes_are_stored_with_their_content(bot):
    change = {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "c1", "post_id": "p1",
                                        "message": "ลงทะเบียน", "from": {"id": "9001", "name": "Somchai"},
                                        "created_time": 1594958400}}
    body = simulator.page_body(changes=[change])
    assert bot.webhook.post(body).status_code == 200
    assert bot.webhook.post(body).status_code == 200  # redelivered as is
    bot.wait_idle()
    with bot.db() as conn:
        rows = conn.execute("SELECT kind, psid, event FROM inbox WHERE kind = 'comment'").fetchall()
    assert len(rows) == 1 and rows[0]["psid"] == "9001"
    assert json.loads(rows[0]["event"])["value"]["message"] == "ลงทะเบียน"


def test_the_acknowledgement_does_not_wait_for_facebook(bot):
    """Graph calls happen after the 200: a slow Facebook does not slow the webhook."""
    bot.graph.configure(latency=2.0)
    started = time.time()
    assert bot.webhook.post(simulator.page_body([simulator.text("801", "hi")])).status_code == 200
    assert time.time() - started < 1.0
    bot.graph.configure(latency=0.0)


# -- what a signed body contains never makes it a 5xx --------------------------------------------------------
def test_a_lone_surrogate_in_the_text_is_stored_replaced_and_answered(bot):
    """JSON allows "\\ud800" alone; UTF-8 (SQLite) cannot store it. The message is kept with U+FFFD instead."""
    raw = simulator.encode(simulator.page_body([simulator.text("901", "PLACEHOLDER")])).replace(
        b"PLACEHOLDER", b"\\u0e2a\\u0e27\\u0e31\\u0e2a\\u0e14\\u0e35 \\ud800")
    assert bot.webhook.post(raw).status_code == 200
    assert simulator.texts_of(bot.answer("901", 0))  # answered like any message
    with bot.db() as conn:
        row = conn.execute("SELECT status, event FROM inbox WHERE psid = '901'").fetchone()
    assert row["status"] == "done"
    assert json.loads(row["event"])["message"]["text"] == "สวัสดี \ufffd"
    # A sender id, a mid or a field name can carry one too.
    odd = b'{"object":"page","entry":[{"id":"' + simulator.PAGE_ID.encode() + b'","changes":[{"field":"f\\udc00",' \
          b'"value":{"from":{"id":"\\ud800"}}}],"messaging":[{"sender":{"id":"\\udbff"},"recipient":{"id":"1"},' \
          b'"timestamp":1,"message":{"mid":"m_\\ud800","text":"x"}}]}]}'
    assert bot.webhook.post(odd).status_code == 200
    bot.wait_idle()


def test_a_body_nested_thousands_deep_or_with_absurd_numbers_is_a_400_or_kept_never_a_500(bot):
    deep = b'{"object":"page","entry":' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert bot.webhook.post(deep).status_code == 400
    nested_event = b'{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"902"},"x":' + b"[" * 5000 \
        + b"]" * 5000 + b"}]}]}"
    assert bot.webhook.post(nested_event).status_code == 400
    huge_time = simulator.page_body([simulator.text("903", "สวัสดี", timestamp=10**400)])
    assert bot.webhook.post(huge_time).status_code == 200
    assert simulator.texts_of(bot.answer("903", 0))


# -- our Page, and only our Page -----------------------------------------------------------------------------
def test_an_entry_for_another_page_is_kept_for_the_record_and_never_answered(bot):
    ours = {"id": simulator.PAGE_ID, "time": 1, "messaging": [simulator.text("904", "สวัสดี")]}
    theirs = {"id": "100000000000777", "time": 1, "messaging": [simulator.text("905", "สวัสดี")]}
    assert bot.webhook.post({"object": "page", "entry": [ours, theirs]}).status_code == 200
    assert simulator.texts_of(bot.answer("904", 0))[0].startswith("สวัสดี")
    bot.wait_idle()
    time.sleep(0.5)
    assert bot.graph.messages("905") == []  # nothing went out through our Page's token
    with bot.db() as conn:
        row = conn.execute("SELECT status, error, page_id FROM inbox WHERE psid = '905'").fetchone()
        assert conn.execute("SELECT count(*) FROM users WHERE psid = '905'").fetchone()[0] == 0
    assert (row["status"], row["page_id"]) == ("ignored", "100000000000777")
    assert "another Page" in row["error"]


def test_the_pages_own_comment_gets_no_private_reply_and_counts_as_no_vote(bot):
    """A feed change whose `from` is the Page itself is the Page talking, in any feature: comments, votes."""
    poll = bot.app.test_cli_runner().invoke(args=["poll", "create", "--question", "ชอบไหม | Like it?", "--option", "ชอบ",
                                                  "--option", "ไม่ชอบ", "--video-id", "777"])
    poll_id = poll.stdout.strip()
    assert bot.app.test_cli_runner().invoke(args=["poll", "open", poll_id]).exit_code == 0
    by_the_page = [
        {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "c_page_1", "post_id": "p_1",
                                    "message": "ลงทะเบียนได้ในแชทเลยค่ะ", "from": {"id": simulator.PAGE_ID, "name": "Opengov"},
                                    "created_time": 1594958400}},
        {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "c_page_2", "video_id": "777",
                                    "post_id": f"{simulator.PAGE_ID}_777", "message": "1",
                                    "from": {"id": simulator.PAGE_ID, "name": "Opengov"}, "created_time": 1594958401}},
    ]
    assert bot.webhook.post(simulator.page_body(changes=by_the_page)).status_code == 200
    bot.wait_idle()
    time.sleep(0.5)
    assert bot.graph.messages("comment:c_page_1") == []
    results = bot.app.test_cli_runner().invoke(args=["poll", "results", poll_id, "--json"])
    assert json.loads(results.stdout)["total"] == 0
    with bot.db() as conn:
        statuses = {r[0] for r in conn.execute("SELECT status FROM inbox WHERE kind = 'comment'")}
    assert statuses == {"ignored"}
