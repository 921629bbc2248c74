"""Seeded generator of campus scenarios: buildings, a rooftop base station, users with CQI."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from env.channel import (
    CARRIER_GHZ,
    CQI_MAPPINGS,
    NOISE_FLOOR_DBM,
    TX_POWER_DBM,
    path_loss_db,
    snr_db,
    snr_to_cqi,
)
from env.geometry import Building, Point, is_outdoors, line_of_sight, random_buildings
from env.population import DATA_DIR, Scenario, User

REQUESTS_CSV = DATA_DIR / "campus_requests.csv"
CSV_COLUMNS = ("RX_ID", "X", "Y", "Z", "SNR_dB", "RX_Power_dBm", "CQI", "LOS", "User_Request",
               "Request_Label")
USER_HEIGHT_M = 1.5
# Antenna mast on the host roof: 3 m up and 1 m in from the roof corner nearest the campus
# centre, so the antenna is above (never inside) its own building and sees most of the campus.
MAST_M = 3.0
ROOF_INSET_M = 1.0
# Users stand at least this far from any wall: outdoors, not pressed against a facade.
WALL_MARGIN_M = 1.0
_MAX_USER_TRIES = 10_000


def load_requests(path: Path = REQUESTS_CSV) -> dict[str, list[str]]:
    """Request sentences per label (eMBB, URLLC) from a `text,label` CSV, in file order."""
    pools: dict[str, list[str]] = {"eMBB": [], "URLLC": []}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["label"] not in pools:
                raise ValueError(f"{path}: unknown label {row['label']!r}; use eMBB or URLLC")
            pools[row["label"]].append(row["text"].strip())
    return pools


def base_station_position(host: Building) -> Point:
    """The antenna on `host`: near the roof corner facing the campus centre, above the roof."""
    cx, cy = (host.x0 + host.x1) / 2.0, (host.y0 + host.y1) / 2.0
    # The corner nearest the origin (the campus centre); the sign picks the side.
    x = host.x0 + ROOF_INSET_M if cx >= 0 else host.x1 - ROOF_INSET_M
    y = host.y0 + ROOF_INSET_M if cy >= 0 else host.y1 - ROOF_INSET_M
    return (round(x, 2), round(y, 2), round(host.height + MAST_M, 2))


def link_budget(
    bs: Point, user: Point, buildings: Sequence[Building], cqi_mapping: str = "linear"
) -> tuple[bool, float, int]:
    """LOS, SNR (dB, unclamped, 2 decimals) and CQI of the link from antenna `bs` to `user`."""
    los = line_of_sight(bs, user, buildings)
    d2d = math.hypot(user[0] - bs[0], user[1] - bs[1])
    snr = round(snr_db(path_loss_db(d2d, los, h_bs_m=bs[2], h_ut_m=user[2])), 2)
    return los, snr, snr_to_cqi(snr, cqi_mapping)


def _user_position(
    rng: np.random.Generator, size_m: float, buildings: Sequence[Building]
) -> Point:
    half = size_m / 2.0
    for _ in range(_MAX_USER_TRIES):
        x, y = (round(float(v), 2) for v in rng.uniform(-half, half, size=2))
        if is_outdoors(x, y, buildings, WALL_MARGIN_M):
            return (x, y, USER_HEIGHT_M)
    raise ValueError(f"no outdoor spot found on a {size_m:g} m campus; use fewer buildings")


def generate_campus(
    seed: int = 0,
    n_users: int = 30,
    *,
    n_buildings: int = 8,
    size_m: float = 400.0,
    embb_share: float = 0.4,
    cqi_mapping: str = "linear",
) -> Scenario:
    """A random campus scenario, the same for the same arguments.

    Layout, users and request order come from separate streams of `seed`, so the first k users
    do not depend on `n_users`: `generate_campus(s, 10)` is `generate_campus(s, 30).head(10)`.
    Each user asks for eMBB with probability `embb_share`; its sentence is the next one of a
    seeded shuffle of that label's pool in `campus_requests.csv` (repeats only when exhausted).
    """
    if n_users < 0 or n_buildings < 1 or size_m <= 0:
        raise ValueError(f"need n_users >= 0, n_buildings >= 1 and size_m > 0; got {n_users}, "
                         f"{n_buildings}, {size_m}")
    if not 0.0 <= embb_share <= 1.0:
        raise ValueError(f"embb_share {embb_share} is not a fraction; use a value in 0..1")
    if cqi_mapping not in CQI_MAPPINGS:
        raise ValueError(f"unknown CQI mapping {cqi_mapping!r}; use one of "
                         f"{', '.join(CQI_MAPPINGS)}")
    layout_rng, user_rng, request_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    buildings = random_buildings(layout_rng, n_buildings, size_m)
    host = int(layout_rng.integers(n_buildings))
    bs = base_station_position(buildings[host])

    pools = load_requests()
    orders = {label: request_rng.permutation(len(pool)) for label, pool in pools.items()}
    taken = dict.fromkeys(pools, 0)

    users: list[User] = []
    for uid in range(1, n_users + 1):
        pos = _user_position(user_rng, size_m, buildings)
        label = "eMBB" if user_rng.random() < embb_share else "URLLC"
        pool, order = pools[label], orders[label]
        request = pool[order[taken[label] % len(pool)]]
        taken[label] += 1
        los, snr, cqi = link_budget(bs, pos, buildings, cqi_mapping)
        users.append(User(uid=uid, x=pos[0], y=pos[1], z=pos[2], cqi=cqi, request=request,
                          label=label, snr_db=snr, los=los))

    meta = {
        "generator": "campus",
        "seed": seed,
        "size_m": size_m,
        "buildings": buildings,
        "host_building": host,
        "base_station": bs,
        "los": [u.los for u in users],  # indexed by uid - 1
        "carrier_ghz": CARRIER_GHZ,
        "tx_power_dbm": TX_POWER_DBM,
        "noise_floor_dbm": NOISE_FLOOR_DBM,
        "path_loss": "3GPP TR 38.901 UMi street canyon, no shadowing",
        "cqi_mapping": cqi_mapping,
        "embb_share": embb_share,
    }
    return Scenario(f"campus:{seed}", users, "generated", meta)


def _num(value: float) -> str:
    # Two decimals like the paper's files, unless that would lose precision.
    return f"{value:.2f}" if round(value, 2) == value else repr(float(value))


def save_csv(scenario: Scenario, path: Path) -> None:
    """Write `scenario` in the WirelessAgent CSV format that `env.scenarios.load_csv` reads."""
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for u in scenario.users:
            snr = u.snr_db
            writer.writerow([
                u.uid, _num(u.x), _num(u.y), _num(u.z),
                _num(snr) if snr is not None else "",
                _num(round(snr + NOISE_FLOOR_DBM, 2)) if snr is not None else "",
                u.cqi, int(u.los), u.request, u.label,
            ])
