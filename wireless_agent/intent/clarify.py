"""The clarifying question for an unclear request, in the language it was written in."""

from __future__ import annotations

import json
import re
from pathlib import Path

from wireless_agent.intent.text import normalise_text

# One question per language; the wording lives in a data file beside this module.
_QUESTIONS: dict[str, str] = json.loads(
    Path(__file__).with_name("clarify_questions.json").read_text(encoding="utf-8"))
_LATIN_HINTS = {
    "es": re.compile(r"\b(el|la|los|las|que|para|por|una|quiero|necesito|como|esta)\b"),
    "de": re.compile(r"\b(der|die|das|und|ich|nicht|mit|fur|ein|eine|ist|wie)\b"),
    "fr": re.compile(r"\b(le|les|des|et|je|pour|avec|une|est|pas|du|ce)\b"),
    "pt": re.compile(r"\b(o|os|as|que|para|com|uma|um|nao|quero|precis\w*|do|da|ao|aos|em|"
                     r"voce|temos|sao|pelo|pela|meu|minha|muito)\b"),
}


def language_of(text: str) -> str:
    """A best guess among en, zh, ja, es, de, fr, pt, ar, hi from script and common words."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh"
    if re.search(r"[\u0600-\u06ff]", text):
        return "ar"
    if re.search(r"[\u0900-\u097f]", text):
        return "hi"
    norm = normalise_text(text)
    counts = {lang: len(rx.findall(norm)) for lang, rx in _LATIN_HINTS.items()}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] >= 2 else "en"


def clarifying_question(text: str) -> str:
    """What to ask a subscriber whose request was unclear, in the language they wrote in."""
    return _QUESTIONS[language_of(text)]
