"""Script-aware text normalisation and tokens for requests in any of the supported languages."""

from __future__ import annotations

import re
import unicodedata

# Requests are cut here before any parsing: a 20,000-character paste must not slow a decision.
MAX_CHARS = 2000
# Word characters include the combining vowel signs of Devanagari and Arabic, which \w omits.
_WORD = re.compile(r"[\w\u0900-\u097f\u0600-\u065f\u0670\u0300-\u036f]+")
# Han, kana and hangul are written without spaces: each run is split into characters.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Arabic-Indic digits and separators (decimal ٫, thousands ٬, percent ٪) become ASCII ones.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९٫٬٪",
                        "0123456789" * 3 + ".,%")
# Latin letters lose their accents (typed or not: "cirugia" = "cirugía"); other scripts keep
# their marks, which carry vowels there.
_LATIN_MARK = re.compile(r"(?<=[a-z])[\u0300-\u036f]+")
_TATWEEL = "\u0640"


def normalise_text(text: str) -> str:
    """NFKC, lower case, ASCII digits, Latin accents and Arabic tatweel dropped, cut to size."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower().translate(_DIGITS)
    text = text.replace(_TATWEEL, "").replace("µ", "u").replace("μ", "u")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _LATIN_MARK.sub("", decomposed))


def is_cjk(char: str) -> bool:
    """Whether a character belongs to a script written without spaces (Han, kana, hangul)."""
    return bool(_CJK.match(char))


def token_spans(normalised: str) -> list[tuple[str, int, int]]:
    """Word tokens with their character spans; each CJK character is a token of its own."""
    out: list[tuple[str, int, int]] = []
    for m in _WORD.finditer(normalised):
        word, base = m.group(), m.start()
        if not _CJK.search(word):
            out.append((word, base, m.end()))
            continue
        run_start = None
        for k, ch in enumerate(word):
            if is_cjk(ch):
                if run_start is not None:
                    out.append((word[run_start:k], base + run_start, base + k))
                    run_start = None
                out.append((ch, base + k, base + k + 1))
            elif run_start is None:
                run_start = k
        if run_start is not None:
            out.append((word[run_start:], base + run_start, m.end()))
    return out


def tokens(normalised: str) -> list[str]:
    """Word tokens; a run of CJK characters gives one token per character."""
    return [w for w, _, _ in token_spans(normalised)]
