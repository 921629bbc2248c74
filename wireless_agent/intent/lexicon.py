"""The multilingual concept lexicon (lexicon.txt): finds concepts like @surgery in any language."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from wireless_agent.intent.text import normalise_text, token_spans, tokens

LEXICON_PATH = Path(__file__).with_name("lexicon.txt")
# Scripts matched anywhere: CJK has no spaces, Arabic attaches articles and conjunctions.
# Words at least this long may be compounds searched from inside for prefix forms.
_COMPOUND = 10
_ANYWHERE = re.compile(r"[\u0600-\u06ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
# Concepts that name a place: the concepts of the words inside them do not count ("the
# control room wall shows a video" says nothing about control).
_NEUTRAL = frozenset({"place"})


@dataclass(frozen=True)
class Hit:
    """One concept found in a normalised text, with its character span."""

    concept: str
    start: int
    end: int


class Lexicon:
    """Concept forms indexed for fast lookup: token sequences, word prefixes, substrings."""

    def __init__(self, entries: dict[str, list[str]]) -> None:
        self.concepts = sorted(entries)
        # Latin, Devanagari...: forms are token sequences; the last token may be a prefix.
        self._seq: dict[str, list[tuple[tuple[str, ...], bool, tuple[str, ...]]]] = {}
        self._prefix: dict[str, tuple[str, ...]] = {}
        # CJK and Arabic: substrings, indexed by their first two characters.
        self._sub: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self._char: dict[str, tuple[str, ...]] = {}
        grouped: dict[tuple[str, bool], set[str]] = {}
        for concept, forms in entries.items():
            for raw in forms:
                form = normalise_text(raw.rstrip("*")).strip()
                if form:
                    grouped.setdefault((form, raw.endswith("*")), set()).add(concept)
        for (form, prefix), owners in grouped.items():
            concepts = tuple(sorted(owners))
            if _ANYWHERE.search(form):
                if len(form) == 1:
                    self._char[form] = concepts
                else:
                    self._sub.setdefault(form[:2], []).append((form, concepts))
                continue
            toks = tuple(tokens(form))
            if len(toks) == 1 and prefix:
                self._prefix[toks[0]] = tuple(sorted(set(self._prefix.get(toks[0], ())) | owners))
            elif toks:
                self._seq.setdefault(toks[0], []).append((toks, prefix, concepts))
        for cands in self._seq.values():
            cands.sort(key=lambda c: -len(c[0]))
        for subs in self._sub.values():
            subs.sort(key=lambda c: -len(c[0]))
        self._max_prefix = max((len(p) for p in self._prefix), default=0)

    def _prefixes(self, word: str, start: int, end: int, hits: list[Hit]) -> None:
        """Prefix forms at the start of a word, and inside a long compound ("industrieroboter")."""
        # German and Dutch glue nouns together; a long word is also searched from inside.
        starts = range(0, len(word) - 3) if len(word) >= _COMPOUND else (0,)
        for s in starts:
            if s and not word[s].isalpha():
                continue
            for k in range(min(len(word) - s, self._max_prefix), 3 if s else 1, -1):
                owners = self._prefix.get(word[s : s + k])
                # A prefix covers its inflections, not any string that starts with it: "uavs"
                # is a drone, "uavmnqh" is not (the ending is at most as long as the prefix).
                if owners and (s or len(word) - k <= k):
                    hits.extend(Hit(c, start, end) for c in owners)
                    break

    def find(self, normalised: str) -> list[Hit]:
        """Every concept of every form found in an already normalised text."""
        hits: list[Hit] = []
        spans = token_spans(normalised)
        words = [w for w, _, _ in spans]
        for i, (word, start, end) in enumerate(spans):
            for toks, prefix, concepts in self._seq.get(word, ()):
                n = len(toks)
                seg = words[i : i + n]
                if len(seg) == n and seg[:-1] == list(toks[:-1]) and (
                    seg[-1] == toks[-1] or (prefix and seg[-1].startswith(toks[-1]))
                ):
                    hits.extend(Hit(c, start, spans[i + n - 1][2]) for c in concepts)
                    break
            self._prefixes(word, start, end, hits)
        if self._sub or self._char:
            for i, ch in enumerate(normalised):
                for form, concepts in self._sub.get(normalised[i : i + 2], ()):
                    if normalised.startswith(form, i):
                        hits.extend(Hit(c, i, i + len(form)) for c in concepts)
                        break
                else:
                    owners = self._char.get(ch)
                    if owners:
                        hits.extend(Hit(c, i, i + 1) for c in owners)
        places = [(h.start, h.end) for h in hits if h.concept in _NEUTRAL]
        if places:
            hits = [h for h in hits if h.concept in _NEUTRAL
                    or not any(s <= h.start and h.end <= e for s, e in places)]
        return hits

    @classmethod
    def load(cls, path: Path = LEXICON_PATH) -> Lexicon:
        """Parse `concept: form, form*, ...` lines; '#' starts a comment."""
        entries: dict[str, list[str]] = {}
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            concept, sep, forms = line.partition(":")
            if not sep or not re.fullmatch(r"[a-z]+", concept.strip()):
                raise ValueError(f"{path}:{n}: expected 'concept: form, form'")
            entries.setdefault(concept.strip(), []).extend(
                f.strip() for f in forms.split(",") if f.strip())
        return cls(entries)


@functools.cache
def default_lexicon() -> Lexicon:
    """The shipped lexicon, compiled once per process."""
    return Lexicon.load()
