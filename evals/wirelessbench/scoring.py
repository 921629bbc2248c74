"""WirelessBench's WCNS and WCMSA scoring, ported line for line from its benchmarks/ folder.

Port of `benchmarks/wcns.py` (WCNSBenchmark) and `benchmarks/wcmsa.py` (WCMSABenchmark) of
github.com/jwentong/WirelessBench, MIT licence, Copyright (c) 2026 Jingwen Tong (the licence is
shipped in `evals/wirelessbench/data/LICENSE`). Same regular expressions in the same order, same
ranges, tolerance tiers and weights. Only the scoring is ported (no logging, no agent calls).

Where their class defines a method twice (WCMSA's `extract_cqi` and `calculate_cqi_score`),
Python keeps the later definition, so that is the one ported here.
"""

from __future__ import annotations

import math
import re
from typing import Any

EMBB_BANDWIDTH_RANGE = (6.0, 20.0)  # MHz
URLLC_BANDWIDTH_RANGE = (1.0, 5.0)  # MHz

WCNS_WEIGHTS = {"slice": 0.25, "cqi": 0.15, "bandwidth": 0.35, "throughput": 0.25}
WCMSA_WEIGHTS = {"position": 0.15, "cqi": 0.15, "slice": 0.20, "bandwidth": 0.25,
                 "throughput": 0.20, "qos": 0.05}
COMPONENTS = {"wcns": tuple(WCNS_WEIGHTS), "wcmsa": tuple(WCMSA_WEIGHTS)}


# -- shared tiers (identical in both files) ----------------------------------------------------


def _relative_tier(expected: float, predicted: float) -> float:
    """Their relative-error tiers: <2 % 1, <5 % .95, <10 % .85, <20 % .7, <30 % .5, <50 % .3."""
    if abs(expected) < 1e-10:
        return 1.0 if abs(predicted) < 1e-10 else 0.0
    relative_error = abs(expected - predicted) / abs(expected)
    for bound, score in ((0.02, 1.0), (0.05, 0.95), (0.10, 0.85), (0.20, 0.70), (0.30, 0.50),
                         (0.50, 0.30)):
        if relative_error < bound:
            return score
    return 0.0


def throughput_score(expected: float | None, predicted: float | None) -> float:
    """Throughput score (both benchmarks): relative-error tiers."""
    if expected is None or predicted is None:
        return 0.0
    return _relative_tier(expected, predicted)


def bandwidth_score(expected: float | None, predicted: float | None,
                    slice_type: str | None = None) -> float:
    """Bandwidth score (both benchmarks): out of the slice's range 0.5 or 0.2, else the tiers."""
    if expected is None or predicted is None:
        return 0.0
    if slice_type:
        lo, hi = EMBB_BANDWIDTH_RANGE if slice_type.lower() == "embb" else URLLC_BANDWIDTH_RANGE
        if not (lo <= predicted <= hi):
            distance = (lo - predicted) / lo if predicted < lo else (predicted - hi) / hi
            return 0.5 if distance < 0.2 else 0.2
    return _relative_tier(expected, predicted)


def _norm_slice(value: str) -> str:
    value = value.lower().strip()
    return "embb" if "embb" in value else ("urllc" if "urllc" in value else value)


def slice_score(expected: str | None, predicted: str | None) -> float:
    """Slice score (both benchmarks): 1 when the normalised names agree."""
    if expected is None or predicted is None:
        return 0.0
    return 1.0 if _norm_slice(expected) == _norm_slice(predicted) else 0.0


def _last_float(patterns: list[str], text: str, lo: float, hi: float,
                flags: int = re.IGNORECASE) -> float | None:
    """The last match of the first pattern whose last match parses and lies in [lo, hi]."""
    for pattern in patterns:
        matches = re.findall(pattern, text, flags)
        if matches:
            try:
                value = float(matches[-1])
            except ValueError:
                continue
            if lo <= value <= hi:
                return value
    return None


def _last_int(patterns: list[str], text: str, lo: int, hi: int) -> int | None:
    for pattern in patterns:
        matches = re.findall(pattern, text, re.IGNORECASE)
        if matches:
            try:
                value = int(matches[-1])
            except ValueError:
                continue
            if lo <= value <= hi:
                return value
    return None


# -- WCNS ---------------------------------------------------------------------------------------


