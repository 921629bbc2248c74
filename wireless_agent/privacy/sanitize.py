"""Text sanitisation: every atom of every forbidden value, then identifiers of anyone, in one pass.

Matches are found on the original text and replaced once, so a placeholder is never matched
again (placeholders already in the text are masked first: a second pass changes nothing).
Spans of values the role may see are protected: a forbidden match inside one is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from wireless_agent.privacy import patterns as P
from wireless_agent.privacy.atoms import KIND_RANK, atom_sources
from wireless_agent.privacy.identifiers import DATE_LIKE, find_identifiers
from wireless_agent.privacy.policy import Policy
from wireless_agent.privacy.profiles import Profile

# Formats whose own patterns know the value's forms; the others are matched atom by atom.
_OWN_FORMS = frozenset({"name", "digits", "phone", "email", "iban", "code", "address",
                        "position", "date", "money", "short"})
_FORMAT_ORDER = ["email", "iban", "digits", "phone", "code", "date", "money", "transactions",
                 "position", "address", "name", "records", "dict", "short", "list", "number",
                 "text"]
PLACEHOLDER = re.compile(r"\[(?:REDACTED(?::[\w.\-]+)?|EMAIL|IBAN|CARD|IMSI|PHONE)\]")
_MASK = re.compile("[\ue000-\uf8ff]")


def placeholder(field: str) -> str:
    """Placeholder of a profile field's value."""
    return f"[REDACTED:{field}]"


@dataclass(frozen=True)
class _Group:
    field: str
    kind: str  # format, phrase, number, date


class ValuePatterns:
    """Compiled surface-form patterns of one profile, combined and cached per field set."""

    def __init__(self, profile: Profile, policy: Policy) -> None:
        self.profile = profile
        self.sources: dict[str, list[tuple[str, str]]] = {}
        self.formats: dict[str, str] = {}
        for name, value in profile.values.items():
            rule = policy.fields.get(name)
            fmt = rule.format if rule else "text"
            labels = [*(rule.aliases if rule else ()), name.replace("_", " ")]
            own = [("format", s) for s in P.value_pattern(fmt, value, labels)]
            if fmt not in _OWN_FORMS:
                own += atom_sources(value)
            self.sources[name] = own
            self.formats[name] = fmt
        self._coords = {
            n: P.coordinates(str(v))
            for n, v in profile.values.items()
            if self.formats.get(n) == "position"
        }
        self.combined = lru_cache(maxsize=512)(self._combine)

    def _combine(self, fields: frozenset[str]) -> tuple[re.Pattern[str] | None, dict[str, _Group]]:
        """One alternation over the fields' patterns; group name -> (field, kind)."""
        parts, groups = [], {}
        order = sorted(
            (f for f in fields if f in self.sources),
            key=lambda f: (_FORMAT_ORDER.index(self.formats[f]), f),
        )
        entries = [(name, kind, src) for name in order for kind, src in self.sources[name]]
        # Format-specific forms first (in format order), then atoms by kind, longest first.
        entries.sort(key=lambda e: (KIND_RANK[e[1]], -len(e[2]) if e[1] != "format" else 0))
        for i, (name, kind, src) in enumerate(entries):
            gname = f"g{i}"
            groups[gname] = _Group(name, kind)
            src = src.replace("(?P<v>", f"(?P<v{i}>").replace("(?P<w>", f"(?P<w{i}>")
            parts.append(f"(?P<{gname}>{src})")
        if not parts:
            return None, groups
        # Matches start at a word's start: one cheap test skips most positions of a text.
        return re.compile(r"(?<![^\W_])(?:" + "|".join(parts) + ")", re.IGNORECASE), groups

    def near(self, field: str, text: str) -> bool:
        """Whether a matched decimal really is one of a position field's coordinates."""
        return P.near_coordinate(text, self._coords.get(field, []))


def _spans(regex: re.Pattern[str] | None, text: str) -> list[tuple[int, int, re.Match[str]]]:
    return [] if regex is None else [(m.start(), m.end(), m) for m in regex.finditer(text)]


def _inside(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= a and b <= e for s, e in spans)


def _overlap(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < e and b > s for s, e in spans)


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
    stash: list[str] = []

    def hide(m: re.Match[str]) -> str:
        stash.append(m.group(0))
        return chr(0xE000 + len(stash) - 1)

    masked = PLACEHOLDER.sub(hide, _MASK.sub("", text))
    protected: list[tuple[int, int]] = []
    cuts: list[tuple[int, int, str, str, str]] = []  # start, end, placeholder, field, reason
    if patterns is not None:
        if allowed:
            protected = [(a, b) for a, b, _ in _spans(patterns.combined(allowed)[0], masked)]
        regex, groups = patterns.combined(frozenset(forbidden))
        dates = [m.span() for m in DATE_LIKE.finditer(masked)]
        for a, b, m in _spans(regex, masked):
            group = groups[m.lastgroup or ""]
            name = group.field
            if patterns.formats.get(name) == "position" and not patterns.near(name, m.group(0)):
                continue
            if group.kind == "number" and _inside(a, b, dates) and (a, b) not in dates:
                continue  # the 03 of 2024-03-10 is part of a date, not a number
            i = (m.lastgroup or "g")[1:]
            for sub in (f"v{i}", f"w{i}"):
                if sub in m.re.groupindex and m.group(sub) is not None:
                    a, b = m.span(sub)  # keep the label ("CQI: "); only the value goes
            if _inside(a, b, protected):
                continue
            cuts.append((a, b, placeholder(name), name, forbidden[name]))
    if identifiers:
        taken = [(a, b) for a, b, *_ in cuts]
        for ident in find_identifiers(masked):
            a, b = ident.start, ident.end
            if _overlap(a, b, protected) or _overlap(a, b, taken):
                continue
            cuts.append((a, b, f"[{ident.kind}]", ident.kind.lower(), "identifier"))
    out = masked
    for a, b, ph, name, reason in sorted(cuts, reverse=True):
        out = out[:a] + ph + out[b:]
        removed.append({"field": name, "reason": reason, "placeholder": ph, "where": where})
    return _MASK.sub(lambda m: stash[ord(m.group(0)) - 0xE000], out) if stash else out

