"""Radio channel of the campus: 3GPP UMi path loss, SNR and the SNR -> CQI mappings."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

# 3.5 GHz (NR band n78), the usual 5G mid-band carrier; 3GPP TR 38.901 UMi street canyon is
# specified for 0.5-100 GHz. The paper used 2.4 GHz with a home-made formula.
CARRIER_GHZ = 3.5
# Transmit power of the base station, as in the paper.
TX_POWER_DBM = 30.0
# Thermal noise over 20 MHz (-174 dBm/Hz + 73.01 dB) plus an 8 dB noise figure, as in the paper.
NOISE_FLOOR_DBM = -92.99
# The paper clamps SNR to this range before its linear CQI mapping.
SNR_RANGE_DB = (-10.0, 30.0)
SPEED_OF_LIGHT_M_S = 299_792_458.0
# TR 38.901 Table 7.4.1-1, UMi: effective environment height for the breakpoint distance.
_H_E_M = 1.0

CQI_MAPPINGS = ("linear", "3gpp")
# Lowest SNR (dB) at which CQI 1..15 of the 4-bit table (TS 38.214 Table 5.2.2.1-2, identical
# to LTE's TS 36.213 Table 7.2.3-1) reaches 10 % BLER, from link-level simulation (Kawser et al.,
# 2012). 3GPP specifies the CQI table, not an SNR mapping, so these are the customary stand-in.
CQI_SNR_THRESHOLDS_DB = (-6.7, -4.7, -2.3, 0.2, 2.4, 4.3, 5.9, 8.1, 10.3, 11.7, 14.1, 16.3, 18.7,
                         21.0, 22.7)


def breakpoint_distance_m(h_bs_m: float, h_ut_m: float, fc_ghz: float = CARRIER_GHZ) -> float:
    """TR 38.901 UMi breakpoint distance d'_BP = 4 h'_BS h'_UT f_c / c with h' = h - 1 m."""
    return 4.0 * (h_bs_m - _H_E_M) * (h_ut_m - _H_E_M) * fc_ghz * 1e9 / SPEED_OF_LIGHT_M_S


def path_loss_los_db(
    d2d_m: ArrayLike, h_bs_m: float = 10.0, h_ut_m: float = 1.5, fc_ghz: float = CARRIER_GHZ
) -> np.ndarray:
    """TR 38.901 UMi street-canyon LOS path loss (dB) at 2-D distance `d2d_m` (no shadowing).

    Below the 10 m the standard starts at, the same formula is extended so the loss stays
    monotone; the two pieces meet exactly at the breakpoint.
    """
    d2d = np.maximum(np.asarray(d2d_m, dtype=float), 0.0)
    d3d = np.hypot(d2d, h_bs_m - h_ut_m)
    d_bp = breakpoint_distance_m(h_bs_m, h_ut_m, fc_ghz)
    near = 32.4 + 21.0 * np.log10(d3d) + 20.0 * math.log10(fc_ghz)
    far = (32.4 + 40.0 * np.log10(d3d) + 20.0 * math.log10(fc_ghz)
           - 9.5 * math.log10(d_bp**2 + (h_bs_m - h_ut_m) ** 2))
    return np.where(d2d <= d_bp, near, far)


def path_loss_nlos_db(
    d2d_m: ArrayLike, h_bs_m: float = 10.0, h_ut_m: float = 1.5, fc_ghz: float = CARRIER_GHZ
) -> np.ndarray:
    """TR 38.901 UMi street-canyon NLOS path loss (dB): max(LOS, PL'_NLOS), never below LOS."""
    d2d = np.maximum(np.asarray(d2d_m, dtype=float), 0.0)
    d3d = np.hypot(d2d, h_bs_m - h_ut_m)
    nlos = (35.3 * np.log10(d3d) + 22.4 + 21.3 * math.log10(fc_ghz)
            - 0.3 * (h_ut_m - 1.5))
    return np.maximum(path_loss_los_db(d2d, h_bs_m, h_ut_m, fc_ghz), nlos)


def path_loss_db(
    d2d_m: float, los: bool, h_bs_m: float = 10.0, h_ut_m: float = 1.5,
    fc_ghz: float = CARRIER_GHZ,
) -> float:
    """Path loss (dB) of one link: LOS or NLOS UMi street canyon at `fc_ghz`."""
    model = path_loss_los_db if los else path_loss_nlos_db
    return float(model(d2d_m, h_bs_m, h_ut_m, fc_ghz))


def snr_db(
    loss_db: float, tx_power_dbm: float = TX_POWER_DBM, noise_floor_dbm: float = NOISE_FLOOR_DBM
) -> float:
    """Received SNR (dB) for a path loss, without antenna gains or fading."""
    return tx_power_dbm - loss_db - noise_floor_dbm


def snr_to_cqi(snr: float, mapping: str = "linear") -> int:
    """CQI 1..15 for an SNR in dB: the paper's linear mapping, or the 3GPP-table thresholds."""
    if mapping == "linear":
        lo, hi = SNR_RANGE_DB
        clamped = min(max(snr, lo), hi)
        # Python's round (half to even), as the paper's code.
        return round(1 + (clamped - lo) / (hi - lo) * 14)
    if mapping == "3gpp":
        met = sum(snr >= t for t in CQI_SNR_THRESHOLDS_DB)
        # Below CQI 1's threshold a link is out of range; scenarios need 1..15, so keep it at 1.
        return max(met, 1)
    raise ValueError(f"unknown CQI mapping {mapping!r}; use one of {', '.join(CQI_MAPPINGS)}")
