"""Stated QoS figures in a request (any supported language) and the slice the 5QI table implies."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from wireless_agent.intent.fiveqi import (
    DEFAULT_NON_GBR,
    EMBB_RATE_MBPS,
    MAX_DELAY_CRITICAL_BURST_BYTES,
    MAX_DELAY_CRITICAL_PDB_MS,
    URLLC_LATENCY_MS,
    URLLC_PER,
    match_5qi,
)

_NUM = r"(\d+(?:[.,]\d+)*)"
# Units after a number, longest first; values are the factor to milliseconds, Mbps or bytes.
_TIME_UNITS = {
    "us": 1e-3, "usec": 1e-3, "microsecond": 1e-3, "microseconds": 1e-3, "micro-second": 1e-3,
    "microsegundo": 1e-3, "microsegundos": 1e-3, "mikrosekunde": 1e-3, "mikrosekunden": 1e-3,
    "microseconde": 1e-3, "microsecondes": 1e-3, "microssegundo": 1e-3, "microssegundos": 1e-3,
    "微秒": 1e-3, "マイクロ秒": 1e-3, "ميكروثانية": 1e-3, "ميكرو ثانية": 1e-3,
    "माइक्रोसेकंड": 1e-3,
    "ms": 1.0, "msec": 1.0, "millisecond": 1.0, "milliseconds": 1.0, "milli-second": 1.0,
    "milisegundo": 1.0, "milisegundos": 1.0, "millisekunde": 1.0, "millisekunden": 1.0,
    "milliseconde": 1.0, "millisecondes": 1.0, "milissegundo": 1.0, "milissegundos": 1.0,
    "毫秒": 1.0, "ミリ秒": 1.0, "ミリ": 1.0, "مللي ثانية": 1.0, "ملي ثانية": 1.0,
    "ميلي ثانية": 1.0, "مللي": 1.0, "مللى ثانية": 1.0, "मिलीसेकंड": 1.0, "मिली सेकंड": 1.0,
    "मिलीसेकेंड": 1.0,
    "s": 1e3, "sec": 1e3, "secs": 1e3, "second": 1e3, "seconds": 1e3, "segundo": 1e3,
    "segundos": 1e3, "sekunde": 1e3, "sekunden": 1e3, "seconde": 1e3, "secondes": 1e3,
    "秒": 1e3, "秒钟": 1e3, "ثانية": 1e3, "ثوان": 1e3, "सेकंड": 1e3, "सेकेंड": 1e3,
    "min": 6e4, "minute": 6e4, "minutes": 6e4, "minutos": 6e4, "minuten": 6e4, "分钟": 6e4,
}
_RATE_UNITS = {
    "kbps": 1e-3, "kbit/s": 1e-3, "kb/s": 1e-3, "kbits": 1e-3, "kbit": 1e-3, "كيلوبت": 1e-3,
    "mbps": 1.0, "mbit/s": 1.0, "mb/s": 1.0, "mbits": 1.0, "mbit": 1.0, "mbits/s": 1.0,
    "兆": 1.0, "兆比特": 1.0, "メガビット": 1.0, "ميغابت": 1.0, "ميجابت": 1.0, "ميغا بت": 1.0,
    "मेगाबिट": 1.0, "एमबीपीएस": 1.0,
    "gbps": 1e3, "gbit/s": 1e3, "gb/s": 1e3, "gbits": 1e3, "gbit": 1e3, "千兆": 1e3,
    "ギガビット": 1e3, "جيجابت": 1e3, "غيغابت": 1e3, "गीगाबिट": 1e3, "tbps": 1e6,
}
_SIZE_UNITS = {
    "byte": 1, "bytes": 1, "octet": 1, "octets": 1, "字节": 1, "バイト": 1, "بايت": 1,
    "बाइट": 1, "kb": 1e3, "kbyte": 1e3, "kbytes": 1e3, "kilobyte": 1e3, "kilobytes": 1e3,
}
_HZ_UNITS = {"hz": 1.0, "khz": 1e3, "赫兹": 1.0, "ヘルツ": 1.0, "هرتز": 1.0, "हर्ट्ज़": 1.0,
             "हर्ट्ज": 1.0}


def _unit_alternation(units: dict[str, float]) -> str:
    """Regex alternation of unit spellings, longest first; spaces match any blank."""
    return "|".join(re.escape(u).replace(r"\ ", r"\s*") for u in sorted(units, key=len,
                                                                         reverse=True))


_LATIN_END = r"(?![a-z])"
_TIME = re.compile(rf"{_NUM}\s*-?\s*({_unit_alternation(_TIME_UNITS)}){_LATIN_END}")
_RATE = re.compile(rf"{_NUM}\s*({_unit_alternation(_RATE_UNITS)}){_LATIN_END}")
_SIZE = re.compile(rf"{_NUM}\s*-?\s*({_unit_alternation(_SIZE_UNITS)}){_LATIN_END}")
_HZ = re.compile(rf"{_NUM}\s*({_unit_alternation(_HZ_UNITS)}){_LATIN_END}")
_PERCENT = re.compile(rf"{_NUM}\s*%")
# "1-10^-5", "1 − 10-5" (NFKC turns ⁻⁵ into −5): a reliability stated as one minus an error.
_ONE_MINUS = re.compile(r"(?<![\d.])1\s*[-−]\s*10\s*\^?\s*[-−]\s*(\d{1,2})(?!\d)")
_POWER = re.compile(r"(?<![\d.])(?:(\d+(?:\.\d+)?)\s*[x×*]\s*)?10\s*\^?\s*[-−]\s*(\d{1,2})(?!\d)"
                    r"|(?<![\d.])(\d+(?:\.\d+)?)\s*e\s*[-−]\s*(\d{1,2})(?!\d)")
# "十万分之一" (one in a hundred thousand), "10万分の1": an error rate written as a fraction.
_FRACTION = re.compile(r"(十万|百万|千万|万|千|10万|100万)分[之の]\s*(一|1)")
_FRACTION_VALUE = {"万": 1e-4, "十万": 1e-5, "10万": 1e-5, "百万": 1e-6, "100万": 1e-6,
                   "千万": 1e-7, "千": 1e-3}
# Chinese numerals before a unit ("五毫秒", "两百兆"): read as digits first.
_CN_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零一二两三四五六七八九十百千]+"
                        r"(?=\s*(毫秒|微秒|秒|兆|千兆|字节|赫兹|ms|mbps))")
_NINES = re.compile(r"\b(three|four|five|six|seven|3|4|5|6|7)[\s-]+nines\b")
_NINE_COUNT = {"three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}

_JITTER = re.compile(r"jitter|抖动|ジッタ|gigue|تذبذب|जिटर|fluctuac|schwankung")
_CYCLE = re.compile(r"cycle|ciclo|zyklus|周期|サイクル|دورة|चक्र|loop|takt")
_EVERY = re.compile(r"\b(every|each|cada|alle|tous les|toutes les|a cada)\s*$|每\s*$|كل\s*$|हर\s*$")
_EVERY_AFTER = re.compile(r"^\s*(ごと|毎|一次|に1回|に一回)")
_PER_SECOND = re.compile(r"(per second|/s\b|a second|por segundo|pro sekunde|par seconde|"
                         r"mal pro sekunde|fois par seconde|vezes por segundo|veces por segundo|"
                         r"次/秒|回/秒|في الثانية|प्रति सेकंड)")
_PER_SECOND_BEFORE = re.compile(r"(每秒|毎秒|秒間)\s*$")
_ERROR_WORDS = re.compile(r"per\b|error|loss|bler|fehler|erreur|perte|perdida|perda|误|丢包|誤り|"
                          r"損失|خطأ|فقد|त्रुटि")
_RELIABILITY_WORDS = re.compile(r"reliab|availab|success|uptime|delivery|fiab|confiab|zuverl|"
                                r"verfugbar|disponib|可靠|信頼|موثوق|विश्वसनीय|नियम")
_DOWN = re.compile(r"down|\bdl\b|descarga|bajada|descend|herunter|下行|下载|下り|ダウン|تنزيل|"
                   r"التنزيل|डाउनलोड")
_UP = re.compile(r"\bup\b|uplink|upstream|upload|\bul\b|subida|ascend|hochlad|montant|"
                 r"上行|上传|上り|アップ|رفع|अपलोड")
_QUALITATIVE = re.compile(
    r"(latenc\w*|delay|retardo|latenz|latence|atraso|延迟|时延|遅延|التأخير|تأخير|विलंब)"
    r"[^.;,]{0,12}?(tolerant|tolerante|moderate|moderado|moderada|moderat|moderee|critical|"
    r"critico|critica|kritisch|critique|strict|estricto|strikt)"
)
_WINDOW = 28


def _number(text: str, percent: bool = False) -> float:
    """A number with decimal comma or point ("2,5", "99,999 %"), or thousands ("1,000")."""
    if "," in text and "." not in text:
        head, _, tail = text.rpartition(",")
        if len(tail) == 3 and not percent and "," not in head:
            return float(head + tail)
        return float(text.replace(",", "."))
    return float(text.replace(",", ""))


@dataclass
class Requirements:
    """What the request states in figures, and what the 5QI table makes of it."""

    latency_ms: float | None = None
    jitter_ms: float | None = None
    cycle_ms: float | None = None
    reliability: float | None = None
    per: float | None = None
    rate_down_mbps: float | None = None
    rate_up_mbps: float | None = None
    rate_mbps: float | None = None  # direction not stated
    payload_bytes: float | None = None
    update_hz: float | None = None
    best_effort: bool = False
    tolerant: bool = False
    critical: bool = False
    stated: list[str] = field(default_factory=list)  # the figures as written
    urllc_evidence: list[str] = field(default_factory=list)
    embb_evidence: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        """Whether the request stated anything the slice can be read from."""
        return bool(self.urllc_evidence or self.embb_evidence)

    @property
    def slice(self) -> str | None:
        """URLLC or eMBB when the figures point one way, None when silent or conflicting."""
        if self.urllc_evidence and not self.embb_evidence:
            return "URLLC"
        if self.embb_evidence and not self.urllc_evidence:
            return "eMBB"
        return None

    @property
    def conflict(self) -> bool:
        """Whether the figures point to both slices."""
        return bool(self.urllc_evidence and self.embb_evidence)

    def tightest_ms(self) -> float | None:
        """The tightest stated timing bound (latency, cycle time, jitter, update period)."""
        values = [v for v in (self.latency_ms, self.cycle_ms, self.jitter_ms) if v is not None]
        if self.update_hz:
            values.append(1000.0 / self.update_hz)
        return min(values) if values else None

    def as_dict(self) -> dict[str, Any]:
        """Plain values for the decision record, with the matched 5QI and the slice it implies."""
        out = {k: v for k, v in asdict(self).items() if v not in (None, False, [])}
        if self.any:
            tight = self.tightest_ms()
            if (tight is None and self.per is None) or (self.best_effort and not
                                                         self.urllc_evidence):
                row = DEFAULT_NON_GBR  # no delay or error bound stated: the default bearer
            else:
                row = match_5qi(tight, self.per)
            out["5qi"] = {"value": row.value, "resource_type": row.resource_type,
                          "pdb_ms": row.pdb_ms, "per": row.per, "services": row.services}
            out["slice"] = self.slice
            out["conflict"] = self.conflict
        return out


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    """The text just before and just after a span."""
    return text[max(0, start - _WINDOW) : start], text[end : end + _WINDOW]


def _direction(text: str, start: int, end: int) -> str | None:
    """'down' or 'up' from the nearest direction word around a rate, else None."""
    before, after = _context(text, start, end)
    best: tuple[int, str] | None = None
    for regex, name in ((_DOWN, "down"), (_UP, "up")):
        for m in regex.finditer(before):
            d = len(before) - m.end()
            best = min(best, (d, name)) if best else (d, name)
        first = regex.search(after)
        if first:
            best = min(best, (first.start(), name)) if best else (first.start(), name)
    return best[1] if best else None


def _cn_value(numeral: str) -> int:
    """The value of a Chinese numeral up to the thousands ("五", "十五", "两百", "一千二")."""
    total, digit = 0, 0
    for ch in numeral:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        else:
            total += (digit or 1) * {"十": 10, "百": 100, "千": 1000}[ch]
            digit = 0
    return total + digit


def parse_requirements(normalised: str, concepts: set[str] | None = None) -> Requirements:
    """Figures stated in an already normalised request; `concepts` adds best-effort/tolerant."""
    r = Requirements()
    text = _CN_NUMBER.sub(lambda m: str(_cn_value(m.group())), normalised)
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        if any(m.start() < e and s < m.end() for s, e in taken):
            return False
        taken.append((m.start(), m.end()))
        return True

    for m in _RATE.finditer(text):
        if not free(m):
            continue
        mbps = _number(m.group(1)) * _RATE_UNITS[re.sub(r"\s+", " ", m.group(2))]
        r.stated.append(m.group(0))
        direction = _direction(text, m.start(), m.end())
        key = {"down": "rate_down_mbps", "up": "rate_up_mbps"}.get(direction or "", "rate_mbps")
        setattr(r, key, max(getattr(r, key) or 0.0, mbps))
    for m in _ONE_MINUS.finditer(text):
        if free(m):
            r.per = min(r.per or 1.0, 10.0 ** -int(m.group(1)))
            r.reliability = 1.0 - r.per
            r.stated.append(m.group(0))
    for m in _PERCENT.finditer(text):
        value = _number(m.group(1), percent=True)
        before, _ = _context(text, m.start(), m.end())
        if 90.0 <= value < 100.0 and (value >= 99.0 or _RELIABILITY_WORDS.search(before)) \
                and free(m):
            r.reliability = max(r.reliability or 0.0, value / 100.0)
            r.per = min(r.per or 1.0, round(1.0 - value / 100.0, 12))
            r.stated.append(m.group(0))
    for m in _FRACTION.finditer(text):
        if free(m):
            r.per = min(r.per or 1.0, _FRACTION_VALUE[m.group(1)])
            r.reliability = 1.0 - r.per
            r.stated.append(m.group(0))
    for m in _NINES.finditer(text):
        if free(m):
            n = _NINE_COUNT.get(m.group(1)) or int(m.group(1))
            r.per = min(r.per or 1.0, 10.0 ** -n)
            r.reliability = 1.0 - r.per
            r.stated.append(m.group(0))
    for m in _POWER.finditer(text):
        if not free(m):
            continue
        mant = m.group(1) or m.group(3)
        exp = m.group(2) or m.group(4)
        value = float(mant or 1.0) * 10.0 ** -int(exp)
        r.per = min(r.per or 1.0, value)
        r.reliability = 1.0 - r.per
        r.stated.append(m.group(0))
    for m in _HZ.finditer(text):
        if free(m):
            r.update_hz = max(r.update_hz or 0.0, _number(m.group(1)) * _HZ_UNITS[m.group(2)])
            r.stated.append(m.group(0))
    for m in _SIZE.finditer(text):
        if free(m):
            r.payload_bytes = _number(m.group(1)) * _SIZE_UNITS[m.group(2)]
            r.stated.append(m.group(0))
    for m in _TIME.finditer(text):
        if not free(m):
            continue
        ms = _number(m.group(1)) * _TIME_UNITS[re.sub(r"\s+", " ", m.group(2))]
        before, after = _context(text, m.start(), m.end())
        r.stated.append(m.group(0))
        if _PER_SECOND.match(after.lstrip()) or _PER_SECOND_BEFORE.search(before):
            continue
        if _EVERY.search(before) or _EVERY_AFTER.search(after):
            r.update_hz = max(r.update_hz or 0.0, 1000.0 / ms) if ms > 0 else r.update_hz
        elif _JITTER.search(before[-18:]) or _JITTER.match(after.lstrip()):
            r.jitter_ms = ms if r.jitter_ms is None else min(r.jitter_ms, ms)
        elif _CYCLE.search(before[-18:]):
            r.cycle_ms = ms if r.cycle_ms is None else min(r.cycle_ms, ms)
        else:
            r.latency_ms = ms if r.latency_ms is None else min(r.latency_ms, ms)
    for m in _QUALITATIVE.finditer(text):
        word = m.group(2)
        if word.startswith(("toler", "moder")):
            r.tolerant = True
        else:
            r.critical = True
    concepts = concepts or set()
    r.best_effort = r.best_effort or "besteffort" in concepts
    r.tolerant = r.tolerant or ("tolerant" in concepts and not r.critical)
    _judge(r)
    return r


def _judge(r: Requirements) -> None:
    """Fill the evidence lists from the figures, by the 5QI delay budgets and error rates."""
    tight = r.tightest_ms()
    if r.latency_ms is not None and r.latency_ms <= URLLC_LATENCY_MS:
        r.urllc_evidence.append(f"latency {r.latency_ms:g} ms <= {URLLC_LATENCY_MS:g} ms")
    elif r.latency_ms is not None and r.latency_ms > MAX_DELAY_CRITICAL_PDB_MS:
        r.embb_evidence.append(
            f"latency {r.latency_ms:g} ms > every delay-critical budget "
            f"({MAX_DELAY_CRITICAL_PDB_MS:g} ms)")
    for name, value in (("cycle time", r.cycle_ms), ("jitter", r.jitter_ms)):
        if value is not None and value <= URLLC_LATENCY_MS:
            r.urllc_evidence.append(f"{name} {value:g} ms")
    if r.update_hz and 1000.0 / r.update_hz <= URLLC_LATENCY_MS:
        r.urllc_evidence.append(f"update rate {r.update_hz:g} Hz")
    if r.per is not None and r.per <= URLLC_PER:
        r.urllc_evidence.append(f"packet error rate {r.per:.0e} <= {URLLC_PER:.0e}")
    if r.critical:
        r.urllc_evidence.append("latency stated as critical")
    rates = [v for v in (r.rate_down_mbps, r.rate_up_mbps, r.rate_mbps) if v is not None]
    if rates and max(rates) >= EMBB_RATE_MBPS:
        r.embb_evidence.append(f"data rate {max(rates):g} Mbps >= {EMBB_RATE_MBPS:g} Mbps")
    if r.best_effort:
        r.embb_evidence.append("best effort (non-GBR)")
    if r.tolerant and not r.urllc_evidence:
        r.embb_evidence.append("delay tolerant")
    # A small payload only backs a timing figure; alone it says nothing about the slice.
    if (r.payload_bytes is not None and r.payload_bytes <= MAX_DELAY_CRITICAL_BURST_BYTES
            and r.urllc_evidence and tight is not None):
        r.urllc_evidence.append(f"payload {r.payload_bytes:g} bytes (delay-critical burst)")


def stated_requirements(text: str) -> dict[str, Any] | None:
    """The figures a raw request states, as for the decision record (None if it states none)."""
    from wireless_agent.intent.reading import read_request

    reading = read_request(text)
    req = parse_requirements(reading.normalised, set(reading.concepts))
    return req.as_dict() if (req.any or req.stated) else None
