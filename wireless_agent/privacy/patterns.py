"""Regular expressions for the surface forms of one field value, and for generic identifiers."""

from __future__ import annotations

import re
from datetime import date

import phonenumbers

from wireless_agent.privacy.profiles import Value

SEP = r"[\s.\-/()]{0,2}"  # between digits: 4111 1111, 0151-2345, (020) 7946, 48.137
WORD_SEP = r"[\W_]+"  # between words: spaces, hyphens, apostrophes, underscores
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
STREET_ABBREV = {
    "street": r"(?:street|str|st)\.?",
    "avenue": r"(?:avenue|ave|av)\.?",
    "road": r"(?:road|rd)\.?",
    "lane": r"(?:lane|ln)\.?",
    "way": r"(?:way|wy)\.?",
}
# Words a short value may follow after its label: "CQI dropped to 7", "credit score is 712".
LABEL_GAP = r"(?:[^\w\n]{1,5}[\w']+){0,4}?[^\w\n]{1,5}"


def digits_pattern(digits: str) -> str:
    """A digit string with any common separators between its digits."""
    return r"(?<!\d)" + SEP.join(digits) + r"(?!\d)"


def words_pattern(text: str) -> str:
    """A phrase, case and separator insensitive, on word boundaries."""
    words = [re.escape(w) for w in re.findall(r"[^\W_]+", text)]
    if not words:
        return re.escape(text)
    return r"(?<![^\W_])" + WORD_SEP.join(words) + r"(?![^\W_])"


def name_pattern(full: str) -> str:
    """A person's name: full, 'Last, First', 'F. Last' and the surname alone."""
    parts = full.split()
    first, last = parts[0], parts[-1]
    alts = [
        words_pattern(full),
        words_pattern(f"{last} {first}"),
        re.escape(first[0]) + r"\.?\s*" + words_pattern(last),
        words_pattern(last),
    ]
    return "(?:" + "|".join(alts) + ")"


