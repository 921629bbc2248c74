"""Surface forms used to write cases: the benchmark's own renderer, not the sanitiser's."""

from __future__ import annotations

import json
import re
from typing import Any

from num2words import num2words

from wireless_agent.privacy import Profile, render_value
from wireless_agent.privacy.policy import Policy


def _group(s: str, n: int, sep: str) -> str:
    return sep.join(s[i : i + n] for i in range(0, len(s), n))


def _phone(e164: str, style: str) -> str:
    d = e164.lstrip("+")
    cc = next(c for c in ("49", "44", "33", "1") if d.startswith(c))
    nsn = d[len(cc) :]
    trunk = "" if cc == "1" else "0"
    return {
        "e164": e164,
        "intl": f"+{cc} {nsn[:3]} {nsn[3:6]} {nsn[6:]}",
        "national": f"{trunk}{nsn[:4]} {nsn[4:]}",
        "dashed": f"+{cc}-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}",
        "paren": f"({trunk}{nsn[:3]}) {nsn[3:6]}-{nsn[6:]}",
        "dotted": f"{trunk}{nsn[:3]}.{nsn[3:6]}.{nsn[6:]}",
        "zeros": f"00{cc} {nsn}",
    }.get(style, e164)


def _money(v: float, style: str) -> str:
    whole = int(v)
    if style == "comma":
        return f"{v:,.0f}" if v == whole else f"{v:,.2f}"
    if style == "dot":
        return (
            f"{v:,.0f}".replace(",", ".")
            if v == whole
            else f"{v:,.2f}".translate(str.maketrans(",.", ".,"))
        )
    if style == "k" and whole % 100 == 0 and whole >= 1000:
        return f"${whole / 1000:g}k"
    if style == "m" and whole % 10000 == 0 and whole >= 1_000_000:
        return f"{whole / 1e6:g} million"
    if style == "usd":
        return f"${v:,.2f}"
    if style == "space":
        return f"{v:,.0f}".replace(",", " ") if v == whole else f"{v:,.2f}".replace(",", " ")
    return f"{v:.0f}" if v == whole else f"{v:.2f}"


def _date(iso: str, style: str) -> str:
    y, m, d = iso.split("-")
    months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    return {
        "dmy": f"{d}/{m}/{y}",
        "us": f"{m}/{d}/{y}",
        "dotted": f"{d}.{m}.{y}",
        "long": f"{int(d)} {months[int(m) - 1]} {y}",
        "longus": f"{months[int(m) - 1]} {int(d)}, {y}",
        "short": f"{months[int(m) - 1][:3]} {int(d)} {y}",
    }.get(style, iso)


STYLES: dict[str, list[str]] = {
    "digits": ["plain", "spaced", "dashed", "dotted"],
    "phone": ["e164", "intl", "national", "dashed", "paren", "dotted", "zeros"],
    "money": ["plain", "comma", "dot", "k", "m", "usd", "space"],
    "date": ["iso", "dmy", "us", "dotted", "long", "longus", "short"],
    "name": ["plain", "upper", "lower", "reversed", "initial", "surname"],
    "address": ["plain", "street", "abbrev", "euro", "upper"],
    "email": ["plain", "upper", "at"],
    "iban": ["plain", "grouped", "lower"],
    "position": ["plain", "four", "comma", "latlon"],
    "code": ["plain", "digits", "spaced"],
    "list": ["item0", "item1", "all", "json", "bullets"],
    "dict": ["json", "first", "plain"],
    "transactions": ["amount0", "amount_comma", "json"],
    "text": ["plain", "upper", "lower", "hyphen"],
    "short": ["plain"],
}
_ABBREV = {"Street": "St.", "Avenue": "Ave", "Road": "Rd", "Lane": "Ln", "Way": "Wy"}


