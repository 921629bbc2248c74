"""WirelessBench WCNS/WCMSA: scorer agreement, tools, agent, runner and command, all real."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.results import read_jsonl
from evals.wirelessbench.agent import BenchAgent
from evals.wirelessbench.data import WirelessBenchError, load_items, shipped_ray_tracer
from evals.wirelessbench.rules import parse_rules
from evals.wirelessbench.runner import RunConfig, WirelessBenchRun
from evals.wirelessbench.scoring import SCORERS
from wireless_agent import boundary
from wireless_agent.cli import app
from wireless_agent.radio import RayTracingError, predict_next_position
from wireless_agent.testing import Reply
from wireless_agent.testing.openai_server import FakeOpenAIServer

AGREEMENT = Path(__file__).parent / "data" / "wirelessbench_agreement.json"


# -- scorer ---------------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["wcns", "wcmsa"])
def test_scorer_agrees_exactly_with_wirelessbench_on_hand_made_predictions(task: str) -> None:
    cases = json.loads(AGREEMENT.read_text(encoding="utf-8"))[task]
    assert len(cases) >= 10
    scores = set()
    for case in cases:
        score, extracted = SCORERS[task](case["expected"], case["prediction"])
        assert score == case["score"], case["prediction"]
        assert json.loads(json.dumps(extracted)) == case["extracted"], case["prediction"]
        scores.add(round(score, 6))
    assert len(scores) >= 8  # the cases exercise many tiers, not one


# -- data and tools ---------------------------------------------------------------------------


def test_shipped_splits_load_and_state_their_rules() -> None:
    for task in ("wcns", "wcmsa"):
        for split, n in (("test", 750), ("validate", 250)):
            items = load_items(task, split)
            assert len(items) == n
            rules = parse_rules(items[0])
            assert rules.slices["eMBB"].max_mhz == 20.0 and rules.slices["URLLC"].min_mhz == 1.0
            assert (rules.min_rate_mbps is not None) == (task == "wcmsa")


def test_bandwidth_rule_is_proportional_fairness_inside_the_stated_range() -> None:
    item = load_items("wcns", "validate")[0]
    rules = parse_rules(item)
    for name, rule in rules.slices.items():
        share = rule.capacity_mhz / (rule.users + 1)
        expected = min(max(share, rule.min_mhz), rule.max_mhz)
        assert rule.fair_share_mhz() == pytest.approx(expected), name


def test_kalman_filter_follows_a_constant_velocity_track() -> None:
    track = [(10.0 + 1.5 * k, -3.0 - 0.5 * k) for k in range(6)]
    x, y = predict_next_position(track)
    assert (x, y) == pytest.approx((19.0, -6.0), abs=1e-3)
    assert predict_next_position([(4.0, 4.0)] * 5) == pytest.approx((4.0, 4.0), abs=1e-6)
    # a noisy track: the prediction is near the true next point, not thrown far off
    noisy = [(p[0] + (0.05 if k % 2 else -0.05), p[1]) for k, p in enumerate(track)]
    assert abs(predict_next_position(noisy)[0] - 19.0) < 0.5
    with pytest.raises(ValueError):
        predict_next_position([])


def test_ray_tracer_uses_the_precomputed_result_else_the_region_table() -> None:
    tracer = shipped_ray_tracer()
    table = tracer.tables["HKUST_North"]
    rx = table.receivers[0]
    at = tracer.query("HKUST_North", rx.x, rx.y)
    assert (at.cqi, at.snr_db, at.source, at.distance_m) == (rx.cqi, rx.snr_db, "table", 0.0)
    between = tracer.query("HKUST_North", rx.x + 3.0, rx.y - 2.0)
    snrs = [r.snr_db for r in table.receivers]
    assert min(snrs) <= between.snr_db <= max(snrs) and 1 <= between.cqi <= 15
    pre = tracer.query("HKUST_North", 0, 0, {"cqi": 7, "snr_dB": 7.5})
    assert (pre.cqi, pre.source) == (7, "precomputed")
    with pytest.raises(RayTracingError, match="no ray-tracing table"):
        tracer.query("Atlantis", 0, 0)


# -- agent and runner ------------------------------------------------------------------------


def test_agent_answers_in_the_items_output_format() -> None:
    agent = BenchAgent()
    item = load_items("wcmsa", "validate")[0]
    out = agent.answer("wcmsa", item)
    heads = [line.split(":")[0] for line in out["prediction"].splitlines()]
    assert heads == ["Predicted Position", "Predicted CQI", "Slice Type", "Bandwidth",
                     "Throughput", "QoS Satisfied"]
    steps = out["steps"]
    assert steps["intent"]["source"] == "offline" and steps["position"]["method"] == "kalman-cv"
    assert steps["qos"]["satisfied"] == (steps["throughput"]["mbps"]
                                         >= item["input"]["min_rate"])
    wcns = agent.answer("wcns", load_items("wcns", "validate")[0])["prediction"]
    assert [line.split(":")[0] for line in wcns.splitlines()] == [
        "CQI", "Slice Type", "Bandwidth", "Throughput"]


@pytest.mark.parametrize("task", ["wcns", "wcmsa"])
def test_offline_agent_scores_at_least_095_on_the_test_split(task: str, tmp_path: Path) -> None:
    summary = WirelessBenchRun(RunConfig(task=task), tmp_path / task).run()
    assert summary["items"] == 750
    assert summary["overall"] >= 0.95
    assert all(v >= 0.95 for v in summary["components"].values())
    assert summary["slice_sources"] == {"offline": 750} and summary["model_calls"] == 0


def test_table_only_ray_tracing_is_a_real_ablation(tmp_path: Path) -> None:
    cfg = RunConfig(task="wcns", split="validate", ray_tracing="table", limit=60)
    summary = WirelessBenchRun(cfg, tmp_path / "t").run()
    assert summary["ray_tracing_sources"] == {"table": 60}
    assert 0.0 < summary["components"]["cqi"] < 1.0  # the sparse table misses some items


def test_run_resumes_after_a_torn_write_without_repeating_items(tmp_path: Path) -> None:
    out = tmp_path / "r"
    cfg = RunConfig(task="wcmsa", split="validate", limit=12)
    full = WirelessBenchRun(cfg, out).run()
    scores = out / "scores.jsonl"
    lines = scores.read_text(encoding="utf-8").splitlines(keepends=True)
    scores.write_text("".join(lines[:5]) + lines[5][:40], encoding="utf-8")  # killed mid-line
    with pytest.raises(Exception, match="--resume"):
        WirelessBenchRun(cfg, out)
    run = WirelessBenchRun(cfg, out, resume=True)
    assert len(run.todo) == 7
    again = run.run()
    assert again["overall"] == pytest.approx(full["overall"])
    rows = read_jsonl(scores)
    assert sorted(r["id"] for r in rows) == list(range(1, 13))
    preds = read_jsonl(out / "predictions.jsonl")
    assert [set(p) for p in preds] == [{"question", "prediction"}] * 12
    items = load_items("wcmsa", "validate")[:12]
    assert [p["question"] for p in preds] == [i["question"] for i in items]
    with pytest.raises(Exception, match="other arguments"):
        WirelessBenchRun(RunConfig(task="wcmsa", split="validate", limit=13), out, resume=True)


def test_model_backend_decides_the_slice_through_the_boundary(
    tmp_path: Path, openai_fake: FakeOpenAIServer
) -> None:
    labels = {"movie download": "eMBB", "V2X": "URLLC"}

    def answer(body: dict) -> Reply:
        text = str(body["messages"])
        slice_ = next((v for k, v in labels.items() if k in text), None)
        if slice_ is None:
            return Reply.http_error(500)  # everything else: the offline classifier decides
        return Reply.json({"slice": slice_, "application": "scripted", "latency_ms": 5.0,
                           "min_rate_mbps": 1.0, "confidence": 0.9})

    openai_fake.responder = answer
    items = load_items("wcmsa", "test")
    picked = [i for i in items if i["input"]["service_request"] in
              ("HD movie download", "autonomous vehicle V2X", "4K video streaming")][:9]
    data = tmp_path / "items.jsonl.gz"
    with gzip.open(data, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(i) + "\n" for i in picked)
    cfg = RunConfig(task="wcmsa", data=str(data), model="openai:gpt-fake", concurrency=3,
                    timeout_s=5.0, label="scripted")
    with boundary.recording() as prompts:
        summary = WirelessBenchRun(cfg, tmp_path / "m").run()
    assert summary["label"] == "scripted" and summary["items"] == 9
    fallbacks = sum(1 for i in picked if i["input"]["service_request"] == "4K video streaming")
    assert summary["slice_sources"].get("fallback", 0) == fallbacks
    assert summary["slice_sources"]["model"] == 9 - fallbacks
    assert summary["model_calls"] == 9 and summary["components"]["slice"] == 1.0
    assert len(prompts) == 9 and all(p.role == "perception" and p.remote for p in prompts)


# -- command ----------------------------------------------------------------------------------


def test_command_writes_table_files_and_figure(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    res = CliRunner().invoke(app, ["wirelessbench", "--task", "wcns", "--split", "validate",
                                   "--limit", "25", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "overall" in res.output and "(published)" in res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["items"] == 25 and set(summary["components"]) == {
        "slice", "cqi", "bandwidth", "throughput"}
    assert (out / "wirelessbench.png").stat().st_size > 10_000
    assert len(read_jsonl(out / "scores.jsonl")) == 25


@pytest.mark.parametrize(("args", "message"), [
    ([], "--task is missing"),
    (["--task", "wchw"], "--task 'wchw' is unknown"),
    (["--task", "wcns", "--split", "train"], "--split 'train' is unknown"),
    (["--task", "wcns", "--data", "nowhere.jsonl"], "no such file"),
    (["--task", "wcns", "--limit", "0"], "--limit must be at least 1"),
    (["--task", "wcns", "--ray-tracing", "guess"], "--ray-tracing 'guess' is unknown"),
    (["--task", "wcns", "--model", "bogus:x"], "unknown provider"),
])
def test_bad_input_gets_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    res = CliRunner().invoke(app, ["wirelessbench", *args, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_a_file_of_another_task_is_refused_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "wcns.jsonl"
    data.write_text(json.dumps(load_items("wcns", "validate")[0]) + "\n", encoding="utf-8")
    with pytest.raises(WirelessBenchError, match="line 1: input lacks trajectory"):
        load_items("wcmsa", data=data)
    (tmp_path / "bad.jsonl").write_text("{not json\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["wirelessbench", "--task", "wcns", "--data",
                                   str(tmp_path / "bad.jsonl"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "line 1: not JSON" in res.output
