"""The QoS-figure parser, in the forms each supported language writes them, and the 5QI map."""

from __future__ import annotations

import pytest

from wireless_agent.intent.fiveqi import BY_VALUE, DELAY_CRITICAL, FIVEQI_TABLE, match_5qi
from wireless_agent.intent.qos import parse_requirements, stated_requirements
from wireless_agent.intent.reading import read_request


def _req(text: str):
    reading = read_request(text)
    return parse_requirements(reading.normalised, set(reading.concepts))


@pytest.mark.parametrize(("text", "field", "value"), [
    ("latency under 2,5 ms", "latency_ms", 2.5),
    ("latency below 500 us", "latency_ms", 0.5),
    ("latence de 500 µs", "latency_ms", 0.5),
    ("up to 2 s of delay", "latency_ms", 2000.0),
    ("时延低于5毫秒", "latency_ms", 5.0),
    ("遅延1ミリ秒以下", "latency_ms", 1.0),
    ("زمن استجابة أقل من ٥ مللي ثانية", "latency_ms", 5.0),
    ("विलंब २ मिलीसेकंड से कम", "latency_ms", 2.0),
    ("jitter below 10 µs", "jitter_ms", 0.01),
    ("Zykluszeit 1 ms", "cycle_ms", 1.0),
    ("PLC控制周期2 ms", "cycle_ms", 2.0),
    ("every 2 ms a telegram", "update_hz", 500.0),
    ("update rate 1 kHz", "update_hz", 1000.0),
    ("Mindestens 200 Mbit/s im Downlink", "rate_down_mbps", 200.0),
    ("50 Mbps uplink", "rate_up_mbps", 50.0),
    ("1,5 Gbit/s down please", "rate_down_mbps", 1500.0),
    ("1.5 Gbit/s down please", "rate_down_mbps", 1500.0),
    ("下行至少300 Mbps", "rate_down_mbps", 300.0),
    ("about 1,000 kbps", "rate_mbps", 1.0),
    ("32-byte payload", "payload_bytes", 32.0),
    ("32 octets par trame", "payload_bytes", 32.0),
])
def test_figures_in_their_usual_forms(text: str, field: str, value: float) -> None:
    assert getattr(_req(text), field) == pytest.approx(value)


@pytest.mark.parametrize(("text", "per"), [
    ("99.999 % reliability", 1e-5),
    ("fiabilidad del 99,999 %", 1e-5),
    ("reliability 1-10^-5", 1e-5),
    ("reliability 1 − 10⁻⁶", 1e-6),
    ("PER of 1e-6", 1e-6),
    ("packet error rate 10^-4", 1e-4),
    ("five nines availability", 1e-5),
    ("可靠性99.9999%", 1e-6),
])
def test_reliability_and_error_rates(text: str, per: float) -> None:
    assert _req(text).per == pytest.approx(per)


@pytest.mark.parametrize(("text", "slice_"), [
    ("latency under 100 ms is fine, 300 Mbps down", "eMBB"),
    ("2,5 ms one-way, 99.999 % reliability, 32-byte payload", "URLLC"),
    ("best effort", "eMBB"),
    ("Latency: tolerant. Minimum 80 Mbps.", "eMBB"),
    ("Minimum 10 Mbps, Latency: critical", "URLLC"),
    ("cycle time 500 us", "URLLC"),
    ("latency 20 ms", None),  # between the two slices: the words decide
])
def test_slice_from_figures(text: str, slice_: str | None) -> None:
    assert _req(text).slice == slice_


def test_conflicting_figures_are_flagged() -> None:
    r = _req("1 Gbps down with 1 ms latency")
    assert r.conflict and r.slice is None
    assert stated_requirements("1 Gbps down with 1 ms latency")["conflict"] is True


def test_no_figures_no_requirements() -> None:
    assert stated_requirements("I want to watch a film") is None
    assert not _req("we have 3 cameras and 40 AGVs").any


def test_5qi_table_and_matching() -> None:
    # Spot checks against 3GPP TS 23.501 Table 5.7.4-1.
    assert (BY_VALUE[1].pdb_ms, BY_VALUE[1].per) == (100, 1e-2)
    assert (BY_VALUE[85].resource_type, BY_VALUE[85].pdb_ms, BY_VALUE[85].per) == (
        DELAY_CRITICAL, 5, 1e-5)
    assert BY_VALUE[9].resource_type == "Non-GBR"
    assert len({r.value for r in FIVEQI_TABLE}) == len(FIVEQI_TABLE)
    assert match_5qi(5, 1e-5).value == 85
    assert match_5qi(10, 1e-4).resource_type == DELAY_CRITICAL
    assert match_5qi(100, None).pdb_ms == 100
    assert match_5qi(300, 1e-6).resource_type != DELAY_CRITICAL
    assert match_5qi(1, 1e-6).resource_type == DELAY_CRITICAL  # beyond the table: strictest
    req = stated_requirements("2,5 ms one-way, 99.999 % reliability")
    assert req["5qi"]["resource_type"] == DELAY_CRITICAL and req["slice"] == "URLLC"
