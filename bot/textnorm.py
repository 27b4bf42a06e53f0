"""What people type on a phone, made comparable: normalised text and word tokens, Thai first.

Steps, each for a reason seen in real chats:
- Unicode NFKC: full-width letters and digits from some keyboards become ordinary ones.
- Thai digits (๐-๙) become 0-9; case is folded.
- PyThaiNLP's `normalize`: vowel and tone marks typed in the wrong order, "เเ" typed for "แ".
- Stretched letters ("ไหนนนนน", "ค่าาาา", "hiiii"): any run of three or more becomes one.
- Dots of abbreviations go ("ก.พ.ร." = "กพร"); other punctuation and emoji become spaces.
- PyThaiNLP's `newmm` word segmentation (Thai has no spaces between words); English words stay whole.
- Polite particles (ครับ ค่ะ คะ จ้า นะ ...) carry no meaning for the question and are dropped.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import regex
import snowballstemmer
from pythainlp.tokenize import word_tokenize
from pythainlp.util import normalize as thai_normalize

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_STRETCH = regex.compile(r"(.)\1{2,}")
_NOT_WORD = regex.compile(r"[^\p{L}\p{M}\p{N}]+")
_ABBREVIATION_DOT = regex.compile(r"(?<=[\p{L}\p{M}])\.(?=[\p{L}\p{M}]|\s|$)")
_THAI = regex.compile(r"[\u0E00-\u0E7F]")
# Particles glued to the last word mislead segmentation ("ไหนคะ" -> "ไห" + "นคะ"), so they are cut off the end
# of each chunk first. Only particles that never end a real word: "นะ" is not here ("ชนะ" means win).
_TRAILING_PARTICLES = regex.compile(
    r"(?:ครับผม|ครับ|คร้าบ|คับ|ค่ะ|คะ|ค่า|คร่า|จ้า|จ้ะ|จ๊ะ|ฮะ|งับ|อ่ะ|เหรอ|หรอ|นะคะ|นะครับ|น้า)+$")
_LATIN = regex.compile(r"[A-Za-z]")
# How people open a question ("ขอถามหน่อยค่ะ ...", "อยากทราบว่า ...", "can you tell me ..."): it says nothing
# about what they ask, and only dilutes the words that do.
_LEAD_IN = regex.compile(
    r"^(?:(?:ขอ|รบกวน)?(?:ถาม|สอบถาม)(?:หน่อย|นิดนึง|นิดหนึ่ง)?|อยาก(?:ทราบ|รู้|ถาม)(?:ว่า)?|ขอทราบ(?:ว่า)?|"
    r"(?:i )?(?:want|would like|wanna) to know|(?:can|could) you (?:tell me|let me know)|tell me|do you know|"
    r"quick question)(?:ครับผม|ครับ|คับ|ค่ะ|คะ|ค่า|จ้า|นะคะ|นะครับ)?\s*")

# English function words: in a short question they carry no topic, and unknown to the FAQ they would only
# make a real question look out of scope. Question words (what, when, who, how, where) stay.
ENGLISH_FUNCTION_WORDS = frozenset("""
a an the is are am was were be been being do does did i you we they he she it its this that these those to of
in on for at by with and or me my our your us there here can could would should will shall may might must
just please so if s t
u r ur tho
""".split())

PARTICLES = frozenset("""
ครับ ครับผม คับ ค่ะ คะ ค่า คร่า จ้า จ้ะ จ๊ะ จ๋า นะ นะคะ นะครับ น้า น่ะ ฮะ ฮับ งับ อ่ะ อะ เหรอ หรอ เนี่ย
นั่น ล่ะ ละ สิ ซิ จิ จ๊ะ แอดมิน แอด admin ad bot บอท please pls plz hi hello
""".split())


def clean(text: str) -> str:
    """Normalised text (still with spaces), before segmentation."""
    text = unicodedata.normalize("NFKC", text).translate(THAI_DIGITS).lower()
    text = thai_normalize(text)
    text = _STRETCH.sub(r"\1", text)
    text = _ABBREVIATION_DOT.sub("", text)  # "ก.พ.ร." and "ชม." are written with or without dots
    return " ".join(_NOT_WORD.sub(" ", text).split())


def plain(text: str) -> str:
    """`clean` text without how the question opens ("ขอถามหน่อยค่ะ", "can you tell me"): what it asks, as a
    sentence (the understanding step embeds this)."""
    text = clean(text)
    for _ in range(3):  # "ขอถามหน่อยค่ะ อยากทราบว่า ..." opens twice
        rest = _LEAD_IN.sub("", text, count=1)
        if not rest or rest == text:
            break
        text = rest
    return text


_ENGLISH_WORD = regex.compile(r"[a-z]+")
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=4096)
def surface_tokens(text: str) -> tuple[str, ...]:
    """Word tokens of `text` as written (normalised), without particles; cached, as the same questions come again
    and again."""
    words = []
    text = plain(text)
    chunks = " ".join(_TRAILING_PARTICLES.sub("", chunk) for chunk in text.split())
    for token in word_tokenize(chunks, engine="newmm", keep_whitespace=False):
        token = token.strip()
        if token and token not in PARTICLES and token not in ENGLISH_FUNCTION_WORDS:
            words.append(token)
    return tuple(words)


def stem(token: str) -> str:
    """An English word's stem (Snowball): "streamed" finds "stream", "retirees" "retire"; other words unchanged."""
    return _STEMMER.stemWord(token) if _ENGLISH_WORD.fullmatch(token) else token


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[str, ...]:
    """`surface_tokens` with English words reduced to their stem."""
    return tuple(stem(token) for token in surface_tokens(text))


def language_of(text: str) -> str | None:
    """'th' when the text has Thai letters, 'en' when it has Latin letters only, else None (emoji, digits)."""
    if _THAI.search(text):
        return "th"
    if _LATIN.search(text):
        return "en"
    return None


# What carries no language: links, e-mail addresses, @mentions and hashtags' marks, numbers, emoji, punctuation.
# Matched a whitespace-separated token at a time, anchored: an unanchored `\S+@\S+` backtracks over every start
# position, quadratic in a long unspaced message (150,000 Thai letters took minutes, holding the write lock).
_LINK = regex.compile(r"(?:https?://|www\.)\S*|[a-z0-9.-]+\.(?:com|org|net|th|io|me|ly)(?:/\S*)?", regex.IGNORECASE)


def _carries_no_language(token: str) -> bool:
    if _LINK.fullmatch(token):
        return True
    local, at, domain = token.partition("@")
    return bool(at and local and "." in domain.strip("."))
_ENGLISH_LETTERS = regex.compile(r"[A-Za-z]{2,}")


def message_language(text: str) -> str | None:
    """The language a message is written in, for the reply: 'th' when it has Thai words (mixed Thai and English
    is Thai), 'en' when it has English words, None when it has no words at all (a link, an e-mail address,
    emoji, numbers, one stray letter): such a message is answered in the person's own language.

    The rule (issue 14, from the field): a message in English is answered in English even when the person's
    Facebook locale is Thai; a message without words never switches the language."""
    rest = " ".join(token for token in text.split() if not _carries_no_language(token))
    if _THAI.search(rest):
        return "th"
    if _ENGLISH_LETTERS.search(rest):
        return "en"
    return None
