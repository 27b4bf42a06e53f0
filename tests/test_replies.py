"""The reply model keeps every message inside Messenger's limits, whatever content organisers write."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messenger.fake_graph.rules import check_message as _check_message
from bot.messenger.replies import (Buttons, Card, Cards, PostbackButton, QuickReply, SenderAction, Text, UrlButton, fit,
    split_text, units)


def facebook_accepts(request: dict) -> bool:
    """The fake Graph API applies Facebook's own validation rules."""
    return _check_message({"recipient": {"id": "1"}, "messaging_type": "RESPONSE", **request}) is None


def test_long_text_is_split_at_paragraphs_and_keeps_every_word():
    paragraph = "การสร้างงาน สร้างอาชีพ เป็นหนึ่งในสี่หัวข้อของงาน " * 20
    text = "\n\n".join([paragraph.strip()] * 4)
    requests = Text(text).to_requests()
    assert len(requests) > 1
    chunks = [r["message"]["text"] for r in requests]
    assert all(units(c) <= 2000 for c in chunks)
    assert all(facebook_accepts(r) for r in requests)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    # Each chunk ends at a paragraph, so none ends mid-word.
    assert all(c.endswith("ของงาน") for c in chunks)


def test_text_without_any_break_is_cut_between_graphemes_not_inside_one():
    text = "กิ๊" * 1500  # consonant + vowel + tone mark: three code points, one grapheme
    chunks = split_text(text)
    assert all(units(c) <= 2000 for c in chunks)
    assert all(c.startswith("ก") and c.endswith("ิ๊") for c in chunks)
    assert "".join(chunks) == text


def test_emoji_count_twice_as_facebook_counts_them():
    assert units("👍") == 2
    chunks = split_text("👍" * 1500)
    assert all(units(c) <= 2000 for c in chunks)
    assert "".join(chunks) == "👍" * 1500


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("กขคงจ่้ิีึ๊ abc.!?\n👍🇹🇭")), min_size=1, max_size=6000))
def test_any_text_splits_into_valid_messages_without_losing_content(text):
    chunks = split_text(text, 500)
    assert all(1 <= units(c) <= 500 for c in chunks)
    squeeze = lambda s: "".join(s.split())
    assert squeeze("".join(chunks)) == squeeze(text)


def test_quick_replies_are_limited_to_13_and_titles_fitted_to_20():
    many = [QuickReply(f"ตัวเลือกที่ {i}", f"P{i}") for i in range(14)]
    with pytest.raises(ValueError):
        Text("เลือก", many).to_requests()
    request = Text("เลือก", [QuickReply("การเยียวยาผู้ได้รับผลกระทบจากมาตรการควบคุมโรค", "TOPIC:2")]).to_requests()[0]
    title = request["message"]["quick_replies"][0]["title"]
    assert units(title) <= 20 and title.endswith("…")
    assert facebook_accepts(request)


def test_quick_replies_go_on_the_last_message_of_a_split_text():
    requests = Text("ก " * 1500, [QuickReply("ใช่", "YES")]).to_requests()
    assert len(requests) == 2
    assert "quick_replies" not in requests[0]["message"]
    assert requests[1]["message"]["quick_replies"][0]["payload"] == "YES"


def test_buttons_are_one_to_three_and_long_button_text_goes_first_as_plain_text():
    with pytest.raises(ValueError):
        Buttons("x", [PostbackButton(str(i), str(i)) for i in range(4)]).to_requests()
    with pytest.raises(ValueError):
        Buttons("x", []).to_requests()
    requests = Buttons("ข้อความยาว " * 100, [UrlButton("ดูไลฟ์", "https://facebook.com/Opengovthailand")]).to_requests()
    assert len(requests) >= 2
    template = requests[-1]["message"]["attachment"]["payload"]
    assert units(template["text"]) <= 640
    assert all(facebook_accepts(r) for r in requests)


def test_a_generic_template_takes_one_to_ten_cards_with_fitted_titles():
    with pytest.raises(ValueError):
        Cards([Card(str(i)) for i in range(11)]).to_requests()
    card = Card("หัวข้อ " * 30, "รายละเอียด " * 30, buttons=[PostbackButton("เตือนฉัน / Remind me", "REMIND:s1")])
    request = Cards([card] * 10).to_requests()[0]
    element = request["message"]["attachment"]["payload"]["elements"][0]
    assert units(element["title"]) <= 80 and units(element["subtitle"]) <= 80
    assert facebook_accepts(request)


def test_sender_actions_go_alone_and_must_be_known():
    assert SenderAction("typing_on").to_requests() == [{"sender_action": "typing_on"}]
    with pytest.raises(ValueError):
        SenderAction("dance").to_requests()


def test_fit_never_separates_a_thai_vowel_from_its_consonant():
    original = "สวัสดีครับ ยินดีต้อนรับ"
    for limit in range(2, 12):
        cut = fit(original, limit)
        assert units(cut) <= limit and cut.endswith("…")
        kept = cut[:-1]
        assert original.startswith(kept)
        # What follows the kept part starts a new grapheme: it is not a vowel or tone mark left behind.
        assert unicodedata.category(original[len(kept)]) != "Mn"