def phone_pattern(e164: str) -> str:
    """A phone number of any country, with or without its country code, trunk prefix or spaces."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return digits_pattern(re.sub(r"\D", "", e164)[-10:])
    cc = str(number.country_code)
    nsn = phonenumbers.national_significant_number(number)
    meta = phonenumbers.PhoneMetadata.metadata_for_region(
        phonenumbers.region_code_for_number(number) or "")
    trunk = meta.national_prefix if meta is not None else None
    trunk_alt = f"|{trunk}{SEP}" if trunk else (rf"|1{SEP}" if cc == "1" else "")
    prefix = rf"(?:(?:\+|00){SEP}{cc}{SEP}(?:\(0\){SEP})?{trunk_alt})?"
    return r"(?<![\d+])" + prefix + SEP.join(nsn) + r"(?!\d)"


def code_pattern(code: str) -> str:
    """An alphanumeric code (MRN-4839201, K123456789), also by its digits alone."""
    head = re.match(r"[A-Za-z]*", code).group(0)  # type: ignore[union-attr]
    digits = re.sub(r"\D", "", code)
    sep_head = rf"{re.escape(head)}[\s\-:#]{{0,3}}" if head else ""
    return rf"(?<![^\W_])(?:{sep_head})?" + SEP.join(digits) + r"(?!\d)"


def iban_pattern(iban: str) -> str:
    """An IBAN in any grouping of spaces or dashes."""
    return r"(?<![^\W_])" + r"[\s\-]?".join(re.escape(c) for c in iban) + r"(?![^\W_])"


def email_pattern(address: str) -> str:
    """An e-mail address, also written with ' at ' and ' dot '."""
    local, _, domain = address.partition("@")
    at = r"(?:\s*@\s*|\s*[\[(]at[\])]\s*|\s+at\s+)"
    dot = r"(?:\.|\s*[\[(]dot[\])]\s*|\s+dot\s+)"
    host = dot.join(re.escape(p) for p in domain.split("."))
    return dot.join(re.escape(p) for p in local.split(".")) + at + host


def address_pattern(address: str) -> str:
    """A postal address: the full address or its street line, numbers before or after."""
    street_line, _, rest = address.partition(",")
    words = street_line.split()
    number, name, suffix = words[0], words[1:-1], words[-1].lower()
    name_re = WORD_SEP.join(re.escape(w) for w in name)
    suffix_re = STREET_ABBREV.get(suffix, re.escape(suffix))
    num = rf"(?<!\d){re.escape(number)}(?!\d)"
    street = f"{name_re}{WORD_SEP}{suffix_re}"
    line = rf"(?:{num}{WORD_SEP}{street}|{street}{WORD_SEP}{num})"
    tail = WORD_SEP.join(re.escape(w) for w in rest.split())
    return rf"(?:{line}(?:[,\s]+{tail})?)" if tail else line


def money_pattern(amount: float) -> str:
    """An amount of money: 62000, 62,000, 62.000, 62 000, $62k, 62.5k, 1.25m, 1,249.99."""
    cents = round(amount * 100) % 100
    whole = int(round(amount * 100) // 100)
    groups = f"{whole:,}".split(",")
    grouped = r"[,.\s']?".join(groups)
    alts = []
    if cents % 10:
        alts.append(rf"{grouped}[.,]{cents:02d}")
    elif cents:
        alts.append(rf"{grouped}[.,]{cents // 10}0?")
    else:
        alts.append(rf"{grouped}(?:[.,]00)?")
        if whole >= 1000 and whole % 100 == 0:
            k = f"{whole / 1000:.1f}".rstrip("0").rstrip(".").replace(".", "[.,]")
            alts.append(rf"{k}(?:[.,]0+)?\s?(?:k|thousand|grand)\b")
        if whole >= 1_000_000 and whole % 10_000 == 0:
            m = f"{whole / 1e6:.2f}".rstrip("0").rstrip(".").replace(".", "[.,]")
            alts.append(rf"{m}(?:0+)?\s?(?:m|mn|million)\b")
    return r"(?<![\d.,])(?:[$€£]\s?)?(?:" + "|".join(alts) + r")(?![\d])"


def date_pattern(iso: str) -> str:
    """A calendar date: ISO, day-first and month-first numerals, and with month names."""
    d = date.fromisoformat(iso)
    day = rf"0?{d.day}" if d.day < 10 else str(d.day)
    mon = rf"0?{d.month}" if d.month < 10 else str(d.month)
    name = MONTHS[d.month - 1]
    month_name = rf"(?:{name}|{name[:3]}\.?)"
    ordinal = rf"{day}(?:st|nd|rd|th)?"
    alts = [
        rf"{d.year}[-/.]{mon}[-/.]{day}",
        rf"{day}[-/.]{mon}[-/.]{d.year}",
        rf"{mon}[-/.]{day}[-/.]{d.year}",
        rf"{ordinal}(?:\s+of)?\s+{month_name},?\s+{d.year}",
        rf"{month_name}\s+{ordinal},?\s+{d.year}",
    ]
    return r"(?<!\d)(?:" + "|".join(alts) + r")(?!\d)"


def coordinate_pattern(position: str) -> str:
    """Any decimal with at least three decimals whose integer part matches a coordinate."""
    ints = sorted({p.strip().split(".")[0].lstrip("-") for p in position.split(",")})
    return r"(?<![\d.,])-?(?:" + "|".join(map(re.escape, ints)) + r")[.,]\d{3,}(?!\d)"


def coordinates(position: str) -> list[float]:
    """The numbers of a 'lat, lon' position."""
    return [float(p) for p in position.split(",")]


def near_coordinate(text: str, targets: list[float]) -> bool:
    """Whether a matched decimal is within about 50 m of one of the coordinates."""
    x = float(text.replace(",", "."))
    return any(abs(abs(x) - abs(t)) < 0.0006 and (x < 0) == (t < 0) for t in targets)


def labelled_pattern(labels: list[str], value: str) -> str:
    """A short value next to its label, either side ('CQI 7', '712 credit score'); group v."""
    label_re = "|".join(words_pattern(lbl) for lbl in sorted(labels, key=len, reverse=True))
    val = words_pattern(value) if value[:1].isalpha() else rf"(?<![\d.]){re.escape(value)}(?!\d)"
    return (rf"(?:(?:{label_re}){LABEL_GAP}(?P<v>{val})"
            rf"|(?P<w>{val}){LABEL_GAP}(?:{label_re}))")


def coarsen_position(position: str, decimals: int = 2) -> str:
    """A position rounded to about a kilometre, for remote models."""
    return ", ".join(f"{c:.{decimals}f}" for c in coordinates(position))


def value_pattern(fmt: str, value: Value, labels: list[str]) -> list[str]:
    """Regex sources for every surface form of a value; list items and dict values each."""
    if fmt in ("number", "records"):
        return []  # matched atom by atom (atoms.py)
    if fmt == "list":
        return [words_pattern(str(v)) for v in value if str(v).strip()]
    if fmt == "dict":
        return []  # keys and values atom by atom: a key ("osteoporosis") is data too
    if fmt == "transactions":
        out = [money_pattern(float(tx["amount"])) for tx in value]
        return out + sorted({words_pattern(str(tx["payee"])) for tx in value})
    if fmt == "short":
        return [labelled_pattern(labels, str(value))]
    builders = {
        "name": name_pattern,
        "digits": lambda v: digits_pattern(re.sub(r"\D", "", v)),
        "phone": phone_pattern,
        "email": email_pattern,
        "iban": iban_pattern,
        "code": code_pattern,
        "address": address_pattern,
        "date": date_pattern,
        "position": coordinate_pattern,
        "money": lambda v: money_pattern(float(v)),
        "text": words_pattern,
    }
    return [builders[fmt](value if fmt == "money" else str(value))]
