"""Device-edge-cloud sweep: intent accuracy against the share of decisions escalated, and tokens."""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from evals.plots import save_png
from prompts import marked_request
from wireless_agent.assembly import perception_prompt
from wireless_agent.models import Backend, make_backend
from wireless_agent.models.schemas import IntentDecision
from wireless_agent.models.spec import ModelSpec, parse_spec
from wireless_agent.models.stats import CallStats
from wireless_agent.models.tiered import TieredBackend, make_tiered

Requests = list[tuple[str, str]]  # (request text, true slice)
TierFactory = Callable[[list[float]], TieredBackend]
DEFAULT_SPEC = "tiered:offline,ollama:qwen2.5:3b,openai:gpt-4o-mini"
SCRIPTED_SPEC = "tiered:offline,ollama:scripted-edge,openai:scripted-cloud"
DEFAULT_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 1.0)
FIGURE = Path("results") / "tier_sweep.png"
_QOS = {"URLLC": (5.0, 10.0), "eMBB": (30.0, 100.0)}  # (latency_ms, min_rate_mbps)


def _ask(backend: Backend, text: str) -> tuple[Any, CallStats, float]:
    """One perception decision as the perception node asks for it, with its wall time."""
    start = time.perf_counter()
    answer, stats = backend.structured("perception", perception_prompt(text), IntentDecision,
                                       request=text)
    return answer, stats, (time.perf_counter() - start) * 1000.0


