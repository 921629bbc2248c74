"""Model specs: the `provider:model` strings users write, parsed and checked."""

from __future__ import annotations

from dataclasses import dataclass

PROVIDERS = ("offline", "ollama", "openai")
_EXAMPLES = "offline, ollama:qwen2.5:3b, openai:gpt-4o-mini or tiered:ollama:A,openai:B"


class ModelSpecError(ValueError):
    """A model spec string that cannot be understood (the message is one line)."""


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec: provider, model name, and for `tiered` the tiers in order."""

    provider: str  # offline | ollama | openai | tiered
    model: str = ""
    tiers: tuple[ModelSpec, ...] = ()

    def __str__(self) -> str:
        if self.provider == "offline":
            return "offline"
        if self.provider == "tiered":
            return "tiered:" + ",".join(str(t) for t in self.tiers)
        return f"{self.provider}:{self.model}"

    @property
    def offline(self) -> bool:
        """Whether no model is involved at all."""
        return self.provider == "offline"


def _parse_single(spec: str, whole: str) -> ModelSpec:
    text = spec.strip()
    if text == "offline":
        return ModelSpec("offline")
    provider, sep, model = text.partition(":")
    provider = provider.strip().lower()
    model = model.strip()
    if provider == "tiered":
        raise ModelSpecError(f"model spec {whole!r}: tiers cannot be nested; write {_EXAMPLES}")
    if provider not in PROVIDERS or provider == "offline":
        raise ModelSpecError(
            f"model spec {whole!r}: unknown provider {provider or text!r}; write {_EXAMPLES}"
        )
    if not sep or not model:
        raise ModelSpecError(
            f"model spec {whole!r}: {provider} needs a model name, e.g. {provider}:MODEL"
        )
    if any(ch.isspace() for ch in model) or "," in model:
        raise ModelSpecError(
            f"model spec {whole!r}: model name {model!r} may not contain spaces or commas"
        )
    return ModelSpec(provider, model)


def parse_spec(spec: str) -> ModelSpec:
    """Parse `offline`, `ollama:MODEL`, `openai:MODEL` or `tiered:SPEC,SPEC,...`."""
    if not isinstance(spec, str) or not spec.strip():
        raise ModelSpecError(f"empty model spec; write {_EXAMPLES}")
    text = spec.strip()
    head, sep, rest = text.partition(":")
    if head.strip().lower() == "tiered":
        parts = [p for p in rest.split(",") if p.strip()]
        if not sep or len(parts) < 2:
            raise ModelSpecError(
                f"model spec {spec!r}: tiered needs at least two comma-separated specs, "
                "e.g. tiered:ollama:qwen2.5:3b,openai:gpt-4o-mini"
            )
        return ModelSpec("tiered", tiers=tuple(_parse_single(p, spec) for p in parts))
    return _parse_single(text, spec)
