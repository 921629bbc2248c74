"""The privacy-bench command: options checked, benchmark run, table printed, files named."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evals.privacy.bench import BenchInputError, run_privacy_bench
from evals.privacy.cases import CaseError
from evals.privacy.table import print_table
from wireless_agent.privacy.epeagent import ProfileFileError
from wireless_agent.privacy.policy import PolicyError

FORMATS_DOC = "wireless_agent/privacy/POLICY.md"


def run_command(
    model: str = "offline",
    subscribers: int = 20,
    cases: Path | None = None,
    cases_per_domain: int = 200,
    out: Path | None = Path("results/privacy"),
    seed: int = 0,
    profiles: list[Path] | None = None,
    policy: Path | None = None,
    cases_per_profile: int = 4,
    label: str | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Check the options, run the benchmark and print its table; BenchInputError on bad input."""
    from wireless_agent.models import parse_spec
    from wireless_agent.models.spec import ModelSpecError

    try:
        spec = parse_spec(model)
    except ModelSpecError as exc:
        raise BenchInputError(str(exc)) from exc
    if subscribers < 1 or cases_per_domain < 0 or cases_per_profile < 1:
        raise BenchInputError("--subscribers and --cases-per-profile must be at least 1, "
                              "--cases-per-domain at least 0")
    for path, what in [(cases, "cases file (JSONL)"), (policy, "policy file (JSON)"),
                       *((p, "profiles file (JSON)") for p in profiles or [])]:
        if path is not None and not Path(path).is_file():
            raise BenchInputError(f"{path}: no such {what}; see {FORMATS_DOC}")
    respond = None
    if not spec.offline:
        from evals.privacy.agents import model_responder
        from wireless_agent.models import BackendError, check_backend

        # Before anything is written: a run whose every call fails would still score (as
        # leak-free and useful), so a model that cannot answer is one line instead.
        try:
            if spec.provider != "tiered":
                check_backend(model, timeout_s=min(timeout, 10.0))
        except BackendError as exc:
            raise BenchInputError(str(exc)) from None

        respond = model_responder(model, timeout)
    try:
        summary = run_privacy_bench(
            model, subscribers, cases, out, seed, cases_per_domain=cases_per_domain,
            respond=respond, profiles_files=list(profiles or []), policy_file=policy,
            cases_per_profile=cases_per_profile, label=label,
        )
    except (PolicyError, ProfileFileError, CaseError) as exc:
        raise BenchInputError(f"{exc}; see {FORMATS_DOC}") from exc
    print_table(summary)
    return summary


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """`python -m evals.privacy`: the same options as `wireless-agent privacy-bench`."""
    ap = argparse.ArgumentParser(description="Privacy benchmark (see " + FORMATS_DOC + ")")
    ap.add_argument("--model", default="offline")
    ap.add_argument("--subscribers", type=int, default=20)
    ap.add_argument("--cases", type=Path, default=None)
    ap.add_argument("--cases-per-domain", type=int, default=200)
    ap.add_argument("--out", type=Path, default=Path("results/privacy"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profiles", type=Path, action="append", default=None)
    ap.add_argument("--policy", type=Path, default=None)
    ap.add_argument("--cases-per-profile", type=int, default=4)
    ap.add_argument("--label", default=None)
    args = ap.parse_args(argv)
    try:
        return run_command(args.model, args.subscribers, args.cases, args.cases_per_domain,
                           args.out, args.seed, args.profiles, args.policy,
                           args.cases_per_profile, args.label)
    except BenchInputError as exc:
        ap.exit(2, f"error: {exc}\n")
        raise  # unreachable