def _run(backend: Backend, requests: Requests, workers: int
         ) -> list[tuple[Any, CallStats, float]]:
    """Every request through `backend`, `workers` at a time, answers in request order."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda r: _ask(backend, r[0]), requests))


def _latency(ms: list[float]) -> dict[str, float]:
    arr = np.asarray(ms, dtype=float)
    return {"mean_ms": float(arr.mean()), "p95_ms": float(np.percentile(arr, 95))}


def _factory(tiers: TierFactory | ModelSpec | str, timeout_s: float) -> TierFactory:
    if callable(tiers):
        return tiers
    return lambda thresholds: make_tiered(tiers, thresholds, timeout_s)


def sweep_thresholds(
    requests: Requests,
    tiers: TierFactory | ModelSpec | str,
    thresholds: list[float],
    *,
    later: list[float] | None = None,
    workers: int = 8,
    timeout_s: float = 10.0,
) -> list[dict[str, Any]]:
    """Per device-tier threshold: accuracy, share decided per tier, prompt tokens per tier.

    `later` holds the thresholds of the model tiers (their defaults when None); a fresh backend
    is built per threshold so counters and cool-downs never leak between points.
    """
    build = _factory(tiers, timeout_s)
    rows = []
    for th in thresholds:
        backend = build([th, *(later or [])])
        results = _run(backend, requests, workers)
        correct = [a is not None and a.slice == label
                   for (a, _, _), (_, label) in zip(results, requests, strict=True)]
        stats = backend.stats()
        n = max(1, stats["decisions"])
        names = backend.tier_names
        shares = {t: c["decisions"] / n for t, c in stats["tiers"].items()}
        tokens = {t: c["prompt_tokens"] for t, c in stats["tiers"].items()}
        rows.append({
            "threshold": th, "n": len(requests), "accuracy": float(np.mean(correct)),
            "device_share": shares[names[0]], "escalated_share": stats["escalated"] / n,
            "cloud_share": shares[names[-1]], "cloud_tokens": tokens[names[-1]],
            "fallbacks": stats["fallbacks"], "shares": shares, "prompt_tokens": tokens,
            "calls": {t: c["calls"] for t, c in stats["tiers"].items()},
            **_latency([ms for _, _, ms in results]),
        })
    return rows


def largest_only(requests: Requests, spec: ModelSpec | str, *, workers: int = 8,
                 timeout_s: float = 10.0) -> dict[str, Any]:
    """The reference: every request sent to the largest (last) tier of `spec` alone."""
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    backend = make_backend(str(parsed.tiers[-1]), timeout_s=timeout_s)
    results = _run(backend, requests, workers)
    correct = [a is not None and a.slice == label
               for (a, _, _), (_, label) in zip(results, requests, strict=True)]
    return {"tier": str(parsed.tiers[-1]), "n": len(requests),
            "accuracy": float(np.mean(correct)),
            "prompt_tokens": sum(s.prompt_tokens for _, s, _ in results),
            "calls": sum(s.calls for _, s, _ in results),
            "failures": sum(a is None for a, _, _ in results),
            **_latency([ms for _, _, ms in results])}


def plot_sweep(rows: list[dict[str, Any]], path: Path, largest: dict[str, Any] | None = None,
               kind: str = "") -> Path:
    """Accuracy against the escalated share, and prompt tokens per tier, as one PNG (`kind`,
    scripted or real, goes in the title)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 4.4))
    acc, tok = fig.subplots(1, 2)
    x = [100 * r["escalated_share"] for r in rows]
    acc.plot(x, [100 * r["accuracy"] for r in rows], "o-", label="tiered")
    for i, (r, xi) in enumerate(zip(rows, x, strict=True)):
        # Alternate above and below: neighbouring thresholds often share an accuracy.
        acc.annotate(f"{r['threshold']:g}", (xi, 100 * r["accuracy"]), fontsize=7,
                     textcoords="offset points", xytext=(3, -11 if i % 2 else 5))
    if largest is not None:
        acc.axhline(100 * largest["accuracy"], color="grey", ls="--",
                    label=f"always {largest['tier']}")
    acc.set(xlabel="decisions escalated beyond the device (%)", ylabel="intent accuracy (%)",
            title=f"{kind + ' tiers: ' if kind else ''}accuracy vs escalation "
                  "(labels: device threshold)")
    acc.set_xscale("symlog", linthresh=10)  # most of the interesting points sit below 20 %
    acc.legend(loc="lower right", fontsize=8)
    acc.grid(alpha=0.3)
    ths = [r["threshold"] for r in rows]
    for tier in rows[0]["prompt_tokens"] if rows else []:
        tokens = [r["prompt_tokens"][tier] for r in rows]
        if any(tokens):
            tok.plot(ths, tokens, "o-", label=tier)
    if largest is not None:
        tok.axhline(largest["prompt_tokens"], color="grey", ls="--",
                    label=f"every request to {largest['tier']}")
    tok.set(xlabel="device-tier threshold", ylabel="prompt tokens sent",
            title="Tokens per tier")
    tok.set_yscale("symlog", linthresh=100)
    tok.set_ylim(bottom=0)
    tok.legend(fontsize=8)
    tok.grid(alpha=0.3)
    fig.tight_layout()
    return save_png(fig, path)


def paper_and_heldout() -> Requests:
    """The paper scenarios' first 30 requests each, then the held-out set, with true slices."""
    from env.scenarios import PAPER_SCENARIOS, PAPER_USERS, load_population
    from evals.intent_eval import load_heldout

    out: Requests = []
    for name in PAPER_SCENARIOS:
        out += [(u.request, u.label) for u in load_population(name).head(PAPER_USERS).users]
    return out + [(r["text"], r["slice"]) for r in load_heldout()]


