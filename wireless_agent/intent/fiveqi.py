"""Standardised 5QI to QoS characteristics mapping, 3GPP TS 23.501 Table 5.7.4-1, and slices."""

from __future__ import annotations

from dataclasses import dataclass

GBR, NON_GBR, DELAY_CRITICAL = "GBR", "Non-GBR", "Delay-critical GBR"


@dataclass(frozen=True)
class FiveQI:
    """One row: 5QI value, resource type, packet delay budget, packet error rate, services."""

    value: int
    resource_type: str
    pdb_ms: float
    per: float
    services: str


# 3GPP TS 23.501 (Release 17) Table 5.7.4-1 "Standardized 5QI to QoS characteristics mapping".
FIVEQI_TABLE: tuple[FiveQI, ...] = (
    FiveQI(1, GBR, 100, 1e-2, "conversational voice"),
    FiveQI(2, GBR, 150, 1e-3, "conversational video (live streaming)"),
    FiveQI(3, GBR, 50, 1e-3, "real-time gaming, V2X messages, medium-voltage distribution"),
    FiveQI(4, GBR, 300, 1e-6, "non-conversational video (buffered streaming)"),
    FiveQI(65, GBR, 75, 1e-2, "mission-critical push-to-talk voice"),
    FiveQI(66, GBR, 100, 1e-2, "non-mission-critical push-to-talk voice"),
    FiveQI(67, GBR, 100, 1e-3, "mission-critical video user plane"),
    FiveQI(71, GBR, 150, 1e-6, "live uplink streaming"),
    FiveQI(72, GBR, 300, 1e-4, "live uplink streaming"),
    FiveQI(73, GBR, 300, 1e-8, "live uplink streaming"),
    FiveQI(74, GBR, 500, 1e-8, "live uplink streaming"),
    FiveQI(76, GBR, 500, 1e-4, "live uplink streaming"),
    FiveQI(5, NON_GBR, 100, 1e-6, "IMS signalling"),
    FiveQI(6, NON_GBR, 300, 1e-6, "buffered video, TCP (www, e-mail, chat, ftp, p2p)"),
    FiveQI(7, NON_GBR, 100, 1e-3, "voice, live video streaming, interactive gaming"),
    FiveQI(8, NON_GBR, 300, 1e-6, "buffered video, TCP (www, e-mail, chat, ftp, p2p)"),
    FiveQI(9, NON_GBR, 300, 1e-6, "buffered video, TCP (default bearer)"),
    FiveQI(10, NON_GBR, 1100, 1e-6, "buffered video, TCP, incl. satellite access"),
    FiveQI(69, NON_GBR, 60, 1e-6, "mission-critical delay-sensitive signalling"),
    FiveQI(70, NON_GBR, 200, 1e-6, "mission-critical data"),
    FiveQI(79, NON_GBR, 50, 1e-2, "V2X messages"),
    FiveQI(80, NON_GBR, 10, 1e-6, "low-latency eMBB applications, augmented reality"),
    FiveQI(82, DELAY_CRITICAL, 10, 1e-4, "discrete automation"),
    FiveQI(83, DELAY_CRITICAL, 10, 1e-4, "discrete automation, V2X platooning"),
    FiveQI(84, DELAY_CRITICAL, 30, 1e-5, "intelligent transport systems"),
    FiveQI(85, DELAY_CRITICAL, 5, 1e-5, "high-voltage electricity distribution, remote driving"),
    FiveQI(86, DELAY_CRITICAL, 5, 1e-4, "V2X collision avoidance, high-automation platooning"),
    FiveQI(87, DELAY_CRITICAL, 5, 1e-3, "interactive service: motion tracking data"),
    FiveQI(88, DELAY_CRITICAL, 10, 1e-3, "interactive service: motion tracking data"),
    FiveQI(89, DELAY_CRITICAL, 15, 1e-4, "visual content for cloud/edge/split rendering"),
    FiveQI(90, DELAY_CRITICAL, 20, 1e-4, "visual content for cloud/edge/split rendering"),
)
BY_VALUE = {row.value: row for row in FIVEQI_TABLE}
# Largest packet delay budget of any delay-critical row: a bound above it never needs one.
MAX_DELAY_CRITICAL_PDB_MS = max(r.pdb_ms for r in FIVEQI_TABLE if r.resource_type == DELAY_CRITICAL)
# Largest maximum data burst volume of the delay-critical rows (5QI 83/84/86: 1354 bytes).
MAX_DELAY_CRITICAL_BURST_BYTES = 1354
# The project's URLLC slice serves 1-10 ms (env/slices.py); the delay-critical rows' budgets of
# 5-10 ms sit in it. Its eMBB slice starts at 100 Mbps, the URLLC slice stops there.
URLLC_LATENCY_MS = 10.0
EMBB_RATE_MBPS = 100.0
# Packet error rates at or below this are the five-nines class of 5QI 84/85.
URLLC_PER = 1e-5
DEFAULT_NON_GBR = BY_VALUE[9]


def match_5qi(latency_ms: float | None, per: float | None) -> FiveQI:
    """The least demanding row whose delay budget and error rate both meet the bounds."""
    fits = [
        r for r in FIVEQI_TABLE
        if (latency_ms is None or r.pdb_ms <= latency_ms) and (per is None or r.per <= per)
    ]
    if not fits:
        # Tighter than every row (e.g. 1 ms, 1e-6): the strictest delay-critical row it needs.
        strict = [r for r in FIVEQI_TABLE if r.resource_type == DELAY_CRITICAL]
        return min(strict, key=lambda r: (r.pdb_ms, r.per))
    # Largest budget, then largest error rate; ties go to the delay-critical row for a bound at
    # or below 10 ms (the project's URLLC range), else to the non-delay-critical one.
    tight = latency_ms is not None and latency_ms <= URLLC_LATENCY_MS
    return max(fits, key=lambda r: (r.pdb_ms, r.per, (r.resource_type == DELAY_CRITICAL) == tight))