def wcns_extract_slice_type(text: str | None) -> str | None:
    """WCNSBenchmark.extract_slice_type."""
    if text is None:
        return None
    lower = str(text).lower()
    embb = [r"\bembb\b", r"e-?mbb", r"enhanced mobile broadband", r"high bandwidth",
            r"high-bandwidth"]
    urllc = [r"\burllc\b", r"u-?rllc", r"ultra[\s-]?reliable", r"low[\s-]?latency",
             r"mission[\s-]?critical"]
    embb_score = sum(1 for p in embb if re.search(p, lower))
    urllc_score = sum(1 for p in urllc if re.search(p, lower))
    if embb_score > urllc_score:
        return "eMBB"
    if urllc_score > embb_score:
        return "URLLC"
    if "embb" in lower:
        return "eMBB"
    if "urllc" in lower:
        return "URLLC"
    return None


def wcns_extract_bandwidth(text: str | None) -> float | None:
    """WCNSBenchmark.extract_bandwidth."""
    if text is None:
        return None
    patterns = [
        r"(\d+\.?\d*)\s*(?:mhz|MHz)",
        r"bandwidth[:\s=]+(\d+\.?\d*)",
        r"allocated_bandwidth[:\s=]+(\d+\.?\d*)",
        r'"bandwidth"[:\s]+(\d+\.?\d*)',
        r'"allocated_bandwidth"[:\s]+(\d+\.?\d*)',
        r"allocate[d]?\s+(\d+\.?\d*)\s*(?:mhz|MHz)?",
    ]
    return _last_float(patterns, str(text), 0.1, 100)


def wcns_extract_rate(text: str | None) -> float | None:
    """WCNSBenchmark.extract_rate."""
    if text is None:
        return None
    patterns = [
        r"throughput[:\s=]+(\d+\.?\d*)",
        r'"throughput"[:\s]+(\d+\.?\d*)',
        r"THROUGHPUT[:\s=]+(\d+\.?\d*)",
        r"(\d+\.?\d*)\s*(?:mbps|Mbps|MB/s)",
        r"rate[:\s=]+(\d+\.?\d*)",
        r"expected_rate[:\s=]+(\d+\.?\d*)",
        r'"rate"[:\s]+(\d+\.?\d*)',
        r'"expected_rate"[:\s]+(\d+\.?\d*)',
    ]
    return _last_float(patterns, str(text), 0.1, 1000)


def wcns_extract_cqi(text: str | None) -> int | None:
    """WCNSBenchmark.extract_cqi."""
    if text is None:
        return None
    patterns = [r"CQI[:\s=]+(\d+)", r'"cqi"[:\s]+(\d+)', r"cqi[:\s=]+(\d+)",
                r"Channel Quality Indicator[:\s()]+(\d+)"]
    return _last_int(patterns, str(text), 1, 15)


def wcns_cqi_score(expected: int | None, predicted: int | None) -> float:
    """WCNSBenchmark.calculate_cqi_score: exact 1, off by 1 0.8, 2 0.5, up to 4 0.2."""
    if expected is None or predicted is None:
        return 0.0
    diff = abs(expected - predicted)
    return {0: 1.0, 1: 0.8, 2: 0.5}.get(diff, 0.2 if diff <= 4 else 0.0)


def score_wcns(expected: dict[str, Any], prediction: str) -> tuple[float, dict[str, Any]]:
    """WCNSBenchmark.calculate_score: (combined score, extracted values and component scores)."""
    pred_slice = wcns_extract_slice_type(prediction)
    pred_bw = wcns_extract_bandwidth(prediction)
    pred_tp = wcns_extract_rate(prediction)
    pred_cqi = wcns_extract_cqi(prediction)
    exp_slice = expected.get("slice_type")
    exp_bw = expected.get("bandwidth") or expected.get("allocated_bandwidth")
    exp_tp = expected.get("throughput") or expected.get("expected_rate")
    exp_cqi = expected.get("cqi")
    s = slice_score(exp_slice, pred_slice)
    b = bandwidth_score(exp_bw, pred_bw, exp_slice)
    t = throughput_score(exp_tp, pred_tp)
    c = wcns_cqi_score(exp_cqi, pred_cqi) if exp_cqi is not None else 0.0
    if exp_cqi is not None:
        w = WCNS_WEIGHTS
        combined = w["slice"] * s + w["cqi"] * c + w["bandwidth"] * b + w["throughput"] * t
    else:  # their backward-compatible weights for data without CQI
        combined = 0.30 * s + 0.40 * b + 0.30 * t
    extracted = {"pred_slice_type": pred_slice, "pred_cqi": pred_cqi, "pred_bandwidth": pred_bw,
                 "pred_throughput": pred_tp, "slice_score": s, "cqi_score": c,
                 "bandwidth_score": b, "throughput_score": t}
    return combined, extracted


