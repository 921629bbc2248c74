"""Reading a request: concepts, negation scope and which sentence carries the need."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wireless_agent.intent.clarify import language_of
from wireless_agent.intent.lexicon import Hit, default_lexicon
from wireless_agent.intent.text import normalise_text

# Negation cues before what they negate ("not for video", "不是看视频", "no es para")...
_NEG_BEFORE = re.compile(
    r"(?<![\w])(not|no|never|nothing|none|without|don't|dont|doesn't|doesnt|isn't|isnt|aren't|"
    r"won't|wont|nicht|kein\w*|ohne|pas|jamais|sans|nao|nem|nunca|ni|sin|ليس|ليست|لا|لن|غير|"
    r"بدون)(?![\w])|不是|不用|不需要|并非|不看|不玩|不为|没有"
)
# ... and after it, in Japanese and Hindi ("動画ではなく", "वीडियो के लिए नहीं").
_NEG_AFTER = re.compile(r"ではなく|じゃなく|ではありません|ではない|じゃない|नहीं|न कि")
# Negation and "tolerant" scopes end at punctuation or a contrast word.
_SCOPE_END = re.compile(r"[,.;:!?，。；：！？、،؛؟।—–]|\s-\s|\b(but|however|instead|rather|pero|"
                        r"sino|aber|sondern|mais|porem|contudo)\b|但是|而是|可是|不过|でも|しかし|لكن|بل|"
                        r"लेकिन|बल्कि")
# Sentences, and contrast words that usually introduce the actual need.
_SENTENCE = re.compile(r"(?<=[.!?。！？;；؟।])\s*|\n+")
_CONTRAST = re.compile(
    r"\b(but|however|though|although|anyway|instead|pero|sin embargo|aber|jedoch|sondern|mais|"
    r"cependant|porem|contudo|todavia|this time|esta vez|diesmal|dieses mal|cette fois|"
    r"desta vez|dessa vez)\b|但是|可是|不过|而是|这次|这回|でも|しかし|けど|今回|لكن|ولكن|"
    r"هذه المرة|लेकिन|मगर|बल्कि|इस बार"
)
_NEED = re.compile(
    r"\b(need|needs|needed|want|wants|require\w*|request\w*|asking|looking for|please|must|"
    r"has to|have to|i'd like|we'd like|set me up|provision|necesit\w*|quiero|queremos|"
    r"requier\w*|por favor|brauch\w*|mochte\w*|benotig\w*|bitte|besoin|veux|voudrais|faut|"
    r"precis\w*|quero|"
    # What the request is for, and focus words that single out the need among the context.
    r"this request|the request|request is|only for|just for|solicitud|pedido|demande|anfrage|"
    r"antrag|solo|solamente|nur|seulement|uniquement|apenas)\b|需要|想要|请|必要|したい|ほしい|"
    r"欲しい|お願い|申请|申請|只是|仅|だけ|のみ|أحتاج|أريد|نحتاج|نريد|يجب|طلب|الطلب|فقط|चाहिए|"
    r"चाहता|चाहती|ज़रूरत|जरूरत|अनुरोध|सिर्फ|केवल"
)
_CONTEXT = re.compile(
    r"\b(usually|normally|typically|last (year|week|month)|yesterday|already|on hold|besides|"
    r"apart from|honestly|whatever|used to|on weekends|i love|i like|loves|normalmente|"
    r"normalerweise|d'habitude|geralmente|habitualmente|every day|often|a lot|all day|siempre|"
    r"oft|souvent|sempre)\b|平时|以前|已经|平常|天天|每天|经常|普段|いつも|よく|عادة|دائما|"
    r"आमतौर|पहले|रोज़|अक्सर"
)
# An information question: ends with a question mark, or opens or closes with a question word.
_QUESTION = re.compile(
    r"[?？؟]\s*$|^\s*(what|who|which|when|where|why|how|que|quien|cual|como|cuando|donde|"
    r"cuanto|was|wer|wie|wann|wo|welche\w*|qui|quel\w*|comment|quand|ou|combien|quem|qual|"
    r"quando|onde|quanto)\b|^\s*(什么|谁|哪|怎么|为什么|多少|何|誰|どう|なぜ|ما|من|كيف|متى|أين|"
    r"هل|كم|क्या|कौन|कब|कहाँ|कैसे)|(吗|呢|か|ですか)\s*$"
)
# Concepts that say a timing need; a "tolerant" phrase in the same scope dismisses them.
_TIMING = frozenset({"latency", "realtime", "lowlatency", "instant"})
_PROTECTED = frozenset({"nodelay", "tolerant", "besteffort"})
CONTEXT_WEIGHT, PLAIN_WEIGHT, NEED_WEIGHT = 0.25, 0.6, 1.0


@dataclass(frozen=True)
class Segment:
    """One sentence of a request: text left after negation, its concept tokens, its weight."""

    text: str
    concepts: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class Reading:
    """A request read for classification: normalised text, segments and every concept."""

    normalised: str
    segments: tuple[Segment, ...]
    concepts: frozenset[str]
    need: bool = False  # some sentence states a need ("I need", "please", "this request")
    question: bool = False  # phrased as an information question


def _scope_end(text: str, pos: int) -> int:
    """Where a scope that starts at `pos` ends (punctuation, contrast word or the end)."""
    m = _SCOPE_END.search(text, pos)
    return m.start() if m else len(text)


def _scope_start(text: str, pos: int) -> int:
    """Where a scope that ends at `pos` begins (last punctuation before it, or the start)."""
    last = 0
    for m in _SCOPE_END.finditer(text, 0, pos):
        last = m.end()
    return last


def _read_segment(text: str, hits: list[Hit], portuguese: bool = False
                  ) -> tuple[str, list[str]]:
    """Negated spans removed from the text, and the concept tokens of what is left."""
    # A concept phrase that contains the cue ("no delay", "doesn't matter") is not a negation.
    protected = [(h.start, h.end) for h in hits]
    negated: list[tuple[int, int]] = []
    for regex, after in ((_NEG_BEFORE, True), (_NEG_AFTER, False)):
        for m in regex.finditer(text):
            if any(s <= m.start() < e for s, e in protected):
                continue
            if portuguese and m.group() == "no":  # "no hospital": in the hospital
                continue
            if after:
                negated.append((m.start(), _scope_end(text, m.end())))
            else:
                negated.append((_scope_start(text, m.start()), m.end()))
    dismissed = [(_scope_start(text, h.start), _scope_end(text, h.end))
                 for h in hits if h.concept == "tolerant"]
    concepts = []
    for h in hits:
        if h.concept not in _PROTECTED and any(s <= h.start < e for s, e in negated):
            concepts.append(f"not_{h.concept}")
        elif h.concept in _TIMING and any(s <= h.start < e for s, e in dismissed):
            continue
        else:
            concepts.append(h.concept)
    kept = text
    for s, e in sorted(negated, reverse=True):
        kept = kept[:s] + " " + kept[e:]
    return kept, concepts


def read_request(text: str) -> Reading:
    """Normalise, split into sentences, weigh each by need and context cues, find concepts."""
    normalised = normalise_text(text)
    lexicon = default_lexicon()
    # Only a text with "no" in it needs to know whether it is Portuguese.
    portuguese = " no " in f" {normalised} " and language_of(normalised) == "pt"
    parts = [p for p in _SENTENCE.split(normalised) if p and p.strip()]
    pieces: list[tuple[str, bool]] = []
    for k, part in enumerate(parts):
        cuts = [m.start() for m in _CONTRAST.finditer(part) if m.start() > 0]
        bounds = [0, *cuts, len(part)]
        # A sentence that opens with a contrast ("... . This time, ...") follows one, too.
        opens = k > 0 and bool(_CONTRAST.match(part.lstrip()))
        pieces.extend((part[a:b], i > 0 or opens) for i, (a, b) in enumerate(zip(bounds, bounds[1:],
                                                                                 strict=False)))
    segments = []
    every: set[str] = set()
    contrasted = any(after for _, after in pieces)
    needs = [bool(_NEED.search(piece)) for piece, _ in pieces]
    for (piece, after_contrast), need in zip(pieces or [(normalised, False)], needs or [False],
                                             strict=True):
        hits = lexicon.find(piece)
        kept, concepts = _read_segment(piece, hits, portuguese)
        every.update(concepts)
        if len(pieces) <= 1 or after_contrast or need:
            weight = NEED_WEIGHT
        elif _CONTEXT.search(piece) or contrasted or any(needs):
            # "X, but Y" or "X. I need Y": without a need of its own, X is context.
            weight = CONTEXT_WEIGHT
        else:
            weight = PLAIN_WEIGHT
        segments.append(Segment(kept, tuple(concepts), weight))
    return Reading(normalised, tuple(segments), frozenset(every), need=any(needs),
                   question=bool(_QUESTION.search(normalised)))
