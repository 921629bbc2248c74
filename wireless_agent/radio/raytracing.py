"""Ray-tracing lookup: SNR and CQI at a position from a region's pre-computed results."""

from __future__ import annotations

import bisect
import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class RayTracingError(ValueError):
    """A region or table the lookup cannot use (the message is one line)."""


@dataclass(frozen=True)
class RayTrace:
    """One lookup: the channel at a position and where the numbers came from."""

    cqi: int
    snr_db: float
    source: str  # "precomputed" (the simulator's own result for this query) or "table"
    distance_m: float | None = None  # to the nearest receiver of the table, for "table"
    rx_power_dbm: float | None = None
    has_los: bool | None = None
    path_loss_db: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain fields for a results file."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class _Receiver:
    x: float
    y: float
    snr_db: float
    cqi: int
    rx_power_dbm: float
    los: bool


class RayTracingTable:
    """Receivers of one region with their ray-traced SNR, received power and CQI."""

    def __init__(self, name: str, receivers: list[_Receiver]) -> None:
        if not receivers:
            raise RayTracingError(f"ray-tracing table {name!r} has no receivers")
        self.name = name
        self.receivers = receivers
        # The table's own SNR-to-CQI steps, for an interpolated SNR.
        pairs = sorted((r.snr_db, r.cqi) for r in receivers)
        self._snr_steps = [s for s, _ in pairs]
        self._cqi_steps = [c for _, c in pairs]

    @classmethod
    def from_csv(cls, path: Path, name: str | None = None) -> RayTracingTable:
        """A table in WirelessAgent's format (RX_ID,X,Y,Z,SNR_dB,RX_Power_dBm,CQI,LOS,...)."""
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            receivers = [
                _Receiver(float(r["X"]), float(r["Y"]), float(r["SNR_dB"]), int(r["CQI"]),
                          float(r["RX_Power_dBm"]), r.get("LOS", "0").strip() == "1")
                for r in rows
            ]
        except (OSError, KeyError, ValueError) as exc:
            raise RayTracingError(f"{path}: not a ray-tracing table ({type(exc).__name__}: "
                                  f"{exc}); give a CSV with X,Y,SNR_dB,RX_Power_dBm,CQI") from None
        return cls(name or path.stem, receivers)

    def cqi_of_snr(self, snr_db: float) -> int:
        """CQI of an SNR by the table's own steps (highest receiver SNR not above it)."""
        i = bisect.bisect_right(self._snr_steps, snr_db) - 1
        return self._cqi_steps[max(i, 0)]

    def lookup(self, x: float, y: float, neighbours: int = 4) -> RayTrace:
        """Inverse-distance-weighted SNR of the nearest receivers, and its CQI."""
        ranked = sorted(self.receivers, key=lambda r: (r.x - x) ** 2 + (r.y - y) ** 2)
        near = ranked[:max(1, neighbours)]
        dists = [math.hypot(r.x - x, r.y - y) for r in near]
        if dists[0] < 1e-6:
            snr, power = near[0].snr_db, near[0].rx_power_dbm
        else:
            w = [1.0 / d**2 for d in dists]
            snr = sum(wi * r.snr_db for wi, r in zip(w, near, strict=True)) / sum(w)
            power = sum(wi * r.rx_power_dbm for wi, r in zip(w, near, strict=True)) / sum(w)
        return RayTrace(cqi=self.cqi_of_snr(snr), snr_db=round(snr, 2), source="table",
                        distance_m=round(dists[0], 2), rx_power_dbm=round(power, 2),
                        has_los=near[0].los)


class RayTracer:
    """The ray-tracing tool: a query's own pre-computed result if there is one, else the table."""

    def __init__(self, tables: Mapping[str, RayTracingTable]) -> None:
        self.tables = dict(tables)

    def query(self, region: str, x: float, y: float,
              precomputed: Mapping[str, Any] | None = None) -> RayTrace:
        """The channel of a user at (x, y) in `region`."""
        if precomputed and "cqi" in precomputed:
            return RayTrace(
                cqi=int(precomputed["cqi"]), snr_db=float(precomputed.get("snr_dB", math.nan)),
                source="precomputed", rx_power_dbm=precomputed.get("rx_power_dBm"),
                has_los=precomputed.get("has_los"), path_loss_db=precomputed.get("path_loss_dB"),
            )
        table = self.tables.get(region)
        if table is None:
            raise RayTracingError(f"no ray-tracing table for region {region!r}; known: "
                                  f"{', '.join(sorted(self.tables)) or 'none'}")
        return table.lookup(x, y)