# -- WCMSA --------------------------------------------------------------------------------------

_NUM = r"([-+]?\d+\.?\d*)"


def wcmsa_extract_position(text: str | None) -> tuple[float | None, float | None]:
    """WCMSABenchmark.extract_position."""
    if text is None:
        return None, None
    patterns = [
        rf"[Pp]redicted\s+[Pp]osition[:\s]*\(?\s*{_NUM}\s*,\s*{_NUM}",
        rf"\*\*[Pp]redicted\s+[Pp]osition[:\*\s]*\(?\s*{_NUM}\s*,\s*{_NUM}",
        rf"next\s+position[:\s]*\(?\s*{_NUM}\s*,\s*{_NUM}",
        rf'"predicted_position"[:\s]*\{{[^}}]*"x"[:\s]*{_NUM}[^}}]*"y"[:\s]*{_NUM}',
        rf"`\s*\(\s*{_NUM}\s*,\s*{_NUM}\s*\)\s*`",
    ]
    for pattern in patterns:
        matches = re.findall(pattern, str(text), re.IGNORECASE | re.DOTALL)
        if matches:
            try:
                x, y = float(matches[-1][0]), float(matches[-1][1])
            except (ValueError, IndexError):
                continue
            if -500 <= x <= 500 and -500 <= y <= 500:
                return x, y
    return None, None


def wcmsa_extract_cqi(text: str | None) -> int | None:
    """WCMSABenchmark.extract_cqi (its second definition, the one Python keeps)."""
    if text is None:
        return None
    patterns = [r"[Pp]redicted\s+CQI[:\s]*(\d+)", r"\*\*[Pp]redicted\s+CQI[:\*\s]*(\d+)",
                r"CQI[:\s]*(\d+)", r'"predicted_cqi"[:\s]*(\d+)']
    return _last_int(patterns, str(text), 1, 15)


def wcmsa_extract_slice_type(text: str | None) -> str | None:
    """WCMSABenchmark.extract_slice_type."""
    if text is None:
        return None
    text_str = str(text)
    lower = text_str.lower()
    explicit = [
        r"[Ss]lice\s+[Tt]ype[:\s]*[`\*]*\s*(eMBB|URLLC|embb|urllc)",
        r"\*\*[Ss]lice\s+[Tt]ype[:\*\s]*[`\*]*\s*(eMBB|URLLC|embb|urllc)",
        r"[Ss]lice[:\s]+[`\*]*(eMBB|URLLC|embb|urllc)",
    ]
    for pattern in explicit:
        matches = re.findall(pattern, text_str, re.IGNORECASE)
        if matches:
            result = matches[-1].upper()
            if "EMBB" in result:
                return "eMBB"
            if "URLLC" in result:
                return "URLLC"
    embb = [r"\bembb\b", r"e-?mbb", r"enhanced mobile broadband"]
    urllc = [r"\burllc\b", r"u-?rllc", r"ultra[\s-]?reliable", r"low[\s-]?latency"]
    embb_score = sum(1 for p in embb if re.search(p, lower))
    urllc_score = sum(1 for p in urllc if re.search(p, lower))
    if embb_score > urllc_score:
        return "eMBB"
    if urllc_score > embb_score:
        return "URLLC"
    if "embb" in lower:
        return "eMBB"
    if "urllc" in lower:
        return "URLLC"
    return None


def wcmsa_extract_bandwidth(text: str | None) -> float | None:
    """WCMSABenchmark.extract_bandwidth."""
    if text is None:
        return None
    text_str = str(text)
    priority = [r"[Bb]andwidth[:\s]*[`\*]*\s*([\d.]+)\s*(?:MHz|mhz)?",
                r"\*\*[Bb]andwidth[:\*\s]*[`\*]*\s*([\d.]+)\s*(?:MHz|mhz)?"]
    value = _last_float(priority, text_str, 1.0, 30)
    if value is not None:
        return value
    others = [r'"allocated_bandwidth"[:\s]*([\d.]+)', r"allocat(?:ed|e)[:\s]*([\d.]+)\s*(?:mhz)?",
              r"([\d.]+)\s*mhz\s*bandwidth"]
    return _last_float(others, text_str, 1.0, 30)


