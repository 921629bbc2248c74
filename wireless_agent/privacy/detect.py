"""Leak detection by normalisation, written independently of the sanitiser's patterns.

The benchmark measures leakage with this module: it normalises the text (digits without
separators, numbers with k/m and thousands marks resolved, dates parsed, words lower-cased)
and looks for the profile's values there, so a 0 cannot come from the sanitiser and the
detector sharing the same blind spot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property

from wireless_agent.privacy.policy import Policy
from wireless_agent.privacy.profiles import PHONE_PLANS, Profile

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_SUFFIX = {
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "rd": "road",
    "ln": "lane",
    "wy": "way",
}
_MULT = {"k": 1e3, "thousand": 1e3, "grand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6}
_NUMBER = re.compile(
    r"(?<![\d])(\d{1,3}(?:[,.\s']\d{3})+|\d+)(?:[.,](\d{1,2}))?(?!\d)"
    r"(?:\s?(k|thousand|grand|mn|m|million)\b)?",
    re.IGNORECASE,
)
_DIGIT_RUN = re.compile(r"\d(?:[\s.\-/()]{0,3}\d)*")
_DECIMAL = re.compile(r"(-?\d{1,3})[.,](\d{3,})")
_TOKEN = re.compile(r"\[[a-z]+(?::[a-z_]+)?\]|\d+(?:[.,]\d+)?|[a-z]+")
_PLACEHOLDER = "\x00"


def _words(text: str) -> str:
    """Lower-cased alphanumeric words, street suffixes spelt out, padded with spaces."""
    toks = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    return " " + " ".join(_SUFFIX.get(t, t) for t in toks) + " "


class TextView:
    """Normalised views of one text, computed on demand."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def words(self) -> str:
        """Lower-cased words with street suffixes spelt out."""
        return _words(self.text)

    @cached_property
    def digit_runs(self) -> list[str]:
        """Digit runs with separators removed."""
        return [re.sub(r"\D", "", m.group(0)) for m in _DIGIT_RUN.finditer(self.text)]

    @cached_property
    def alnum(self) -> str:
        """Upper-cased letters and digits only (IBANs, codes)."""
        return re.sub(r"[^A-Z0-9]", "", self.text.upper())

    @cached_property
    def email_text(self) -> str:
        """Lower-cased text with ' at ' / ' dot ' spelt as symbols."""
        low = self.text.lower()
        low = re.sub(r"\s*(?:\[at\]|\(at\)|\bat\b|@)\s*", "@", low)
        return re.sub(r"\s*(?:\[dot\]|\(dot\)|\bdot\b)\s*", ".", low)

    @cached_property
    def numbers(self) -> list[float]:
        """Every number, with thousands marks, cents and k/m resolved."""
        out = []
        for m in _NUMBER.finditer(self.text):
            whole = float(re.sub(r"\D", "", m.group(1)))
            cents = float(f"0.{m.group(2)}") if m.group(2) else 0.0
            mult = _MULT.get((m.group(3) or "").lower(), 1.0)
            out.append((whole + cents) * mult)
        return out

    @cached_property
    def decimals(self) -> list[float]:
        """Decimals with at least three decimals (coordinates)."""
        return [float(f"{a}.{b}") for a, b in _DECIMAL.findall(self.text)]

    @cached_property
    def tokens(self) -> list[str]:
        """Word and number tokens; placeholders become one marker token."""
        # A placeholder ends a label's window: the labelled slot has already been emptied.
        return [
            _PLACEHOLDER if t.startswith("[") else t.replace(",", ".")
            for t in _TOKEN.findall(self.text.lower())
        ]

    @cached_property
    def dates(self) -> set[tuple[int, int, int]]:
        """Every calendar date written in the text, as (year, month, day)."""
        low = self.text.lower()
        out: set[tuple[int, int, int]] = set()
        for y, mo, d in re.findall(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)", low):
            out.add((int(y), int(mo), int(d)))
        for a, b, y in re.findall(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)", low):
            out.update({(int(y), int(b), int(a)), (int(y), int(a), int(b))})
        for d, mon, y in re.findall(
            r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\.?,?\s+(\d{4})", low
        ):
            if mon[:3] in _MONTHS:
                out.add((int(y), _MONTHS[mon[:3]], int(d)))
        for mon, d, y in re.findall(
            r"([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", low
        ):
            if mon[:3] in _MONTHS:
                out.add((int(y), _MONTHS[mon[:3]], int(d)))
        return out


