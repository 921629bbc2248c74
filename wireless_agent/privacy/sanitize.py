"""Text sanitisation: forbidden profile values in all surface forms, then generic identifiers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache

from wireless_agent.privacy import patterns as P
from wireless_agent.privacy.policy import Policy
from wireless_agent.privacy.profiles import Profile

# Specific formats first: an e-mail or IBAN must win over the surname or digits inside it.
_FORMAT_ORDER = [
    "email",
    "iban",
    "digits",
    "phone",
    "code",
    "date",
    "money",
    "transactions",
    "position",
    "address",
    "name",
    "dict",
    "short",
    "list",
    "text",
]
_SENTINEL = re.compile("\x00([\ue000-\uf8ff])\x00")


def placeholder(field: str) -> str:
    """Placeholder of a profile field's value."""
    return f"[REDACTED:{field}]"


class ValuePatterns:
    """Compiled surface-form patterns of one profile, combined and cached per field set."""

    def __init__(self, profile: Profile, policy: Policy) -> None:
        self.profile = profile
        self.sources: dict[str, list[str]] = {}
        self.formats: dict[str, str] = {}
        for name, value in profile.values.items():
            rule = policy.fields.get(name)
            fmt = rule.format if rule else "text"
            labels = list(rule.aliases) if rule else []
            labels.append(name.replace("_", " "))
            self.sources[name] = P.value_pattern(fmt, value, labels)
            self.formats[name] = fmt
        self._coords = {
            n: P.coordinates(str(v))
            for n, v in profile.values.items()
            if self.formats.get(n) == "position"
        }
        self.combined = lru_cache(maxsize=256)(self._combine)

    def _combine(self, fields: frozenset[str]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
        """One alternation over the fields' patterns; group name -> field."""
        parts, groups = [], {}
        order = sorted(
            (f for f in fields if f in self.sources),
            key=lambda f: (_FORMAT_ORDER.index(self.formats[f]), f),
        )
        for i, name in enumerate(order):
            for j, src in enumerate(self.sources[name]):
                gname = f"f{i}_{j}"
                groups[gname] = name
                parts.append(f"(?P<{gname}>" + src.replace("(?P<v>", f"(?P<v{i}_{j}>") + ")")
        if not parts:
            return None, groups
        return re.compile("|".join(parts), re.IGNORECASE), groups

    def near(self, field: str, text: str) -> bool:
        """Whether a matched decimal really is one of a position field's coordinates."""
        return P.near_coordinate(text, self._coords.get(field, []))


def redact_fields(
    text: str,
    patterns: ValuePatterns,
    forbidden: Mapping[str, str],
    where: str,
    removed: list[dict[str, str]],
) -> str:
    """Replace every surface form of every forbidden field's value by its placeholder."""
    regex, groups = patterns.combined(frozenset(forbidden))
    if regex is None:
        return text

    def repl(m: re.Match[str]) -> str:
        gname = m.lastgroup or ""
        name = groups.get(gname, "?")
        if patterns.formats.get(name) == "position" and not patterns.near(name, m.group(0)):
            return m.group(0)
        ph = placeholder(name)
        removed.append(
            {"field": name, "reason": forbidden[name], "placeholder": ph, "where": where}
        )
        vname = "v" + gname[1:]
        if vname in regex.groupindex and m.group(vname) is not None:
            # Keep the label ("CQI: ") so the text still reads; only the value goes.
            start = m.start(vname) - m.start()
            return m.group(0)[:start] + ph + m.group(0)[m.end(vname) - m.start() :]
        return ph

    return regex.sub(repl, text)


def redact_identifiers(
    text: str,
    protect: re.Pattern[str] | None,
    where: str,
    removed: list[dict[str, str]],
) -> str:
    """Replace e-mail addresses, IBANs, cards, IMSIs and phone numbers outside protected spans."""
    stash: list[str] = []

    def hide(m: re.Match[str]) -> str:
        stash.append(m.group(0))
        return "\x00" + chr(0xE000 + len(stash) - 1) + "\x00"

    if protect is not None:
        text = protect.sub(hide, text)
    text = P.DATE_LIKE.sub(hide, text)
    text = P.DECIMAL.sub(hide, text)

    def typed(kind: str) -> Callable[[re.Match[str]], str]:
        def repl(m: re.Match[str]) -> str:
            ph = f"[{kind}]"
            removed.append(
                {"field": kind.lower(), "reason": "identifier", "placeholder": ph, "where": where}
            )
            return ph

        return repl

    text = P.EMAIL.sub(typed("EMAIL"), text)
    text = P.IBAN.sub(lambda m: typed("IBAN")(m) if P.iban_valid(m.group(0)) else m.group(0), text)

    def digit_run(m: re.Match[str]) -> str:
        kind = P.classify_digits(m.group(0))
        return typed(kind)(m) if kind else m.group(0)

    text = P.DIGIT_RUN.sub(digit_run, text)
    if stash:
        text = _SENTINEL.sub(lambda m: stash[ord(m.group(1)) - 0xE000], text)
    return text


def sanitize_text(
    text: str,
    patterns: ValuePatterns | None,
    forbidden: Mapping[str, str],
    allowed: frozenset[str],
    where: str,
    removed: list[dict[str, str]],
) -> str:
    """Forbidden values first, then identifiers of anyone, sparing the role's allowed values."""
    text = text.replace("\x00", "")
    protect = None
    if patterns is not None:
        text = redact_fields(text, patterns, forbidden, where, removed)
        protect = patterns.combined(allowed)[0] if allowed else None
    return redact_identifiers(text, protect, where, removed)
