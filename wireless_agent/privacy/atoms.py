"""Regex sources for every atom of a value: nested keys and values, parts, numbers in all forms.

A value reveals itself through its parts as much as through its whole: the keys of a record
(`{"osteoporosis": ...}`), each side of `135/85`, the number in `210 mg/dL`, each record of
a list of trades. Each atom is written in the forms people use: any case and separators for
phrases; digits with thousands marks, k/m, and words (num2words) for numbers; ISO, numeric
and month-name forms for dates.
"""

from __future__ import annotations

import re
from datetime import date

from num2words import num2words

from wireless_agent.privacy.patterns import date_pattern, money_pattern, words_pattern

_SPLIT = re.compile(r"[/,;:()]|\band\b")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)?(?![\w])")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_IN = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")
# A number stands alone: not glued to letters (L4), other digits, or a decimal mark.
_NUM_L = r"(?<![\w.,])(?<![\d][.,])"
_NUM_R = r"(?![.,]?\d)(?!\w)"


def spelled(n: int) -> str:
    """A whole number in English words, separator- and 'and'-insensitive."""
    words = re.findall(r"[a-z]+", num2words(n).replace("-", " "))
    words = [w for w in words if w != "and"]
    return r"(?<![^\W_])" + r"(?:[\s\-]+(?:and[\s\-]+)?)".join(words) + r"(?![^\W_])"


def number_source(x: float) -> str:
    """A number in digits (any thousands mark, either decimal mark), k/m, or words."""
    if abs(x) >= 1000:
        alts = [money_pattern(float(abs(x)))]
        if float(x).is_integer() and abs(x) < 10**7:
            alts.append(spelled(int(abs(x))))
        return "(?:" + "|".join(alts) + ")"
    if float(x).is_integer():
        n = int(x)
        alts = [_NUM_L + rf"{abs(n)}(?:[.,]0+)?" + _NUM_R]
        if n >= 0:
            alts.append(spelled(n))
        return "(?:" + "|".join(alts) + ")"
    whole, frac = f"{abs(x):.6f}".rstrip("0").split(".")
    lead = rf"(?:{whole})?" if whole == "0" else whole
    return _NUM_L + rf"{lead}[.,]{frac}" + _NUM_R


def date_source(iso: str) -> str:
    """A calendar date in any common written form."""
    return date_pattern(iso)


def phrase_source(text: str) -> str | None:
    """A phrase, case and separator insensitive; None if it has no letter or digit."""
    if not re.search(r"[^\W_]", text):
        return None
    return words_pattern(text)


def _telling(part: str) -> bool:
    """A part worth an atom of its own: a word of 3+ letters or a number of 2+ digits."""
    return bool(re.search(r"[^\W\d_]{3,}|\d{2,}", part))


def atom_sources(value: object, keys: bool = True) -> list[tuple[str, str]]:
    """(kind, regex source) of every atom of a value, most specific first."""
    out: list[tuple[str, str]] = []
    if isinstance(value, bool) or value is None:
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            if keys and (src := phrase_source(str(k).replace("_", " "))):
                out.append(("phrase", src))
            out += atom_sources(v)
    elif isinstance(value, list):
        for item in value:
            # Keys of records in a list are a schema (date, amount), not data.
            out += atom_sources(item, keys=not isinstance(item, dict))
    elif isinstance(value, int | float):
        out.append(("number", number_source(float(value))))
    else:
        text = str(value).strip()
        if _ISO.match(text):
            try:
                date.fromisoformat(text)
                return [("date", date_source(text))]
            except ValueError:
                pass
        if src := phrase_source(text):
            out.append(("phrase", src))
        for iso in _ISO_IN.findall(text):
            out.append(("date", date_source(iso)))
        bare = _ISO_IN.sub(" ", text)
        parts = [p.strip() for p in _SPLIT.split(bare) if p.strip()]
        if len(parts) > 1 or bare != text:
            out += [("phrase", s) for p in parts if _telling(p) and (s := phrase_source(p))]
        wordy = bool(re.search(r"[^\W\d_]", bare))
        for m in _NUMBER.finditer(bare):
            if wordy and re.fullmatch(r"-?\d", m.group(0)):
                continue  # a single digit inside words names a kind ("type 2"), no quantity
            out.append(("number", number_source(float(m.group(0).replace(",", ".")))))
    seen: dict[str, str] = {}
    for kind, src in out:
        seen.setdefault(src, kind)
    return [(k, s) for s, k in seen.items()]


# At one position the whole value must win over its parts: dates, then phrases (longest
# first), then bare numbers.
KIND_RANK = {"format": 0, "date": 1, "phrase": 2, "number": 3}
