"""The agent on WirelessBench: each item answered through the agent's own components.

Slice from the intent classifier or a model (through the privacy filter and the model
boundary), channel from the ray-tracing tool, next position from the Kalman filter, bandwidth
by the rule the item states, throughput from the project's rate model, then the QoS check.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from env.rates import get_rate_model
from evals.wirelessbench.data import shipped_ray_tracer
from evals.wirelessbench.rules import parse_rules
from wireless_agent.radio import KalmanConfig, RayTracer, predict_next_position

RAY_TRACING_MODES = ("precomputed", "table")


@dataclass(frozen=True)
class AgentOptions:
    """How the benchmark agent is built."""

    model: str = "offline"
    timeout_s: float = 30.0
    privacy: bool = True
    ray_tracing: str = "precomputed"  # the item's own ray-tracing result when it has one
    kalman: KalmanConfig = KalmanConfig()


class BenchAgent:
    """Answers WCNS and WCMSA items; thread-safe, so items may be answered in parallel."""

    def __init__(self, options: AgentOptions | None = None, *, backend: Any = None,
                 classifier: Any = None, ray_tracer: RayTracer | None = None) -> None:
        self.options = options or AgentOptions()
        if self.options.ray_tracing not in RAY_TRACING_MODES:
            raise ValueError(f"--ray-tracing {self.options.ray_tracing!r} is unknown; use "
                             f"{' or '.join(RAY_TRACING_MODES)}")
        if classifier is None:
            from wireless_agent.intent import IntentClassifier

            classifier = IntentClassifier.default()
        self.classifier = classifier
        if backend is None and self.options.model != "offline":
            from wireless_agent.models import make_backend

            backend = make_backend(self.options.model, timeout_s=self.options.timeout_s)
        self.backend = backend
        self.privacy = None
        if backend is not None and self.options.privacy:
            from wireless_agent.privacy import default_filter

            self.privacy = default_filter(None)
        self.ray_tracer = ray_tracer or shipped_ray_tracer()
        self.rates = get_rate_model("paper")

    # -- components ---------------------------------------------------------------------------

    def classify(self, request: str) -> dict[str, Any]:
        """Slice of a service request: the model if there is one, the offline classifier else."""
        spend: dict[str, Any] = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
        if self.backend is None:
            p = self.classifier.predict(request)
            return {"slice": p.slice, "confidence": round(p.confidence, 4), "source": "offline",
                    "application": p.application, **spend}
        from wireless_agent.assembly import perception_prompt
        from wireless_agent.models.schemas import IntentDecision

        shown = request
        if self.privacy is not None:
            shown, _ = self.privacy.sanitize("perception", self.backend.name, request, None,
                                             task="slicing_request")
        answer, stats = self.backend.structured("perception", perception_prompt(shown),
                                                IntentDecision, request=request)
        spend = {"calls": stats.calls, "prompt_tokens": stats.prompt_tokens,
                 "completion_tokens": stats.completion_tokens}
        if answer is None:
            p = self.classifier.predict(request)
            return {"slice": p.slice, "confidence": round(p.confidence, 4), "source": "fallback",
                    "application": p.application, "error": stats.error, **spend}
        tier = getattr(answer, "tier", None)
        source = ("fallback" if getattr(answer, "fallback", False)
                  else "offline" if tier == "offline" else "model")
        out = {"slice": answer.slice, "confidence": round(float(answer.confidence), 4),
               "source": source, "application": answer.application, **spend}
        if tier:
            out["tier"] = tier
        return out

    def ray_trace(self, item: dict[str, Any], x: float, y: float) -> dict[str, Any]:
        """The channel at (x, y) in the item's region (its own result in 'precomputed' mode)."""
        pre = item.get("ray_tracing_result") if self.options.ray_tracing == "precomputed" else None
        return self.ray_tracer.query(item["input"]["region"], x, y, pre).as_dict()

    # -- answers ------------------------------------------------------------------------------

    def answer(self, task: str, item: dict[str, Any]) -> dict[str, Any]:
        """The prediction text in the item's output format, and the steps that produced it."""
        t0 = time.perf_counter()
        inp = item["input"]
        rules = parse_rules(item)
        steps: dict[str, Any] = {}
        if task == "wcmsa":
            track = [(float(p["x"]), float(p["y"])) for p in inp["trajectory"]]
            x, y = predict_next_position(track, self.options.kalman)
            steps["position"] = {"x": round(x, 2), "y": round(y, 2), "method": "kalman-cv",
                                 "observed": len(track)}
        else:
            x, y = float(inp["user_x"]), float(inp["user_y"])
        steps["ray_tracing"] = rt = self.ray_trace(item, x, y)
        steps["intent"] = intent = self.classify(str(inp["service_request"]))
        rule = rules.slices[intent["slice"]]
        bandwidth = rule.fair_share_mhz()
        steps["bandwidth"] = {"mhz": round(bandwidth, 4), "rule": "proportional fairness",
                              "users": rule.users, "capacity_mhz": rule.capacity_mhz,
                              "range_mhz": [rule.min_mhz, rule.max_mhz]}
        throughput = self.rates.rate(bandwidth, rt["cqi"])
        steps["throughput"] = {"mbps": round(throughput, 4), "rate_model": self.rates.name}
        lines = [f"CQI: {rt['cqi']}"]
        if task == "wcmsa":
            satisfied = throughput >= float(rules.min_rate_mbps or 0.0)
            steps["qos"] = {"satisfied": satisfied, "min_rate_mbps": rules.min_rate_mbps}
            lines = [f"Predicted Position: ({x:.2f}, {y:.2f})", f"Predicted CQI: {rt['cqi']}"]
        lines += [f"Slice Type: {intent['slice']}", f"Bandwidth: {bandwidth:.2f} MHz",
                  f"Throughput: {throughput:.2f} Mbps"]
        if task == "wcmsa":
            lines.append(f"QoS Satisfied: {'Yes' if steps['qos']['satisfied'] else 'No'}")
        return {"prediction": "\n".join(lines), "steps": steps,
                "latency_ms": round((time.perf_counter() - t0) * 1000.0, 3)}
