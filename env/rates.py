"""Rate models: Mbps per MHz as a function of CQI (the paper's formula and 3GPP TS 38.214)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, Protocol

import numpy as np

# TS 38.214 Table 5.2.2.1-2 (4-bit CQI table 1, up to 64QAM): spectral efficiency, bit/s/Hz.
CQI_TABLE_38214 = (
    0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141,
    2.4063, 2.7305, 3.3223, 3.9023, 4.5234, 5.1152, 5.5547,
)


class RateModel(Protocol):
    """Maps a CQI index (1..15) to achievable rate per MHz of bandwidth."""

    name: str
    per_mhz_table: np.ndarray  # index 0 unused, 1..15 = Mbps per MHz

    def per_mhz(self, cqi: int) -> float: ...

    def rate(self, bandwidth_mhz: float, cqi: int) -> float: ...


class _TableRate:
    """Shared lookup behaviour: rates are precomputed for CQI 0..15."""

    name = ""

    def __init__(self, table: list[float]) -> None:
        self.per_mhz_table = np.asarray([0.0, *table], dtype=np.float64)

    def per_mhz(self, cqi: int) -> float:
        """Mbps per MHz at this CQI."""
        return float(self.per_mhz_table[int(cqi)])

    def rate(self, bandwidth_mhz: float, cqi: int) -> float:
        """Rate in Mbps of `bandwidth_mhz` at this CQI."""
        return float(bandwidth_mhz) * float(self.per_mhz_table[int(cqi)])


class PaperRate(_TableRate):
    """WirelessAgent's model: R = 10 B log10(1 + 10^(CQI/10)) (CQI read as SNR in dB)."""

    name = "paper"

    def __init__(self) -> None:
        super().__init__([10.0 * math.log10(1.0 + 10.0 ** (c / 10.0)) for c in range(1, 16)])


class ThreeGPPRate(_TableRate):
    """Physically sound model: spectral efficiency of the TS 38.214 CQI table times bandwidth."""

    name = "3gpp"

    def __init__(self) -> None:
        super().__init__(list(CQI_TABLE_38214))


RateModelName = Literal["paper", "3gpp"]
RATE_MODELS: dict[str, Callable[[], _TableRate]] = {"paper": PaperRate, "3gpp": ThreeGPPRate}


def get_rate_model(name: str = "paper") -> _TableRate:
    """The rate model called `name` ('paper' or '3gpp')."""
    try:
        return RATE_MODELS[name]()
    except KeyError:
        raise ValueError(
            f"unknown rate model {name!r}; choose one of {', '.join(RATE_MODELS)}"
        ) from None