def wcmsa_extract_throughput(text: str | None) -> float | None:
    """WCMSABenchmark.extract_throughput."""
    if text is None:
        return None
    patterns = [r"throughput[:\s=]*([\d.]+)\s*(?:mbps)?", r'"throughput"[:\s]*([\d.]+)',
                r"([\d.]+)\s*mbps", r"rate[:\s=]*([\d.]+)\s*(?:mbps)?"]
    return _last_float(patterns, str(text), 0.1, 1000)


def wcmsa_extract_qos(text: str | None) -> bool | None:
    """WCMSABenchmark.extract_qos_satisfied (first match, not last, as theirs)."""
    if text is None:
        return None
    lower = str(text).lower()
    for pattern in (r"qos\s+satisfied[:\s]*(yes|no|true|false)",
                    r"qos[:\s]*(satisfied|not\s+satisfied|met|not\s+met)"):
        match = re.search(pattern, lower)
        if match:
            result = match.group(1)
            if result in ("yes", "true", "satisfied", "met"):
                return True
            if result in ("no", "false", "not satisfied", "not met"):
                return False
    return None


def wcmsa_position_score(expected: dict[str, float], x: float | None, y: float | None) -> float:
    """WCMSABenchmark.calculate_position_score: 1 - (d/20)^1.2, 0 from 20 m."""
    if x is None or y is None:
        return 0.0
    distance = math.sqrt((expected.get("x", 0) - x) ** 2 + (expected.get("y", 0) - y) ** 2)
    if distance >= 20.0:
        return 0.0
    return max(0.0, 1.0 - (distance / 20.0) ** 1.2)


def wcmsa_cqi_score(expected: int | None, predicted: int | None) -> float:
    """WCMSABenchmark.calculate_cqi_score: 1, 0.9, 0.75, 0.5 for 0..3 off, 0.25 up to 5."""
    if expected is None or predicted is None:
        return 0.0
    diff = abs(expected - predicted)
    return {0: 1.0, 1: 0.90, 2: 0.75, 3: 0.50}.get(diff, 0.25 if diff <= 5 else 0.0)


def wcmsa_qos_score(expected: bool | None, predicted: bool | None) -> float:
    """WCMSABenchmark.calculate_qos_score."""
    if expected is None or predicted is None:
        return 0.0
    return 1.0 if expected == predicted else 0.0


def score_wcmsa(expected: dict[str, Any], prediction: str) -> tuple[float, dict[str, Any]]:
    """WCMSABenchmark.calculate_score: (combined score, extracted values and component scores)."""
    px, py = wcmsa_extract_position(prediction)
    pred_cqi = wcmsa_extract_cqi(prediction)
    pred_slice = wcmsa_extract_slice_type(prediction)
    pred_bw = wcmsa_extract_bandwidth(prediction)
    pred_tp = wcmsa_extract_throughput(prediction)
    pred_qos = wcmsa_extract_qos(prediction)
    exp_cqi = expected.get("predicted_cqi")
    exp_slice = expected.get("slice_type")
    exp_bw = expected.get("bandwidth") or expected.get("allocated_bandwidth")
    exp_tp = expected.get("throughput") or expected.get("expected_rate")
    p = wcmsa_position_score(expected.get("predicted_position", {}), px, py)
    s = slice_score(exp_slice, pred_slice)
    b = bandwidth_score(exp_bw, pred_bw, exp_slice)
    t = throughput_score(exp_tp, pred_tp)
    c = q = 0.0
    if exp_cqi is not None:
        c = wcmsa_cqi_score(exp_cqi, pred_cqi)
        q = wcmsa_qos_score(expected.get("qos_satisfied"), pred_qos)
        w = WCMSA_WEIGHTS
        combined = (w["position"] * p + w["cqi"] * c + w["slice"] * s + w["bandwidth"] * b
                    + w["throughput"] * t + w["qos"] * q)
    else:  # their backward-compatible weights for data without CQI
        combined = 0.20 * p + 0.25 * s + 0.30 * b + 0.25 * t
    extracted = {"pred_position": {"x": px, "y": py}, "pred_cqi": pred_cqi,
                 "pred_slice_type": pred_slice, "pred_bandwidth": pred_bw,
                 "pred_throughput": pred_tp, "pred_qos_satisfied": pred_qos,
                 "position_score": p, "cqi_score": c, "slice_score": s, "bandwidth_score": b,
                 "throughput_score": t, "qos_score": q}
    return combined, extracted


SCORERS = {"wcns": score_wcns, "wcmsa": score_wcmsa}


def components(task: str, extracted: dict[str, Any]) -> dict[str, float]:
    """The component scores of one scored item, by component name."""
    return {name: float(extracted[f"{name}_score"]) for name in COMPONENTS[task]}
