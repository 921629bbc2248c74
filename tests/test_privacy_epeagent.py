"""Privacy on data we did not write: EPEAgent's file format, policies, role graphs, models."""

from __future__ import annotations

import json
from pathlib import Path

import chromadb
import pytest
from typer.testing import CliRunner

from evals.privacy import MODES, run_privacy_bench
from evals.privacy.agents import model_responder
from wireless_agent.cli import app
from wireless_agent.privacy import PolicyError, Profile, ProfileStore
from wireless_agent.privacy.detect import BLIND_SPOTS, LeakDetector
from wireless_agent.privacy.epeagent import ProfileFileError, load_profiles
from wireless_agent.privacy.identifiers import find_identifiers
from wireless_agent.privacy.minimise import decide_fields
from wireless_agent.privacy.policy import parse_policy
from wireless_agent.privacy.sanitize import ValuePatterns, sanitize_text
from wireless_agent.testing.openai_server import FakeOpenAIServer

SAMPLE = Path(__file__).with_name("data") / "epeagent_format_sample.json"


@pytest.fixture(scope="module")
def sample():  # noqa: ANN201 - a ProfileSet
    return load_profiles(SAMPLE)


def _clean(pset, profile: Profile, role: str, text: str) -> str:  # noqa: ANN001
    d = decide_fields(pset.policy, role, "user_question", False)
    return sanitize_text(text, ValuePatterns(profile, pset.policy), d.denied, d.exact, "t", [])


def test_published_format_gives_roles_acl_graph_and_per_user_descriptions(sample) -> None:  # noqa: ANN001
    policy = sample.policy
    assert sample.published and len(sample.profiles) == 3
    assert set(policy.roles) == {"market_data", "risk_assessment", "transaction_execution",
                                 "diagnosis", "treatment", "medication"}
    assert policy.fields["annual_income"].roles == {"risk_assessment"}
    assert policy.fields["allergies"].roles == {"treatment", "medication"}
    # EPEAgent's fan-in: two specialists feed the final agent of each domain.
    assert ("market_data", "transaction_execution") in policy.graph
    assert ("risk_assessment", "transaction_execution") in policy.graph
    assert ("treatment", "medication") in policy.graph
    formats = {n: f.format for n, f in policy.fields.items()}
    assert formats["transaction_history"] == "records"
    assert formats["recent_lab_results"] == "dict"
    assert formats["age"] == "number" and formats["name"] == "name"
    first = sample.profiles[0]
    assert first.descriptions["age"].startswith("She is 47")
    assert first.descriptions != sample.profiles[1].descriptions


