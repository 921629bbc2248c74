"""Names a person states about themselves in free text ("my name is Ana Lima", "I'm Bob Stone").

A typed chat line has no stored profile to match against, so the one name it can be known to
hold is the one it introduces; generic name recognition would need a language model download.
"""

from __future__ import annotations

import re

PLACEHOLDER = "[NAME]"
_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’-]+"
# Introductions, in the languages the intent classifier reads; the name itself is capitalised.
_INTRO = (r"(?:my name is|my name's|name\s*:|i am|i'm|this is|call me|me llamo|mi nombre es|"
          r"soy|je m'appelle|je suis|ich bin|ich heiße|mein name ist|meu nome é|eu sou|"
          r"mi chiamo|sono)")
_SELF_NAMED = re.compile(rf"(?i:\b{_INTRO})\s+({_WORD}(?:\s+{_WORD}){{0,3}})")
_ONE_WORD_OK = re.compile(r"(?i:my name is|my name's|name\s*:|call me|me llamo|je m'appelle|"
                          r"ich heiße|mein name ist|mi chiamo|meu nome é|mi nombre es)$")


def redact_names(text: str, known: set[str] | None = None) -> tuple[str, set[str]]:
    """`text` with self-stated names, and the `known` ones, replaced by [NAME]; names found.

    Pass the names found earlier in a conversation as `known`: a name told once is then
    recognised wherever it comes back, in any case.
    """
    found: set[str] = set()

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        intro = match.group(0)[: match.start(1) - match.start(0)]
        # "I am Streaming" is no name: after a bare "I am" it takes two capitalised words.
        if " " not in name and not _ONE_WORD_OK.search(intro.strip()):
            return match.group(0)
        found.add(name)
        return intro + PLACEHOLDER

    out = _SELF_NAMED.sub(swap, text)
    for name in sorted((known or set()) | found, key=len, reverse=True):
        out = re.sub(r"\s+".join(map(re.escape, name.split())), PLACEHOLDER, out,
                     flags=re.IGNORECASE)
    return out, found
