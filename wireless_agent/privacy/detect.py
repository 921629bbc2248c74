"""Leak detection by normalisation, written independently of the sanitiser's patterns.

Both sides are brought to one token stream: unicode folded, lower-cased, separators
dropped, dates parsed to (y, m, d), digit runs joined, numbers resolved (62,000 = 62.000 =
$62k = sixty-two thousand = 62000). Every atom of every forbidden field (dict keys and
values, list items, record values, the parts and numbers of compound values) is looked for
in that stream, except where it sits inside a value the role may see. What it cannot see is
listed in `BLIND_SPOTS` and counted per run (`ambiguous` and `undetectable` pairs).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import phonenumbers

from wireless_agent.privacy.policy import Policy
from wireless_agent.privacy.profiles import Profile

BLIND_SPOTS = (
    "paraphrase and synonyms: 'about a decade' for 10, 'CAD' for coronary artery disease",
    "values that are empty (no allergies, []): nothing to look for; counted as undetectable",
    "an atom equal to an atom the role may see (ambiguous); counted, never scored as a leak",
    "short values of 'short' fields only within five words of one of their labels",
    "single words of a multi-word value ('kidney' of 'chronic kidney disease stage 2')",
    "numbers in words above the millions, ordinals ('fifteenth'), roman numerals",
    "other languages and transliterations",
)
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_UNITS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
     "eighteen", "nineteen"])}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
_SCALES = {"hundred": 100, "thousand": 1000, "grand": 1000, "k": 1000, "million": 10**6,
           "mn": 10**6, "m": 10**6}
_SUFFIX = {"st": "street", "str": "street", "ave": "avenue", "av": "avenue", "rd": "road",
           "ln": "lane", "wy": "way"}
_PLACEHOLDER = re.compile(r"\[(?:redacted(?::[^\]]*)?|email|iban|card|imsi|phone)\]")
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DATE_NUM = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_DATE_DMY = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\.?,?\s+(\d{4})")
_DATE_MDY = re.compile(r"\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_RUN = re.compile(r"\+?\d(?:[\s.\-()/]{0,3}\d){6,}")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_NUM = re.compile(
    r"(?<![\w.])[$€£]?\s?(\d{1,3}(?:[,.' ]\d{3})+|\d+)(?:[.,](\d+))?(?!\d)"
    r"(?:\s?(k|mn|m|thousand|grand|million)\b)?")
_WORD = re.compile(r"[a-z0-9]+|\x00")


_TYPO = str.maketrans("‐‑‒–—―’‘“”", "------''\"\"")


def fold(text: str) -> str:
    """Unicode-folded, accent-free, lower-cased text with typographic marks made plain."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
        text = text.translate(_TYPO)
    return text.casefold()


def _num_key(x: float) -> str:
    return "n:" + (f"{x:.4f}".rstrip("0").rstrip(".") or "0")


