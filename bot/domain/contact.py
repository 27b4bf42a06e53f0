"""E-mail addresses and Thai mobile numbers, as people type them: validated and normalised."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_EMAIL = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}$")
_PHONE_JUNK = re.compile(r"[\s\-().]")
_THAI_MOBILE = re.compile(r"^0[689]\d{8}$")
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


@dataclass(frozen=True)
class Contact:
    kind: str  # email | phone
    value: str  # normalised: lower-case e-mail, or 10 digits starting with 0

    @property
    def display(self) -> str:
        if self.kind == "phone":
            return f"{self.value[:3]}-{self.value[3:6]}-{self.value[6:]}"
        return self.value


_EMAIL_INSIDE = re.compile(r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}", re.IGNORECASE)
_PHONE_INSIDE = re.compile(r"(?:\+?66|0)[\d\s\-().]{7,14}\d")


def parse_contact(text: str) -> Contact | None:
    """`Contact` for an e-mail address or a Thai mobile number (0[689]xxxxxxxx, +66 or 66 accepted), else None; also
    the one inside a sentence ("อีเมลผมคือ ploy@example.com ครับ", "081 234 5678 ค่ะ"): the first e-mail address,
    else the first number written as one."""
    text = unicodedata.normalize("NFKC", text).translate(THAI_DIGITS).strip()
    whole = _parse(text)
    if whole is not None:
        return whole
    inside = _EMAIL_INSIDE.findall(text) if "@" in text else _PHONE_INSIDE.findall(text)
    return _parse(inside[0]) if inside else None


def _parse(text: str) -> Contact | None:
    if "@" in text:
        email = text.lower().strip(".,;")
        return Contact("email", email) if _EMAIL.match(email) and ".." not in email else None
    digits = _PHONE_JUNK.sub("", text)
    if digits.startswith("+66"):
        digits = "0" + digits[3:]
    elif digits.startswith("66") and len(digits) == 11:
        digits = "0" + digits[2:]
    return Contact("phone", digits) if _THAI_MOBILE.match(digits) else None
