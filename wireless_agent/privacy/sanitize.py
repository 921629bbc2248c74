"""Text sanitisation: every atom of every forbidden value, then identifiers of anyone, in one pass.

Matches are found on the original text and replaced once, so a placeholder is never matched
again (placeholders already in the text are masked first: a second pass changes nothing).
Spans of values the role may see are protected: a forbidden match inside one is kept.

Each surface form is a small regex indexed by the tokens its matches can start with, and only
the forms indexed under a text's tokens are tried there: one big alternation would try every
form at every word of every text, which costs milliseconds per text in Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from wireless_agent.privacy import patterns as P
from wireless_agent.privacy.atoms import KIND_RANK, atom_sources, date_keys, number_keys
from wireless_agent.privacy.identifiers import DATE_LIKE, find_identifiers
from wireless_agent.privacy.policy import Policy
from wireless_agent.privacy.profiles import Profile, Value

# Formats whose own patterns know the value's forms; the others are matched atom by atom.
_OWN_FORMS = frozenset({"name", "digits", "phone", "email", "iban", "code", "address",
                        "position", "date", "money", "short"})
# Formats whose written forms may start with any digit group or a country code.
_DIGIT_START = frozenset({"phone", "iban", "digits", "code", "position"})
PLACEHOLDER = re.compile(r"\[(?:REDACTED(?::[\w.\-]+)?|EMAIL|IBAN|CARD|IMSI|PHONE)\]")
_MASK = re.compile("[\ue000-\uf8ff]")
_TOKEN = re.compile(r"[^\W_]+")
_LEAD = "$€£+(-"  # a form may start just before its first token: $62k, +49, (0151, -48.1
DIGIT_KEY, IBAN_KEY = "#digit", "#iban"
_LEAD_DIGITS = re.compile(r"\d+")
_IBAN_HEAD = re.compile(r"[a-z]{2}\d\d")


def placeholder(field: str) -> str:
    """Placeholder of a profile field's value."""
    return f"[REDACTED:{field}]"


@dataclass(frozen=True)
class Form:
    """One compiled surface form of one field."""

    field: str
    kind: str  # format, phrase, number, date
    rank: int
    regex: re.Pattern[str]


def _format_keys(value: Value, fmt: str, labels: list[str]) -> set[str]:
    """Tokens a format pattern's match may start with (a superset is fine, a miss is not)."""
    keys: set[str] = set()

    def walk(v: object) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                keys.update(_TOKEN.findall(str(k).lower()))
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, int | float) and not isinstance(v, bool):
            keys.update(number_keys(float(v)))
        elif v is not None:
            text = str(v)
            toks = _TOKEN.findall(text.lower())
            keys.update(toks)
            keys.update(t[0] for t in toks)  # initials: "A. Johnson"
            for num in re.findall(r"\d+(?:[.,]\d+)?", text):
                keys.update(number_keys(float(num.replace(",", "."))))
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                keys.update(date_keys(text))

    walk(value)
    for label in labels:
        keys.update(_TOKEN.findall(label.lower())[:1])
    if fmt in _DIGIT_START:
        keys |= {DIGIT_KEY, IBAN_KEY, "lat"}
    if fmt == "money":
        keys.update(number_keys(float(value)))
    return keys


class ValuePatterns:
    """Compiled surface forms of one profile, indexed by the tokens they start with."""

    def __init__(self, profile: Profile, policy: Policy) -> None:
        self.profile = profile
        self.formats: dict[str, str] = {}
        self.index: dict[str, list[Form]] = {}
        for name, value in profile.values.items():
            rule = policy.fields.get(name)
            fmt = rule.format if rule else "text"
            labels = [*(rule.aliases if rule else ()), name.replace("_", " ")]
            self.formats[name] = fmt
            fkeys = _format_keys(value, fmt, labels)
            entries: list[tuple[str, str, frozenset[str] | set[str]]] = [
                ("format", s, fkeys) for s in P.value_pattern(fmt, value, labels)]
            if fmt not in _OWN_FORMS:
                entries += atom_sources(value)
            for kind, src, keys in entries:
                form = Form(name, kind, KIND_RANK[kind], re.compile(src, re.IGNORECASE))
                for key in keys:
                    self.index.setdefault(key, []).append(form)
        self._coords = {
            n: P.coordinates(str(v))
            for n, v in profile.values.items()
            if self.formats.get(n) == "position"
        }

    def near(self, field: str, text: str) -> bool:
        """Whether a matched decimal really is one of a position field's coordinates."""
        return P.near_coordinate(text, self._coords.get(field, []))

    def matches(self, text: str, fields: Mapping[str, str] | frozenset[str] | set[str],
                prefer: frozenset[str] = frozenset()
                ) -> list[tuple[int, int, Form, re.Match[str]]]:
        """Non-overlapping matches of the fields' forms, longest at each position, in order.

        Between equally long matches a field in `prefer` wins, then the more specific kind.
        """
        out: list[tuple[int, int, Form, re.Match[str]]] = []
        end = 0
        index = self.index
        digit_forms = index.get(DIGIT_KEY, ())
        iban_forms = index.get(IBAN_KEY, ())
        for tok in _TOKEN.finditer(text):
            start = tok.start()
            if start < end:
                continue
            word = tok.group(0).lower()
            cands = index.get(word, ())
            if word[0].isdigit():
                lead = _LEAD_DIGITS.match(word).group(0)  # type: ignore[union-attr]
                if lead != word:
                    cands = [*cands, *index.get(lead, ())]
                if digit_forms:
                    cands = [*cands, *digit_forms]
            elif iban_forms and _IBAN_HEAD.match(word):
                cands = [*cands, *iban_forms]
            if not cands:
                continue
            starts = [start]
            if start > 0 and text[start - 1] in _LEAD:
                starts.append(start - 1)
                if start > 1 and text[start - 2] in _LEAD:
                    starts.append(start - 2)
            best = None
            for form in cands:
                if form.field not in fields:
                    continue
                for a in starts:
                    m = form.regex.match(text, a)
                    if m is None or m.end() <= start:
                        continue
                    if form.kind == "format" and self.formats.get(form.field) == "position" \
                            and not self.near(form.field, m.group(0)):
                        continue
                    score = (m.end() - m.start(), form.field in prefer, -form.rank)
                    if best is None or score > best[0]:
                        best = (score, m, form)
            if best is not None:
                _, m, form = best
                out.append((m.start(), m.end(), form, m))
                end = m.end()
        return out


