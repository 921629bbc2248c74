"""The rules each WirelessBench item states: slice capacities and loads, ranges, formulas."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from evals.wirelessbench.data import WirelessBenchError

_STATE = re.compile(r"(eMBB|URLLC) Slice:\s*(\d+) active users?\s*\(Total capacity:\s*"
                    r"([\d.]+)\s*MHz\)", re.IGNORECASE)
_RANGE = re.compile(r"(eMBB|URLLC)[^\n\[]*?range[^\n\[]*\[\s*([\d.]+)\s*[-,]\s*([\d.]+)\s*\]",
                    re.IGNORECASE)
# Proportional fairness as the items write it: B = SliceCapacity / (ExistingUsers + 1).
_FAIR = re.compile(r"B\s*=\s*SliceCapacity\s*/\s*\(\s*ExistingUsers\s*\+\s*1\s*\)")
# The paper's rate: T = 10 x B x log10(1 + 10^(CQI/10)), in ASCII or Unicode spelling.
_RATE = re.compile(r"T\s*=\s*10\s*[*×x]\s*B\s*[*×x]\s*log(?:10|₁₀)\s*\(\s*1\s*\+\s*10\s*\^\s*"
                   r"\(\s*CQI\s*/\s*10\s*\)\s*\)")
_QOS = re.compile(r"throughput\s*>=\s*minimum required rate", re.IGNORECASE)


@dataclass(frozen=True)
class SliceRule:
    """One slice as the item states it: its users, capacity and per-user bandwidth range."""

    name: str
    users: int
    capacity_mhz: float
    min_mhz: float
    max_mhz: float

    def fair_share_mhz(self) -> float:
        """Proportional fairness for one more user, kept inside the slice's stated range."""
        share = self.capacity_mhz / (self.users + 1)
        return min(max(share, self.min_mhz), self.max_mhz)


@dataclass(frozen=True)
class ItemRules:
    """Everything an item states that the answer must follow."""

    slices: dict[str, SliceRule]
    rate_model: str  # the project's rate model the item's formula is ("paper")
    min_rate_mbps: float | None  # WCMSA's QoS requirement, None for WCNS
    qos_rule: bool  # whether the item asks for throughput >= minimum rate


def parse_rules(item: dict[str, Any]) -> ItemRules:
    """The item's rules from its question text (loads cross-checked with its input)."""
    text = str(item["question"])
    where = f"item {item.get('id')}"
    states = {m.group(1).upper(): (int(m.group(2)), float(m.group(3)))
              for m in _STATE.finditer(text)}
    ranges = {m.group(1).upper(): (float(m.group(2)), float(m.group(3)))
              for m in _RANGE.finditer(text)}
    slices: dict[str, SliceRule] = {}
    for name, key in (("eMBB", "embb_users"), ("URLLC", "urllc_users")):
        up = name.upper()
        if up not in states or up not in ranges:
            raise WirelessBenchError(f"{where}: the question states no capacity or bandwidth "
                                     f"range for {name}; is it a WirelessBench item?")
        users, capacity = states[up]
        stated = item["input"].get(key)
        if stated is not None and int(stated) != users:
            raise WirelessBenchError(f"{where}: {name} has {users} users in the question but "
                                     f"{stated} in its input; fix the item")
        slices[name] = SliceRule(name, users, capacity, *ranges[up])
    if not _FAIR.search(text):
        raise WirelessBenchError(f"{where}: no proportional-fairness bandwidth rule "
                                 "(B = SliceCapacity / (ExistingUsers + 1)) in the question")
    if not _RATE.search(text):
        raise WirelessBenchError(f"{where}: no Shannon rate rule "
                                 "(T = 10 * B * log10(1 + 10^(CQI/10))) in the question")
    min_rate = item["input"].get("min_rate")
    return ItemRules(slices, "paper", None if min_rate is None else float(min_rate),
                     bool(_QOS.search(text)))
