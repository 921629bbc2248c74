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

from wireless_agent.privacy.patterns import MONTHS, date_pattern, money_pattern, words_pattern

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


_TOKEN = re.compile(r"[^\W_]+")
_ORD = {1: "st", 2: "nd", 3: "rd"}


def first_tokens(text: str) -> set[str]:
    """The lower-cased first token of a text: where its matches start."""
    toks = _TOKEN.findall(text.lower())
    return {toks[0]} if toks else set()


def number_keys(x: float) -> set[str]:
    """First tokens of a number's written forms (62000, 62,000, $62k, sixty-two thousand)."""
    ax = abs(x)
    keys: set[str] = set()
    whole = str(int(ax))
    keys.add(whole)
    if ax >= 1000:
        keys |= {str(int(ax) // 1000), f"{int(ax) // 1000}k", whole[: len(whole) % 3 or 3]}
    if ax >= 10**6:
        keys |= {str(int(ax) // 10**6), f"{int(ax) // 10**6}m"}
    if not float(ax).is_integer():
        keys.add(f"{ax:.6f}".rstrip("0").split(".")[1])  # ".5" starts at its decimals
    if float(ax).is_integer() and ax < 10**7:
        keys |= first_tokens(num2words(int(ax)))
    return keys


def date_keys(iso: str) -> set[str]:
    """First tokens of a date's written forms (ISO, d/m/y, m/d/y, month names)."""
    d = date.fromisoformat(iso)
    name = MONTHS[d.month - 1]
    day = str(d.day)
    return {str(d.year), day, f"{d.day:02d}", str(d.month), f"{d.month:02d}", name,
            name[:3], day + _ORD.get(d.day % 10 if d.day not in (11, 12, 13) else 0, "th")}


def atom_sources(value: object, keys: bool = True) -> list[tuple[str, str, frozenset[str]]]:
    """(kind, regex source, first tokens) of every atom of a value."""
    out: list[tuple[str, str, frozenset[str]]] = []
    if isinstance(value, bool) or value is None:
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            key = str(k).replace("_", " ")
            if keys and (src := phrase_source(key)):
                out.append(("phrase", src, frozenset(first_tokens(key))))
            out += atom_sources(v)
    elif isinstance(value, list):
        for item in value:
            # Keys of records in a list are a schema (date, amount), not data.
            out += atom_sources(item, keys=not isinstance(item, dict))
    elif isinstance(value, int | float):
        out.append(("number", number_source(float(value)), frozenset(number_keys(value))))
    else:
        text = str(value).strip()
        if _ISO.match(text):
            try:
                date.fromisoformat(text)
                return [("date", date_source(text), frozenset(date_keys(text)))]
            except ValueError:
                pass
        if src := phrase_source(text):
            out.append(("phrase", src, frozenset(first_tokens(text))))
        for iso in _ISO_IN.findall(text):
            out.append(("date", date_source(iso), frozenset(date_keys(iso))))
        bare = _ISO_IN.sub(" ", text)
        parts = [p.strip() for p in _SPLIT.split(bare) if p.strip()]
        if len(parts) > 1 or bare != text:
            out += [("phrase", s, frozenset(first_tokens(p)))
                    for p in parts if _telling(p) and (s := phrase_source(p))]
        wordy = bool(re.search(r"[^\W\d_]", bare))
        for m in _NUMBER.finditer(bare):
            if wordy and re.fullmatch(r"-?\d", m.group(0)):
                continue  # a single digit inside words names a kind ("type 2"), no quantity
            x = float(m.group(0).replace(",", "."))
            out.append(("number", number_source(x), frozenset(number_keys(x))))
    seen: dict[str, tuple[str, str, frozenset[str]]] = {}
    for entry in out:
        seen.setdefault(entry[1], entry)
    return list(seen.values())


# At one position the whole value must win over its parts: dates, then phrases (longest
# first), then bare numbers.
KIND_RANK = {"format": 0, "date": 1, "phrase": 2, "number": 3}