def label_responder(requests: Requests, confidence: float = 0.95, unsure_share: float = 0.0,
                    unsure_confidence: float = 0.6) -> Callable[[dict[str, Any]], dict]:
    """A fake server's responder that answers each request's true slice (majority label).

    A deterministic `unsure_share` of requests (by text hash) gets `unsure_confidence`
    instead, which is how an edge model that is sometimes unsure is scripted.
    """
    votes: dict[str, dict[str, int]] = {}
    for text, label in requests:
        votes.setdefault(text, {}).setdefault(label, 0)
        votes[text][label] += 1
    # A text labelled both ways in the paper files gets its majority label: no model can do better.
    truth = {t: max(v, key=lambda k: v[k]) for t, v in votes.items()}

    def respond(body: dict[str, Any]) -> dict[str, Any]:
        text = marked_request(str(body["messages"][-1]["content"]))
        slice_ = truth.get(text, "eMBB")
        unsure = hashlib.sha256(text.encode()).digest()[0] / 256.0 < unsure_share
        conf = unsure_confidence if unsure or text not in truth else confidence
        latency, rate = _QOS[slice_]
        return {"slice": slice_, "application": "scripted", "latency_ms": latency,
                "min_rate_mbps": rate, "confidence": conf}

    return respond


@contextmanager
def scripted_tiers(requests: Requests, edge_ms: float, cloud_ms: float,
                   edge_unsure: float) -> Iterator[str]:
    """Both fakes on 127.0.0.1 answering from the labels; yields the tiered spec to use."""
    from wireless_agent.testing import environ
    from wireless_agent.testing.ollama_server import FakeOllamaServer
    from wireless_agent.testing.openai_server import FakeOpenAIServer

    edge = FakeOllamaServer(models=["scripted-edge"],
                            responder=label_responder(requests, unsure_share=edge_unsure),
                            delay_s=edge_ms / 1000.0)
    cloud = FakeOpenAIServer(models=["scripted-cloud"], responder=label_responder(requests),
                             delay_s=cloud_ms / 1000.0)
    with edge, cloud, environ(OLLAMA_HOST=edge.url, OPENAI_BASE_URL=cloud.base_url,
                              OPENAI_API_KEY="sk-scripted-not-a-key", NO_PROXY="127.0.0.1",
                              no_proxy="127.0.0.1"):
        # Named scripted so no table, figure or file can pass them off as real models.
        yield SCRIPTED_SPEC


def tiers_kind(spec: str) -> str:
    """'scripted' for loopback fakes (named so, or saying so on the wire), else 'real'."""
    from wireless_agent.models.listing import scripted_tiers

    # A fake's model may be named like a real one: the server's own word counts too.
    return "scripted" if "scripted" in spec or scripted_tiers(spec) else "real"


@contextmanager
def real_tiers(spec: str, local: list[str]) -> Iterator[str]:
    """`spec` with its local small models served by llama-server on 127.0.0.1 meanwhile."""
    from wireless_agent.testing import environ
    from wireless_agent.testing.local_models import LocalModels

    models = LocalModels()
    try:
        env: dict[str, str] = {}
        for name in local:  # one server per model; a tier names its model after it
            env.update(models.get(name).environ())
        with environ(**env):
            yield spec
    finally:
        models.close()


