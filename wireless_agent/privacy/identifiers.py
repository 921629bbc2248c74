"""Identifiers of anyone (e-mail, IBAN, card, IMSI, phone), found by checksum and numbering plan.

Candidates come from cheap regular expressions; a candidate counts only if a maintained
validator accepts it: `python-stdnum` (IBAN mod-97 and country formats, Luhn, IMSI with a
known MCC) and `phonenumbers` (Google's libphonenumber metadata, every country). Presidio
would do the same with more machinery: its analyzer depends on spaCy and loads a spaCy
model at start-up, which would have to be downloaded, and this project downloads nothing at
run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from stdnum import iban as std_iban
from stdnum import imsi as std_imsi
from stdnum import luhn as std_luhn

EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
IBAN = re.compile(r"(?i)\b[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]{4}){2,7}(?:[ \-]?[A-Z0-9]{1,3})?\b")
# A run of 7 to 19 digits with the separators people write between groups.
DIGIT_RUN = re.compile(r"(?<![\w.,/+\-])(?:\+|\(\+?)?\d(?:[\s.\-()/]{0,2}\d){6,18}(?!\w)")
# Dates and coordinates look like digit runs but are never identifiers.
DATE_LIKE = re.compile(
    r"(?<!\d)(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})(?!\d)"
)
DECIMAL = re.compile(r"(?<![\d.])-?\d{1,3}\.\d{4,}(?!\d)")
_SEVEN = re.compile(r"\d(?:\D{0,3}\d){6}")
# Regions tried for numbers written without a country code ("0151 2345 6789").
HOME_REGIONS = ("US", "GB", "DE", "FR", "IT", "ES", "NL", "SE", "PL", "IN", "BR", "JP", "CN")


@dataclass(frozen=True)
class Identifier:
    """One identifier found in a text."""

    kind: str  # EMAIL, IBAN, CARD, IMSI, PHONE
    start: int
    end: int


def iban_valid(text: str) -> bool:
    """ISO 13616 check (mod 97 and the country's BBAN format) of an IBAN candidate."""
    return bool(std_iban.is_valid(text))


def card_valid(digits: str) -> bool:
    """A payment card number: 13 to 19 digits passing Luhn."""
    return 13 <= len(digits) <= 19 and bool(std_luhn.is_valid(digits))


def imsi_valid(digits: str) -> bool:
    """An IMSI: 14 or 15 digits starting with a known mobile country code."""
    return len(digits) in (14, 15) and bool(std_imsi.is_valid(digits))


def phone_parse(
    text: str, regions: tuple[str, ...] = HOME_REGIONS
) -> phonenumbers.PhoneNumber | None:
    """The phone number a text spells, if libphonenumber calls it valid in some region."""
    stripped = text.strip()
    tries: tuple[str | None, ...] = (None,) if stripped.startswith(("+", "(+")) else regions
    for region in tries:
        try:
            number = phonenumbers.parse(stripped, region)
        except phonenumbers.NumberParseException:
            continue
        # Written with its country code, a number of a possible length is a phone number even
        # in a range not allocated yet (fictional and new ranges): redact rather than leak.
        if phonenumbers.is_valid_number(number) or (
                region is None and phonenumbers.is_possible_number(number)):
            return number
    return None


def classify_digits(text: str) -> str | None:
    """CARD, IMSI or PHONE for a digit run, or None if no validator accepts it."""
    digits = re.sub(r"\D", "", text)
    international = text.lstrip("(").startswith("+") or digits.startswith("00")
    if not international:
        if card_valid(digits) and digits[0] in "3456":
            return "CARD"
        if imsi_valid(digits):
            return "IMSI"
        if card_valid(digits):
            return "CARD"
    if phone_parse(text) is not None:
        return "PHONE"
    if international and phone_parse("+" + digits[2:]) is not None:
        return "PHONE"  # 0049 151 ...: 00 is the international prefix in most plans
    return None


def find_identifiers(text: str) -> list[Identifier]:
    """Every e-mail, IBAN, card, IMSI and phone number in a text, in order of position."""
    found: list[Identifier] = []
    taken: list[tuple[int, int]] = []
    if "@" not in text and not _SEVEN.search(text):
        return found  # no identifier has fewer than seven digits

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in EMAIL.finditer(text):
        found.append(Identifier("EMAIL", m.start(), m.end()))
        taken.append(m.span())
    for m in IBAN.finditer(text):
        if free(*m.span()) and iban_valid(m.group(0)):
            found.append(Identifier("IBAN", m.start(), m.end()))
            taken.append(m.span())
    taken += [m.span() for m in DATE_LIKE.finditer(text)]
    taken += [m.span() for m in DECIMAL.finditer(text)]
    for m in DIGIT_RUN.finditer(text):
        if not free(*m.span()):
            continue
        kind = classify_digits(m.group(0))
        if kind:
            found.append(Identifier(kind, m.start(), m.end()))
    return sorted(found, key=lambda i: i.start)