def words_to_numbers(tokens: list[str]) -> list[str]:
    """Spelled-out numbers ('sixty two thousand', 'twenty-five') as number tokens."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok not in _UNITS and tok not in _TENS and not (tok == "a" and i + 1 < len(tokens)
                                                           and tokens[i + 1] in _SCALES):
            out.append(tok)
            i += 1
            continue
        total, current, j, seen = 0, 0, i, False
        while j < len(tokens):
            t = tokens[j]
            if t in _UNITS:
                current += _UNITS[t]
            elif t in _TENS:
                current += _TENS[t]
            elif t == "a" and j + 1 < len(tokens) and tokens[j + 1] in _SCALES and not seen:
                current = 1
            elif t in _SCALES and seen and t not in ("k", "m", "mn"):
                scale = _SCALES[t]
                if scale == 100:
                    current *= 100
                else:
                    total += current * scale
                    current = 0
            elif t == "and" and seen and j + 1 < len(tokens) and (
                    tokens[j + 1] in _UNITS or tokens[j + 1] in _TENS):
                pass
            else:
                break
            seen = seen or t != "a"
            j += 1
        out.append(_num_key(total + current) if seen else tok)
        i = max(j, i + 1)
    return out


@dataclass
class Stream:
    """A text as tokens: words, numbers (n:), dates (d:), digit runs (r:), placeholders."""

    text: str
    tokens: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> Stream:
        """Normalise a text into its token stream."""
        low = fold(text)
        low = _PLACEHOLDER.sub(" \x00 ", low)
        stream = cls(text)
        slots: list[tuple[int, int, str]] = []
        covered = bytearray(len(low))

        def take(a: int, b: int, tok: str) -> None:
            if covered.find(1, a, b) < 0:
                slots.append((a, b, tok))
                covered[a:b] = b"\x01" * (b - a)

        def date_tok(y: int, m: int, d: int) -> str:
            return f"d:{y:04d}-{m:02d}-{d:02d}"

        for rx, order in ((_DATE_ISO, "ymd"), (_DATE_NUM, "dmy"), (_DATE_DMY, "dMy"),
                          (_DATE_MDY, "Mdy")):
            for m in rx.finditer(low):
                a, b, c = m.groups()
                if order == "ymd":
                    tok = date_tok(int(a), int(b), int(c))
                elif order == "dmy":  # ambiguous day/month: keep both readings
                    tok = date_tok(int(c), int(b), int(a)) + "|" + date_tok(int(c), int(a), int(b))
                elif order == "dMy":
                    if b[:3] not in _MONTHS:
                        continue
                    tok = date_tok(int(c), _MONTHS[b[:3]], int(a))
                else:
                    if a[:3] not in _MONTHS:
                        continue
                    tok = date_tok(int(c), _MONTHS[a[:3]], int(b))
                take(m.start(), m.end(), tok)
        for m in _EMAIL.finditer(low):
            stream.emails.append(m.group(0))
        low_at = re.sub(r"\s*(?:\[at\]|\(at\)|\bat\b)\s*", "@", low)
        low_at = re.sub(r"\s*(?:\[dot\]|\(dot\)|\bdot\b)\s*", ".", low_at)
        stream.emails += _EMAIL.findall(low_at)
        for m in _RUN.finditer(low):
            digits = re.sub(r"\D", "", m.group(0))
            if len(digits) >= 7 and covered.find(1, m.start(), m.end()) < 0:
                take(m.start(), m.end(), "r:" + digits)
                stream.runs.append(digits)
        for m in _NUM.finditer(low):
            take(m.start(), m.end(), _number_token(*m.groups()))
        slots.sort()
        pos = 0
        for start, end, tok in slots:
            stream.tokens += _plain(low[pos:start])
            stream.tokens.append(tok)
            pos = end
        stream.tokens += _plain(low[pos:])
        stream.tokens = words_to_numbers(stream.tokens)
        return stream

    @cached_property
    def index(self) -> dict[str, list[int]]:
        """Positions of each token (every reading of an ambiguous one); runs under 'r:'."""
        idx: dict[str, list[int]] = {}
        for i, tok in enumerate(self.tokens):
            if tok.startswith("r:"):
                idx.setdefault("r:", []).append(i)
            for alt in tok.split("|") if "|" in tok else (tok,):
                idx.setdefault(alt, []).append(i)
        return idx

    @cached_property
    def alnum(self) -> str:
        """Upper-cased letters and digits only (IBANs, codes)."""
        return re.sub(r"[^A-Z0-9]", "", fold(self.text).upper())

    @cached_property
    def decimals(self) -> list[float]:
        """Decimals with three or more decimals (coordinates), either decimal mark."""
        return [float(f"{a}.{b}") for a, b in re.findall(r"(-?\d{1,3})[.,](\d{3,})", self.text)]


def _number_token(whole: str, frac: str | None, mult: str | None) -> str:
    """A number token with every reading of an ambiguous mark: 1.500 is 1500 or 1.5."""
    scale = _SCALES.get(mult or "", 1)
    readings = [float(re.sub(r"\D", "", whole) + ("." + frac if frac else "")) * scale]
    groups = re.split(r"[,.' ]", whole)
    if len(groups) == 2 and not frac:
        if whole[len(groups[0])] in ".,":
            readings.append(float(f"{groups[0]}.{groups[1]}") * scale)
        elif whole[len(groups[0])] == " ":  # "28 100" may be two numbers
            readings += [float(groups[0]), float(groups[1])]
    return "|".join(dict.fromkeys(_num_key(x) for x in readings))


def _plain(text: str) -> list[str]:
    """Word tokens of text with no dates or numbers in it; street suffixes spelt out."""
    out = []
    for t in _WORD.findall(text):
        if t.isdigit():
            out.append(_num_key(float(t)))
        else:
            out.append(_SUFFIX.get(t, t))
    return out


# --- atoms of a value (this module's own reading, not the sanitiser's) --------------------

_SPLIT = re.compile(r"[/,;:()]|\band\b")


def value_atoms(value: object, keys: bool = True) -> list[tuple[str, ...]]:
    """Token sequences that would reveal the value: whole, parts, numbers, keys, items."""
    out: list[tuple[str, ...]] = []
    if isinstance(value, bool) or value is None:
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            if keys:
                out.append(tuple(Stream.of(str(k).replace("_", " ")).tokens))
            out += value_atoms(v)
        return [a for a in out if a]
    if isinstance(value, list):
        for item in value:
            # Keys of records in a list are a schema (date, amount), not data.
            out += value_atoms(item, keys=not isinstance(item, dict))
        return [a for a in out if a]
    if isinstance(value, int | float):
        return [(_num_key(float(value)),)]
    text = str(value)
    whole = tuple(Stream.of(text).tokens)
    out.append(whole)
    parts = [p for p in _SPLIT.split(text) if p.strip()]
    if len(parts) > 1:
        # A part of its own needs a word of 3+ letters or a number of 2+ digits ("dL" no).
        out += [tuple(Stream.of(p).tokens) for p in parts
                if re.search(r"[^\W\d_]{3,}|\d{2,}", p)]
    words = [t for t in whole if not t.startswith(("n:", "d:", "r:"))]
    # A single digit inside words names a kind ("type 2 diabetes"), not a quantity.
    out += [(t,) for t in whole if t.startswith(("d:", "r:")) or (
        t.startswith("n:") and (not words or not re.fullmatch(r"n:\d", t)))]
    return [a for a in dict.fromkeys(out) if a]


def _starts(stream: Stream, first: str) -> list[int]:
    """Positions where an atom starting with `first` may start."""
    idx = stream.index
    if "|" in first:
        out = sorted({i for alt in first.split("|") for i in idx.get(alt, ())})
    else:
        out = list(idx.get(first, ()))
    if first.startswith(("n:", "r:")) and len(first[2:].split(".")[0]) >= 7:
        out += idx.get("r:", [])
    return out


def find_atom(stream: Stream | list[str], atom: tuple[str, ...], masked: set[int]) -> bool:
    """Whether atom occurs in the stream at a place not inside an allowed value."""
    if isinstance(stream, list):
        stream = Stream("", stream)
    tokens, n = stream.tokens, len(atom)
    for i in _starts(stream, atom[0]):
        if i + n <= len(tokens) and all(_tok_eq(tokens[i + k], atom[k]) for k in range(n)) \
                and not any((i + k) in masked for k in range(n)):
            return True
    return False


def _tok_eq(tok: str, want: str) -> bool:
    if tok == want:
        return True
    if tok[:2] == want[:2] and tok[:2] in ("d:", "n:"):
        return bool(set(tok.split("|")) & set(want.split("|")))
    if tok.startswith("r:") and want.startswith(("r:", "n:")):
        digits = want[2:].split(".")[0]
        return len(digits) >= 7 and digits in tok[2:]
    return False


def _mask(stream: Stream, atom: tuple[str, ...]) -> set[int]:
    tokens, n = stream.tokens, len(atom)
    hits: set[int] = set()
    for i in _starts(stream, atom[0]):
        if i + n <= len(tokens) and all(_tok_eq(tokens[i + k], atom[k]) for k in range(n)):
            hits.update(range(i, i + n))
    return hits


class LeakDetector:
    """Finds which of a profile's fields occur in a text, in any common surface form."""

    def __init__(self, profile: Profile, policy: Policy) -> None:
        self.profile = profile
        self.policy = policy
        self._atoms: dict[str, list[tuple[str, ...]]] = {}

    def atoms(self, name: str) -> list[tuple[str, ...]]:
        """The detector's atoms of one field."""
        if name not in self._atoms:
            self._atoms[name] = self._field_atoms(name)
        return self._atoms[name]

    def _field_atoms(self, name: str) -> list[tuple[str, ...]]:
        value = self.profile.values[name]
        rule = self.policy.fields.get(name)
        fmt = rule.format if rule else "text"
        if fmt == "name":
            parts = Stream.of(str(value)).tokens
            return [tuple(parts), (parts[-1],)] if parts else []
        if fmt == "address":
            line = Stream.of(str(value).split(",")[0]).tokens
            return [tuple(line), tuple(line[1:] + line[:1])]
        if fmt == "short":
            return []  # looked for next to its labels only (see field_in)
        if fmt in ("phone", "email", "iban", "position", "digits", "code"):
            return []  # matched on their own views (see field_in)
        return value_atoms(value)

    def undetectable(self, name: str) -> bool:
        """Whether the field has nothing the detector could look for (an empty value)."""
        rule = self.policy.fields.get(name)
        if rule is not None and rule.format in ("short", "phone", "email", "iban", "position",
                                                "digits", "code"):
            return False
        return not self.atoms(name)

    def found(self, text: str, fields: Iterable[str], allowed: Iterable[str] = ()) -> set[str]:
        """The given fields whose value occurs in the text outside the allowed fields' values."""
        stream = Stream.of(text)
        masked: set[int] = set()
        allowed_atoms = {a for f in allowed if f in self.profile.values for a in self.atoms(f)}
        for atom in allowed_atoms:
            masked |= _mask(stream, atom)
        out = set()
        for f in fields:
            if f in self.profile.values and self.field_in(stream, f, masked, allowed_atoms):
                out.add(f)
        return out

    def present(self, text: str, fields: Iterable[str]) -> set[tuple[str, tuple[str, ...]]]:
        """(field, atom) pairs of the given fields that occur in the text (for over-redaction)."""
        stream = Stream.of(text)
        out = set()
        for f in fields:
            if f not in self.profile.values:
                continue
            atoms = self.atoms(f)
            if atoms:
                out |= {(f, a) for a in atoms if find_atom(stream, a, set())}
            elif self.field_in(stream, f):
                out.add((f, ("*",)))
        return out

    def ambiguous(self, name: str, allowed: Iterable[str]) -> bool:
        """Whether every atom of a forbidden field is also an atom of an allowed one."""
        mine = self.atoms(name)
        if not mine:
            return False
        theirs = {a for f in allowed if f in self.profile.values for a in self.atoms(f)}
        return all(a in theirs for a in mine)

    def field_in(self, stream: Stream, name: str, masked: set[int] = frozenset(),  # type: ignore[assignment]
                 allowed_atoms: set[tuple[str, ...]] = frozenset()) -> bool:  # type: ignore[assignment]
        """Whether one field's value occurs in a token stream."""
        value = self.profile.values[name]
        rule = self.policy.fields.get(name)
        fmt = rule.format if rule else "text"
        if fmt in ("digits", "code"):
            digits = re.sub(r"\D", "", str(value))
            return any(digits in r for r in stream.runs) or (len(digits) < 7 and find_atom(
                stream, (_num_key(float(digits)),), masked))
        if fmt == "phone":
            nsn = _nsn(str(value))
            return any(nsn in r for r in stream.runs)
        if fmt == "email":
            return str(value).lower() in {e.strip(".") for e in stream.emails}
        if fmt == "iban":
            return str(value).upper() in stream.alnum
        if fmt == "position":
            coords = [float(c) for c in str(value).split(",")]
            return any(abs(x - c) < 0.0006 for x in stream.decimals for c in coords)
        if fmt == "short":
            labels = [*(rule.aliases if rule else ()), name.replace("_", " ")]
            return _labelled(stream.tokens, labels, str(value))
        return any(a not in allowed_atoms and find_atom(stream, a, masked)
                   for a in self.atoms(name))


def _nsn(e164: str) -> str:
    """National significant number of an E.164 phone number."""
    try:
        return str(phonenumbers.parse(e164, None).national_number)
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", e164)[-9:]


def _labelled(tokens: list[str], labels: list[str], value: str) -> bool:
    """Whether the value appears within five tokens of one of its labels, before or after."""
    target = Stream.of(value).tokens
    if not target:
        return False
    for label in labels:
        lab = Stream.of(label).tokens
        n = len(lab)
        for i in range(len(tokens) - n + 1):
            if tokens[i : i + n] != lab:
                continue
            after = tokens[i + n : i + n + 6]
            before = tokens[max(0, i - 6) : i]
            if "\x00" in after:
                after = after[: after.index("\x00")]
            if "\x00" in before:
                before = before[before.index("\x00") + 1 :]
            for window in (after, before):
                if any(window[k : k + len(target)] == target for k in range(len(window))):
                    return True
    return False