def main(argv: list[str] | None = None) -> None:
    """Run the sweep against scripted edge and cloud tiers on loopback (or, with --tiers and
    --local, against real small models served here) and print the figures."""
    from rich.console import Console
    from rich.table import Table

    ap = argparse.ArgumentParser(prog="python -m evals.tier_sweep", description=__doc__)
    ap.add_argument("--thresholds", default=",".join(f"{t:g}" for t in DEFAULT_THRESHOLDS))
    ap.add_argument("--chosen", type=float, default=None,
                    help="device threshold to report in detail (default: the backend default)")
    ap.add_argument("--edge-unsure", type=float, default=0.0,
                    help="share of requests the scripted edge answers with confidence 0.6")
    ap.add_argument("--edge-ms", type=float, default=20.0)
    ap.add_argument("--cloud-ms", type=float, default=80.0)
    ap.add_argument("--workers", type=int, default=None,
                    help="requests at once (default: 8 scripted, 1 real: one llama-server slot)")
    ap.add_argument("--out", type=Path, default=FIGURE,
                    help="figure file (.png), or a folder to write tier_sweep.png into")
    ap.add_argument("--tiers", default=None,
                    help="real tiers instead of the scripted ones, e.g. tiered:offline,"
                         "openai:smollm2 (servers from the environment or --local)")
    ap.add_argument("--local", default="",
                    help="small models to serve here for --tiers: smollm2,gemma3")
    ap.add_argument("--limit", type=int, default=None,
                    help="only the first N requests (real models take seconds a call)")
    args = ap.parse_args(argv)
    if args.out.suffix.lower() != ".png":
        args.out = args.out / "tier_sweep.png"
    thresholds = [float(t) for t in args.thresholds.split(",") if t.strip()]
    requests = paper_and_heldout()[: args.limit]
    console = Console(markup=False, width=140)
    local = [m for m in args.local.split(",") if m.strip()]
    served = (real_tiers(args.tiers, local) if args.tiers else
              scripted_tiers(requests, args.edge_ms, args.cloud_ms, args.edge_unsure))
    with served as spec:
        chosen_backend = make_tiered(spec)
        chosen = args.chosen if args.chosen is not None else chosen_backend.thresholds[0]
        if chosen not in thresholds:
            thresholds = sorted([*thresholds, chosen])
        # One unmeasured pass pays the one-off costs (classifier training, client imports).
        # (Two requests for real tiers: each of their calls takes seconds.)
        scripted = tiers_kind(spec) == "scripted"
        warm = requests[:16] if scripted else requests[:2]
        how: dict[str, Any] = {"workers": args.workers or (8 if scripted else 1),
                               "timeout_s": 10.0 if scripted else 120.0}
        sweep_thresholds(warm, spec, [1.0], **how)
        largest_only(warm, spec, **how)
        rows = sweep_thresholds(requests, spec, thresholds, **how)
        largest = largest_only(requests, spec, **how)
    names = list(rows[0]["shares"])
    title = ("SCRIPTED tiers (loopback fakes answering from the labels, not real models)"
             if tiers_kind(spec) == "scripted" else f"REAL model tiers {spec} (small models "
             "on llama-server, 127.0.0.1, CPU)")
    table = Table(title=f"Tier sweep over {title}, {len(requests)} requests")
    for col in ("device thr", *(f"{n} %" for n in names), "accuracy", "cloud tokens",
                "fallbacks", "mean ms", "p95 ms"):
        table.add_column(col)
    for r in rows:
        table.add_row(f"{r['threshold']:g}", *(f"{100 * r['shares'][n]:.1f}" for n in names),
                      f"{100 * r['accuracy']:.2f}", str(r["cloud_tokens"]),
                      str(r["fallbacks"]), f"{r['mean_ms']:.1f}", f"{r['p95_ms']:.1f}")
    table.add_row("largest only", *("" for _ in names),
                  f"{100 * largest['accuracy']:.2f}", str(largest["prompt_tokens"]), "",
                  f"{largest['mean_ms']:.1f}", f"{largest['p95_ms']:.1f}")
    console.print(table)
    pick = next(r for r in rows if r["threshold"] == chosen)
    fewer = largest["prompt_tokens"] / max(1, pick["cloud_tokens"])
    saving = f"{fewer:.1f}x fewer" if pick["cloud_tokens"] else "none sent"
    console.print(
        f"device threshold {chosen:g}: "
        + ", ".join(f"{n} {100 * pick['shares'][n]:.1f} %" for n in names)
        + f"; accuracy {100 * pick['accuracy']:.2f} % vs {100 * largest['accuracy']:.2f} % "
        f"always {largest['tier']}; cloud tokens {pick['cloud_tokens']} vs "
        f"{largest['prompt_tokens']} ({saving}); "
        f"latency mean {pick['mean_ms']:.1f} ms p95 {pick['p95_ms']:.1f} ms vs "
        f"{largest['mean_ms']:.1f} / {largest['p95_ms']:.1f} ms"
    )
    console.print(f"figure: {plot_sweep(rows, args.out, largest, tiers_kind(spec))}")


if __name__ == "__main__":
    main()