def surface(value: Any, fmt: str, style: str) -> str:
    """Write a value in one named surface form (used to build cases)."""
    if isinstance(value, list | dict) and not value:
        return "none"
    if fmt in ("number", "records") or style not in STYLES.get(fmt, [style]):
        return generic_surface(value, style)
    s = render_value(value)
    if fmt == "digits":
        return {
            "spaced": _group(s, 4, " "),
            "dashed": _group(s, 4, "-"),
            "dotted": _group(s, 3, "."),
        }.get(style, s)
    if fmt == "phone":
        return _phone(s, style)
    if fmt == "money":
        return _money(float(value), style)
    if fmt == "date":
        return _date(s, style)
    if fmt == "name":
        first, last = s.split()[0], s.split()[-1]
        return {
            "upper": s.upper(),
            "lower": s.lower(),
            "reversed": f"{last}, {first}",
            "initial": f"{first[0]}. {last}",
            "surname": f"Mr/Ms {last}",
        }.get(style, s)
    if fmt == "address":
        line, _, rest = s.partition(", ")
        words = line.split()
        return {
            "street": line,
            "abbrev": " ".join(words[:-1] + [_ABBREV.get(words[-1], words[-1])]) + f", {rest}",
            "euro": " ".join(words[1:] + words[:1]) + f", {rest}",
            "upper": s.upper(),
        }.get(style, s)
    if fmt == "email":
        local, _, host = s.partition("@")
        if style == "at":
            return f"{local.replace('.', ' dot ')} at {host.replace('.', ' dot ')}"
        return s.upper() if style == "upper" else s
    if fmt == "iban":
        return {"grouped": _group(s, 4, " "), "lower": _group(s, 4, " ").lower()}.get(style, s)
    if fmt == "position":
        lat, lon = (float(c) for c in s.split(","))
        return {
            "four": f"{lat:.4f} N, {lon:.4f} E",
            "comma": f"{lat:.5f}".replace(".", ",") + "; " + f"{lon:.5f}".replace(".", ","),
            "latlon": f"lat {lat:.5f} lon {lon:.5f}",
        }.get(style, s)
    if fmt == "code":
        digits = re.sub(r"\D", "", s)
        head = re.match(r"[A-Za-z]*", s).group(0)  # type: ignore[union-attr]
        return {"digits": digits, "spaced": f"{head} {digits}"}.get(style, s)
    if fmt == "list":
        return {
            "item0": str(value[0]),
            "item1": str(value[-1]),
            "json": json.dumps(value),
            "bullets": "\n".join(f"* {v}" for v in value),
        }.get(style, s)
    if fmt == "dict":
        key, v = next(iter(value.items()))
        return {"json": json.dumps(value), "first": f"{key}: {v}"}.get(style, s)
    if fmt == "transactions":
        return {
            "amount0": _money(value[0]["amount"], "plain"),
            "amount_comma": _money(value[-1]["amount"], "comma"),
            "json": json.dumps(value),
        }.get(style, s)
    if fmt == "text":
        return {"upper": s.upper(), "lower": s.lower(), "hyphen": s.replace(" ", "-")}.get(style, s)
    return s


_SLOT = re.compile(r"\{([a-z_]+)(?::([a-z0-9_]+))?\}")


def fill(template: str, profile: Profile, policy: Policy) -> str:
    """Replace {field} and {field:style} slots with the profile's values in that form."""

    def repl(m: re.Match[str]) -> str:
        name, style = m.group(1), m.group(2) or "plain"
        if name not in profile.values:
            return m.group(0)
        return surface(profile.values[name], policy.fields[name].format, style)

    return _SLOT.sub(repl, template)


# --- generic forms for values of any JSON shape (profile files) ----------------------------

def generic_styles(value: Any) -> list[str]:
    """The styles `generic_surface` knows for a value of this shape."""
    if isinstance(value, bool) or value is None:
        return ["plain"]
    if isinstance(value, int | float):
        return ["plain", "comma", "words", "unit"]
    if isinstance(value, dict):
        return ["json", "plain", "keys", "lines"]
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return ["json", "prose", "bullets", "first"]
        return ["all", "json", "bullets", "item0"]
    return ["plain", "upper", "lower"]


def _words(x: float) -> str:
    return num2words(x) if float(x).is_integer() else f"{x}"


def _record_prose(rec: dict[str, Any]) -> str:
    parts = []
    for v in rec.values():
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            parts.append(f"on {_date(v, 'long')}")
        elif isinstance(v, int | float):
            parts.append(f"{v:g} units")
        else:
            parts.append(str(v))
    return " ".join(parts)


def generic_surface(value: Any, style: str) -> str:
    """A value of any JSON shape written in one style (for cases on profile files)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {
            "comma": f"{value:,}",
            "words": _words(value),
            "unit": f"{value:g} years",
        }.get(style, f"{value:g}")
    if isinstance(value, dict):
        if not value:
            return "none"
        return {
            "json": json.dumps(value),
            "keys": ", ".join(k.replace("_", " ") for k in value),
            "lines": "\n".join(f"- {k}: {v}" for k, v in value.items()),
        }.get(style, "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items()))
    if isinstance(value, list):
        if not value:
            return "none"
        if all(isinstance(v, dict) for v in value):
            return {
                "json": json.dumps(value),
                "bullets": "\n".join("* " + _record_prose(v) for v in value),
                "first": _record_prose(value[0]),
            }.get(style, "; ".join(_record_prose(v) for v in value))
        return {
            "json": json.dumps(value),
            "bullets": "\n".join(f"* {v}" for v in value),
            "item0": str(value[0]),
        }.get(style, ", ".join(map(str, value)))
    s = str(value)
    return {"upper": s.upper(), "lower": s.lower()}.get(style, s)