def test_our_format_with_the_bundled_policy_and_bad_files(tmp_path: Path) -> None:
    own = tmp_path / "own.json"
    own.write_text(json.dumps({"domain": "medical", "profiles": [
        {"id": "p1", "values": {"allergies": ["latex"], "conditions": ["asthma"]},
         "descriptions": {"allergies": "Known allergies."}}]}))
    pset = load_profiles(own)
    assert not pset.published and pset.policy.domain == "medical"
    assert pset.profiles[0].descriptions == {"allergies": "Known allergies."}
    bad = tmp_path / "bad.json"
    bad.write_text('{"domain": "medical", "profiles": [{"values": {"shoe_size": 44}}]}')
    with pytest.raises(PolicyError, match="shoe_size"):
        load_profiles(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    with pytest.raises(ProfileFileError, match="not JSON"):
        load_profiles(broken)


def test_policy_rejects_a_description_that_states_any_stored_value(tmp_path: Path) -> None:
    policy = parse_policy({
        "domain": "clinic", "roles": ["diagnosis", "medication"], "tasks": {"visit": "x"},
        "fields": [
            {"name": "conditions", "kind": "health", "format": "list",
             "description": "Long-term conditions.", "roles": ["diagnosis"], "tasks": ["visit"]},
            {"name": "next_checkup", "kind": "health", "format": "text",
             "description": "Regular follow-up to manage hypertension.",
             "roles": ["diagnosis", "medication"], "tasks": ["visit"]},
        ]})
    store = ProfileStore(chromadb.EphemeralClient(), "desc_check")
    ok = Profile("c-1", "clinic", {"conditions": ["Asthma"], "next_checkup": "Every 3 months"})
    assert store.add([ok], policy) == 2
    leaky = Profile("c-2", "clinic", {"conditions": ["Hypertension"],
                                      "next_checkup": "Every 6 months"})
    with pytest.raises(PolicyError, match="next_checkup.*conditions"):
        store.add([leaky], policy)


def test_sanitiser_causes_from_the_issue(sample) -> None:  # noqa: ANN001
    p = sample.profiles[0]
    # Keys and values of nested records, every atom of a compound value.
    out = _clean(sample, p, "medication",
                 'labs {"blood_pressure": "128/82", "ace_level": "71 U/L"}; family: '
                 '{"glaucoma": "Grandmother had glaucoma"}; BP 128/82, diastolic 82')
    assert "128" not in out and "82" not in out and "71" not in out
    assert "glaucoma" not in out.lower() and "blood_pressure" not in out
    # List-of-record items in any printed form; values before their label; words.
    out = _clean(sample, p, "market_data",
                 "Sold 35 NVDA on 19 February 2024, bought sixty of iShares Gold Trust; "
                 "I plan for twelve years, 12 years max; salary 73,500 ($73.5k)")
    for gone in ("NVDA", "35", "sixty", "iShares", "twelve", "12 years", "73,500", "73.5k",
                 "February 2024"):
        assert gone not in out, (gone, out)
    # A second pass matches no placeholder; an allowed value next to one survives.
    once = _clean(sample, p, "transaction_execution",
                  "time horizon [REDACTED:time_horizon], order Trailing Stop Order, "
                  "trade date 2024-02-19")
    assert once == _clean(sample, p, "transaction_execution", once)
    assert "2024-02-19" in once and "Trailing Stop Order" in once


@pytest.mark.parametrize("text,kind", [
    ("call +81 90-1234-5678 tonight", "PHONE"),
    ("mobile +91 98765 43210", "PHONE"),
    ("ring (415) 555-0132", "PHONE"),
    ("0049 151 23456789", "PHONE"),
    ("card 4539 1488 0343 6467", "CARD"),
    ("IBAN DE89 3704 0044 0532 0130 00", "IBAN"),
    ("SIM 262011234567890", "IMSI"),
    ("mail jo.bloggs@example.org", "EMAIL"),
])
def test_identifiers_by_validator(text: str, kind: str) -> None:
    assert [i.kind for i in find_identifiers(text)] == [kind]


def test_identifiers_that_fail_their_check_are_kept() -> None:
    assert find_identifiers("card 4539 1488 0343 6468") == []  # Luhn fails
    assert find_identifiers("IBAN DE00 3704 0044 0532 0130 00") == []  # mod 97 fails
    assert find_identifiers("order 2024-03-10, position 48.13712") == []


def test_detector_normalises_independently_and_reports_blind_spots(sample) -> None:  # noqa: ANN001
    p = sample.profiles[0]
    det = LeakDetector(p, sample.policy)
    for text in ("income ７３５００", "income 73\u00a0500", "income 73.500", "73,5k a year",
                 "seventy-three thousand five hundred", "MODERATE-LOW appetite",
                 "moderate low", "I'm in for 12 yrs"):
        assert det.found(text, sample.policy.fields), text
    assert det.found("sold 35 NVDA", ["transaction_history"]) == {"transaction_history"}
    assert det.found("blood pressure 128/82", ["recent_lab_results"])
    # Not inside a value the role may see, and no leak in placeholders.
    assert not det.found("[REDACTED:time_horizon] years", ["time_horizon"])
    assert det.undetectable("allergies")  # empty list: nothing to look for
    assert len(BLIND_SPOTS) >= 5


def test_bench_on_sample_separates_the_modes(tmp_path: Path) -> None:
    summary = run_privacy_bench(profiles_files=[SAMPLE], out_dir=tmp_path, cases_per_profile=4)
    cell = summary["results"]["epeagent_format_sample"]
    assert set(cell) == set(MODES)
    on = cell["on"]
    assert on["context_leaks"] == 0 and on["message_leaks"] == 0
    assert on["utility"] >= 0.98 and on["over_redaction_rate"] <= 0.02
    assert cell["off"]["context_leaks"] > cell["acl"]["context_leaks"] > 0
    assert cell["epeagent"]["context_leaks"] > 0  # raw request and descriptions
    assert cell["acl"]["message_leaks"] > cell["epeagent"]["message_leaks"]
    assert summary["data"]["epeagent_format_sample"]["descriptions_restating_own_value"] >= 2
    assert summary["detector_blind_spots"]
    written = json.loads((tmp_path / "privacy_summary.json").read_text())
    assert written["results"] == json.loads(json.dumps(summary["results"]))


@pytest.mark.slow  # every case of the sample through the model in four modes: ~8 s
def test_models_in_the_loop_scripted(openai_fake: FakeOpenAIServer, tmp_path: Path) -> None:
    def echo(body: dict) -> str:
        # Scripted, and as leaky as a model can be: it repeats everything it was given.
        return body["messages"][-1]["content"]

    openai_fake.responder = echo
    respond = model_responder("openai:gpt-fake", timeout_s=10)
    summary = run_privacy_bench("openai:gpt-fake", profiles_files=[SAMPLE], out_dir=tmp_path,
                                cases_per_profile=1, respond=respond, label="scripted")
    assert summary["label"] == "scripted"
    cell = summary["results"]["epeagent_format_sample"]
    calls = len(openai_fake.chat_requests)
    assert calls == sum(cell[m]["decisions"] for m in MODES)
    assert all(cell[m]["model_errors"] == 0 for m in MODES)
    assert cell["acl"]["message_leaks"] > 0
    assert cell["on"]["message_leaks"] == 0 and cell["on"]["context_leaks"] == 0
    # What the final agent got was the model's text after the filter.
    finals = [r["messages"][-1]["content"] for r in openai_fake.chat_requests
              if "Role: transaction_execution" in r["messages"][-1]["content"]]
    assert finals and any("risk_assessment agent" in f or "[risk_assessment" in f
                          or "Role: risk_assessment" in f for f in finals)


def test_cli_one_line_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "file.txt"
    target.write_text("x")
    res = runner.invoke(app, ["privacy-bench", "--out", str(target), "--profiles", str(SAMPLE)])
    assert res.exit_code == 2 and "is a file" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["privacy-bench", "--profiles", str(tmp_path / "nope.json")])
    assert res.exit_code == 2 and "no such profiles file" in res.output