def _nsn(e164: str) -> str:
    """National significant number of an E.164 phone number."""
    digits = e164.lstrip("+")
    for cc, _trunk, n, _lead in PHONE_PLANS:
        if digits.startswith(cc) and len(digits) == len(cc) + n:
            return digits[len(cc) :]
    return digits[-9:]


def _labelled(view: TextView, labels: list[str], value: str) -> bool:
    """Whether the value appears within four tokens after one of its labels."""
    toks = view.tokens
    target = value.lower().replace(",", ".")
    for label in labels:
        lab = [t for t in _TOKEN.findall(label.lower()) if not t.startswith("[")]
        n = len(lab)
        for i in range(len(toks) - n + 1):
            if toks[i : i + n] != lab:
                continue
            window = toks[i + n : i + n + 5]
            if _PLACEHOLDER in window:
                window = window[: window.index(_PLACEHOLDER)]
            if target in window:
                return True
    return False


class LeakDetector:
    """Finds which of a profile's field values occur in a text, in any common surface form."""

    def __init__(self, profile: Profile, policy: Policy) -> None:
        self.profile = profile
        self.policy = policy

    def found(self, text: str, fields: Iterable[str]) -> set[str]:
        """The given fields whose value occurs in the text."""
        view = TextView(text)
        return {f for f in fields if f in self.profile.values and self.field_in(view, f)}

    def field_in(self, view: TextView, name: str) -> bool:
        """Whether one field's value occurs in a text view."""
        value = self.profile.values[name]
        rule = self.policy.fields.get(name)
        fmt = rule.format if rule else "text"
        if fmt == "name":
            parts = _words(str(value)).split()
            return f" {parts[-1]} " in view.words
        if fmt == "digits":
            digits = re.sub(r"\D", "", str(value))
            return any(digits in run for run in view.digit_runs)
        if fmt == "phone":
            nsn = _nsn(str(value))
            return any(nsn in run for run in view.digit_runs)
        if fmt == "code":
            digits = re.sub(r"\D", "", str(value))
            return any(digits in run for run in view.digit_runs)
        if fmt == "email":
            return str(value).lower() in view.email_text.replace(" ", "")
        if fmt == "iban":
            return str(value).upper() in view.alnum
        if fmt == "address":
            line = _words(str(value).split(",")[0]).split()
            fwd = " " + " ".join(line) + " "
            back = " " + " ".join(line[1:] + line[:1]) + " "
            return fwd in view.words or back in view.words
        if fmt == "position":
            coords = [float(c) for c in str(value).split(",")]
            return any(abs(x - c) < 0.0006 for x in view.decimals for c in coords)
        if fmt == "date":
            y, m, d = (int(p) for p in str(value).split("-"))
            return (y, m, d) in view.dates
        if fmt == "money":
            return any(abs(x - float(value)) < 0.005 for x in view.numbers)
        if fmt == "transactions":
            amounts = [float(t["amount"]) for t in value]
            return any(abs(x - a) < 0.005 for x in view.numbers for a in amounts)
        if fmt == "short":
            labels = [*(rule.aliases if rule else ()), name.replace("_", " ")]
            return _labelled(view, labels, str(value))
        if fmt == "dict":
            for key, v in value.items():
                num = re.match(r"-?\d+(?:[.,]\d+)?", str(v))
                if _labelled(view, [key], num.group(0) if num else str(v)):
                    return True
            return False
        if fmt == "list":
            return any(_words(str(item)) in view.words for item in value)
        return _words(str(value)) in view.words
