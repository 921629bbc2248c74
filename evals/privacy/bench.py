"""The privacy benchmark: profiles and cases in, per-group and per-mode metrics out."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chromadb

from evals.privacy.cases import ADVERSARIAL, generate_cases, load_cases, profile_cases
from evals.privacy.runner import MODES, Responder, Tally, make_filter, run_case
from evals.privacy.subscribers import generate_subscribers
from evals.results import ResultsError, check_out_dir, write_atomic
from wireless_agent.models.listing import scripted_label, scripted_tiers
from wireless_agent.privacy import Profile, ProfileStore, load_policy
from wireless_agent.privacy.checks import restating
from wireless_agent.privacy.detect import BLIND_SPOTS, LeakDetector
from wireless_agent.privacy.epeagent import load_profiles
from wireless_agent.privacy.policy import Policy

DOMAINS = ("wireless", "financial", "medical")


class BenchInputError(ValueError):
    """Bad benchmark input (files, options) reported to the user as one line."""


def _out_dir(out_dir: str | Path | None) -> Path | None:
    if out_dir is None:
        return None
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BenchInputError(f"--out {out} is a file; give a folder for privacy_summary.json "
                              "and privacy_cases.jsonl")
    try:
        check_out_dir(out)  # a file above it, or a folder nobody may write to
        out.mkdir(parents=True, exist_ok=True)
    except ResultsError as exc:
        raise BenchInputError(str(exc)) from None
    except OSError as exc:
        raise BenchInputError(f"cannot write results in {out} ({exc.strerror}); give a folder "
                              "you can write to") from None
    return out


def _sources(
    subscribers: int, seed: int, cases_per_domain: int, include_adversarial: bool,
    profiles_files: Sequence[str | Path], policy_file: str | Path | None,
    cases_per_profile: int,
) -> tuple[dict[str, tuple[Policy, list[Profile], str]], list[dict[str, Any]], dict[str, Any]]:
    """(domain -> (policy, profiles, group)), the cases, and facts about the data."""
    sources: dict[str, tuple[Policy, list[Profile], str]] = {}
    cases: list[dict[str, Any]] = []
    facts: dict[str, Any] = {}
    policy = load_policy(str(policy_file)) if policy_file else None
    if profiles_files:
        for path in profiles_files:
            pset = load_profiles(path, policy)
            group = Path(path).stem
            domain = pset.policy.domain
            if policy is not None:  # one policy for several files: keep the files apart
                domain = f"{policy.domain}@{group}"
                pset = type(pset)(pset.source, _renamed(policy, domain),
                                  [Profile(p.subscriber_id, domain, p.values, p.descriptions)
                                   for p in pset.profiles], pset.published)
            sources[domain] = (pset.policy, pset.profiles, group)
            cases += profile_cases(domain, pset.profiles, pset.policy, seed, cases_per_profile)
            stated = [restating(p, pset.policy) for p in pset.profiles]
            facts[group] = {
                "profiles": len(pset.profiles),
                "descriptions": sum(len(p.descriptions) for p in pset.profiles),
                "descriptions_restating_any_value": sum(len(s) for s in stated),
                "descriptions_restating_own_value": sum(
                    sum(1 for f, hit in s.items() if f in hit) for s in stated),
                "format": "epeagent" if pset.published else "wireless-agent",
            }
    else:
        for d in DOMAINS:
            sources[d] = (load_policy(d), generate_subscribers(d, subscribers, seed), d)
            cases += generate_cases(d, cases_per_domain, subscribers, seed)
        if include_adversarial and ADVERSARIAL.exists():
            cases += load_cases(ADVERSARIAL)
    return sources, cases, facts


def _renamed(policy: Policy, domain: str) -> Policy:
    return Policy(domain, policy.roles, policy.tasks, policy.fields, policy.graph)


def _label(backend: str, label: str | None) -> str:
    """The run's label; a scripted fake server behind `backend` is named whatever was given."""
    scripted = scripted_tiers(backend) if backend != "offline" else []
    if not scripted or "scripted" in (label or ""):
        return label or backend
    return scripted_label(label or backend, scripted)


def run_privacy_bench(
    backend: str = "offline",
    subscribers: int = 20,
    cases_file: str | Path | None = None,
    out_dir: str | Path | None = None,
    seed: int = 0,
    *,
    cases_per_domain: int = 200,
    include_adversarial: bool = True,
    respond: Responder | None = None,
    profiles_files: Sequence[str | Path] = (),
    policy_file: str | Path | None = None,
    cases_per_profile: int = 4,
    modes: Sequence[str] = MODES,
    label: str | None = None,
) -> dict[str, Any]:
    """Run the benchmark and return the summary; write files into out_dir if given."""
    out = _out_dir(out_dir)
    sources, cases, facts = _sources(subscribers, seed, cases_per_domain, include_adversarial,
                                     profiles_files, policy_file, cases_per_profile)
    if cases_file:
        cases += load_cases(cases_file)
    client = chromadb.EphemeralClient()
    store = ProfileStore(client, f"privacy_bench_{seed}_{time.time_ns()}")
    for policy, profiles, _group in sources.values():
        store.add(profiles, policy)
    filters = {(d, m): make_filter(m, src[0], store) for d, src in sources.items() for m in modes}
    detectors: dict[str, LeakDetector] = {}
    cells: dict[tuple[str, str], Tally] = {}
    case_rows: list[str] = []  # written with the summary at the end, whole or not at all
    for case in cases:
        domain = case["domain"]
        if domain not in sources:
            raise BenchInputError(f"case {case.get('id')!r}: domain {domain!r} is not one "
                                  f"of {sorted(sources)}")
        policy, profiles, group = sources[domain]
        profile = profiles[int(case.get("subscriber", 0)) % len(profiles)]
        det = detectors.setdefault(profile.subscriber_id, LeakDetector(profile, policy))
        groups = [group] + (["adversarial"] if "generated" not in case.get("tags", []) else [])
        for mode in modes:
            tally, detail = run_case(case, profile, policy, filters[(domain, mode)],
                                     backend, respond, det)
            for g in groups:
                cells.setdefault((g, mode), Tally()).add(tally)
            if out is not None:
                row = {"id": case["id"], "domain": domain, "mode": mode,
                       "tags": case.get("tags", []), **tally.metrics(), **detail}
                case_rows.append(json.dumps(row) + "\n")
    summary: dict[str, Any] = {
        "backend": backend,
        "label": _label(backend, label),
        "subscribers": subscribers,
        "seed": seed,
        "cases": len(cases),
        "modes": list(modes),
        "data": facts,
        "detector_blind_spots": list(BLIND_SPOTS),
        "results": {},
    }
    for (group, mode), tally in sorted(cells.items()):
        summary["results"].setdefault(group, {})[mode] = tally.metrics()
    for cell in summary["results"].values():
        if "off" in cell:
            for m in cell.values():
                # The store's time is the same work in every mode and noisy on a shared
                # machine: the added cost compares what the modes do beyond it.
                m["added_ms_median"] = round(
                    m["ms_without_store_median"] - cell["off"]["ms_without_store_median"], 4)
    if out is not None:
        write_atomic(out / "privacy_cases.jsonl", "".join(case_rows))
        write_atomic(out / "privacy_summary.json", json.dumps(summary, indent=2))
    return summary