def _inside(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= a and b <= e for s, e in spans)


def _overlap(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < e and b > s for s, e in spans)


SEP = "\x1f"  # joins the texts of one batch; no match may cross it


def sanitize_many(
    texts: list[str],
    patterns: ValuePatterns | None,
    forbidden: Mapping[str, str],
    allowed: frozenset[str],
    wheres: list[str],
    removed: list[dict[str, str]],
    *,
    identifiers: bool = True,
) -> list[str]:
    """Sanitise several texts for one role in one pass (fixed costs paid once)."""
    stash: list[str] = []

    def hide(m: re.Match[str]) -> str:
        stash.append(m.group(0))
        return chr(0xE000 + len(stash) - 1)

    joined = SEP.join(t.replace(SEP, " ") for t in texts)
    if _MASK.search(joined):
        joined = _MASK.sub("", joined)
    masked = PLACEHOLDER.sub(hide, joined) if "[" in joined else joined
    cuts: list[tuple[int, int, str, str, str]] = []  # start, end, placeholder, field, reason
    protected: list[tuple[int, int]] = []
    if patterns is not None and forbidden:
        # One pass over both sides: at each place the longest form wins; an allowed value
        # is protected, a forbidden one cut (on a tie the role may see it: it is its value).
        found = [f for f in patterns.matches(masked, allowed | set(forbidden), allowed)
                 if SEP not in f[3].group(0)]
        protected = [(a, b) for a, b, form, _ in found if form.field in allowed]
        dates: list[tuple[int, int]] | None = None
        for a, b, form, m in found:
            if form.field in allowed:
                continue
            if form.kind == "number":
                if dates is None:
                    dates = [d.span() for d in DATE_LIKE.finditer(masked)]
                if _inside(a, b, dates) and (a, b) not in dates:
                    continue  # the 03 of 2024-03-10 is part of a date, not a number
            if m.re.groups:
                for sub in ("v", "w"):
                    if sub in m.re.groupindex and m.group(sub) is not None:
                        a, b = m.span(sub)  # keep the label ("CQI: "); only the value goes
            if protected and _inside(a, b, protected):
                continue
            cuts.append((a, b, placeholder(form.field), form.field, forbidden[form.field]))
    if identifiers:
        taken = [(a, b) for a, b, *_ in cuts]
        for ident in find_identifiers(masked):
            a, b = ident.start, ident.end
            if SEP in masked[a:b] or _overlap(a, b, protected) or _overlap(a, b, taken):
                continue
            cuts.append((a, b, f"[{ident.kind}]", ident.kind.lower(), "identifier"))
    out = masked
    for a, b, ph, name, reason in sorted(cuts, reverse=True):
        out = out[:a] + ph + out[b:]
        where = wheres[masked.count(SEP, 0, a)] if len(wheres) > 1 else wheres[0]
        removed.append({"field": name, "reason": reason, "placeholder": ph, "where": where})
    if stash:
        out = _MASK.sub(lambda m: stash[ord(m.group(0)) - 0xE000], out)
    return out.split(SEP)


def sanitize_text(
    text: str,
    patterns: ValuePatterns | None,
    forbidden: Mapping[str, str],
    allowed: frozenset[str],
    where: str,
    removed: list[dict[str, str]],
    *,
    identifiers: bool = True,
) -> str:
    """Forbidden values and identifiers of anyone replaced, sparing the role's allowed values."""
    return sanitize_many([text], patterns, forbidden, allowed, [where], removed,
                         identifiers=identifiers)[0]
