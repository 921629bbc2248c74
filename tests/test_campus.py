"""Tests of the campus generator: geometry, line of sight, path loss, CQI, requests, CSV."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from env.campus import (
    MAST_M,
    REQUESTS_CSV,
    USER_HEIGHT_M,
    WALL_MARGIN_M,
    generate_campus,
    link_budget,
    load_requests,
    save_csv,
)
from env.channel import (
    CQI_MAPPINGS,
    breakpoint_distance_m,
    path_loss_los_db,
    path_loss_nlos_db,
    snr_to_cqi,
)
from env.geometry import Building, line_of_sight, random_buildings, segment_blocked
from env.scenarios import DATA_DIR, load_csv, load_scenario
from env.slicing_env import SlicingEnv

ROOT = Path(__file__).resolve().parents[1]
INTENTS = ROOT / "memory_store" / "intents.jsonl"

# A tiny hand-made layout: the host's antenna sits 3 m above its roof corner at (19, 19).
HOST = Building(0.0, 0.0, 20.0, 20.0, 10.0)
ANTENNA = (19.0, 19.0, 13.0)
TALL = Building(40.0, 10.0, 60.0, 30.0, 30.0)
LOW = Building(40.0, 10.0, 60.0, 30.0, 3.0)
BEHIND = (80.0, 20.0, USER_HEIGHT_M)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def _campus_sentences() -> list[str]:
    pools = load_requests()
    return pools["eMBB"] + pools["URLLC"]


# -- generator -------------------------------------------------------------------------------


def test_same_seed_same_scenario_and_other_seed_differs() -> None:
    a, b, c = generate_campus(7), generate_campus(7), generate_campus(8)
    assert a.users == b.users and a.meta == b.meta
    assert a.users != c.users and a.meta["buildings"] != c.meta["buildings"]


def test_first_users_do_not_depend_on_the_user_count() -> None:
    assert generate_campus(5, 10).users == generate_campus(5, 30).users[:10]


def test_users_are_outdoors_at_head_height_with_uids_in_order() -> None:
    for seed in range(5):
        sc = generate_campus(seed, 40)
        assert [u.uid for u in sc.users] == list(range(1, 41))
        for u in sc.users:
            assert u.z == USER_HEIGHT_M
            assert not any(b.contains_xy(u.x, u.y, WALL_MARGIN_M) for b in sc.meta["buildings"])


def test_buildings_do_not_overlap_and_antenna_is_above_its_roof() -> None:
    for seed in range(5):
        sc = generate_campus(seed)
        bs = sc.meta["buildings"]
        assert len(bs) == 8
        assert not any(bs[i].overlaps(bs[j]) for i in range(8) for j in range(i + 1, 8))
        host = bs[sc.meta["host_building"]]
        x, y, z = sc.meta["base_station"]
        assert host.contains_xy(x, y) and z == pytest.approx(host.height + MAST_M)


def test_users_channel_is_consistent_with_the_layout() -> None:
    sc = generate_campus(2, 30)
    bs, buildings = sc.meta["base_station"], sc.meta["buildings"]
    assert sc.meta["los"] == [u.los for u in sc.users]
    for u in sc.users:
        assert link_budget(bs, (u.x, u.y, u.z), buildings) == (u.los, u.snr_db, u.cqi)
    # A layout with some shade and some open sky, not the paper's all-NLOS world.
    assert 0 < sum(sc.meta["los"]) < len(sc.users)


def test_embb_share_sets_the_label_mix() -> None:
    assert {u.label for u in generate_campus(0, 30, embb_share=1.0).users} == {"eMBB"}
    assert {u.label for u in generate_campus(0, 30, embb_share=0.0).users} == {"URLLC"}
    embb = sum(u.label == "eMBB" for u in generate_campus(0, 400).users)
    assert 120 < embb < 200


def test_requests_come_from_the_campus_file_without_early_repeats() -> None:
    sc = generate_campus(1, 30)
    pools = load_requests()
    assert all(u.request in pools[u.label] for u in sc.users)
    assert len({u.request for u in sc.users}) == 30


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="embb_share"):
        generate_campus(0, embb_share=1.5)
    with pytest.raises(ValueError, match="CQI mapping"):
        generate_campus(0, cqi_mapping="shannon")
    with pytest.raises(ValueError, match="buildings"):
        random_buildings(np.random.default_rng(0), 200, 100.0)


# -- line of sight ---------------------------------------------------------------------------


def test_open_user_near_antenna_has_los_and_one_behind_a_tall_building_does_not() -> None:
    assert line_of_sight(ANTENNA, (30.0, 30.0, USER_HEIGHT_M), [HOST, TALL])
    assert not line_of_sight(ANTENNA, BEHIND, [HOST, TALL])
    # The same footprint two storeys lower does not block: the test is 3-D, not 2-D.
    assert line_of_sight(ANTENNA, BEHIND, [HOST, LOW])


def test_host_building_blocks_only_what_lies_behind_it() -> None:
    assert not segment_blocked(ANTENNA, (25.0, 25.0, USER_HEIGHT_M), HOST)
    assert segment_blocked(ANTENNA, (-10.0, -10.0, USER_HEIGHT_M), HOST)


def test_slab_method_edge_cases() -> None:
    box = Building(0.0, 0.0, 10.0, 10.0, 30.0)
    assert segment_blocked((5.0, 5.0, 50.0), (5.0, 5.0, 20.0), box)  # straight down into it
    assert not segment_blocked((5.0, 5.0, 50.0), (5.0, 5.0, 40.0), box)  # stops above the roof
    assert not segment_blocked((-5.0, 5.0, 1.0), (-1.0, 5.0, 1.0), box)  # stops short of it
    assert not segment_blocked((-5.0, -5.0, 1.0), (0.0, 0.0, 1.0), box)  # touches an edge only


# -- channel ---------------------------------------------------------------------------------


@pytest.mark.parametrize("h_bs", [10.0, 25.0, 43.0])
def test_path_loss_is_monotone_in_distance(h_bs: float) -> None:
    d = np.linspace(0.0, 2000.0, 20001)
    los, nlos = path_loss_los_db(d, h_bs), path_loss_nlos_db(d, h_bs)
    assert np.all(np.diff(los) > 0) and np.all(np.diff(nlos) > 0)
    assert np.all(nlos >= los)


def test_los_path_loss_is_continuous_at_the_breakpoint() -> None:
    d_bp = breakpoint_distance_m(20.0, 1.5)
    assert d_bp == pytest.approx(4 * 19.0 * 0.5 * 3.5e9 / 299_792_458.0)
    below, above = path_loss_los_db([d_bp - 1e-6, d_bp + 1e-6], 20.0)
    assert above - below == pytest.approx(0.0, abs=1e-4)


def test_linear_cqi_reproduces_the_paper_rows() -> None:
    # (SNR, CQI) pairs of center.csv rows 1, 3 and 4, plus the clamp at both ends.
    for snr, cqi in [(24.07, 13), (15.70, 10), (6.04, 7), (-40.0, 1), (-10.0, 1), (30.0, 15),
                     (55.0, 15)]:
        assert snr_to_cqi(snr) == cqi


@pytest.mark.parametrize("mapping", CQI_MAPPINGS)
def test_cqi_is_always_in_range_and_non_decreasing(mapping: str) -> None:
    cqis = [snr_to_cqi(float(s), mapping) for s in np.linspace(-60.0, 80.0, 1401)]
    assert min(cqis) == 1 and max(cqis) == 15
    assert all(a <= b for a, b in zip(cqis, cqis[1:], strict=False))
    for seed in range(5):
        assert all(1 <= u.cqi <= 15 for u in generate_campus(seed, 50, cqi_mapping=mapping).users)


# -- CSV and environment ---------------------------------------------------------------------


def test_save_csv_round_trips_through_load_csv(tmp_path: Path) -> None:
    sc = generate_campus(4, 30)
    path = tmp_path / "campus.csv"
    save_csv(sc, path)
    assert load_csv(path).users == sc.users
    with path.open(newline="") as fh:
        row = next(csv.DictReader(fh))
    assert float(row["SNR_dB"]) - float(row["RX_Power_dBm"]) == pytest.approx(92.99)


def test_save_csv_round_trips_a_paper_scenario(tmp_path: Path) -> None:
    sc = load_scenario("south")
    save_csv(sc, tmp_path / "south.csv")
    assert load_csv(tmp_path / "south.csv").users == sc.users


def test_load_scenario_dispatches_to_the_generator() -> None:
    assert load_scenario("campus:3", users=12).users == generate_campus(3, 12).users


def test_slicing_env_on_a_campus_passes_the_gymnasium_checker() -> None:
    check_env(SlicingEnv("campus:3").unwrapped)


# -- request sentences -----------------------------------------------------------------------


def test_request_file_is_large_balanced_and_unique() -> None:
    with REQUESTS_CSV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 80
    assert {r["label"] for r in rows} == {"eMBB", "URLLC"}
    assert min(sum(r["label"] == lab for r in rows) for lab in ("eMBB", "URLLC")) >= 35
    assert len({_norm(r["text"]) for r in rows}) == len(rows)


def test_no_request_is_a_sentence_of_the_paper_scenarios() -> None:
    paper: set[str] = set()
    for name in ("center", "north", "south"):
        with (DATA_DIR / f"{name}.csv").open(newline="", encoding="utf-8-sig") as fh:
            paper |= {_norm(r["User_Request"]) for r in csv.DictReader(fh)}
    assert not [s for s in _campus_sentences() if _norm(s) in paper]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_no_request_is_in_the_intent_training_corpus() -> None:
    if not INTENTS.is_file():
        pytest.skip("memory_store/intents.jsonl not written yet")
    corpus = [_norm(s) for line in INTENTS.read_text(encoding="utf-8").splitlines()
              if line.strip() for s in _strings(json.loads(line))]
    leaked = [s for s in _campus_sentences() if any(_norm(s) in text for text in corpus)]
    assert not leaked, f"campus sentences in the intent corpus: {leaked}"
