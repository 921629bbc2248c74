"""Policy checks that need the stored values: no description may restate any stored value."""

from __future__ import annotations

from collections.abc import Iterable

from wireless_agent.privacy.detect import LeakDetector, Stream, find_atom
from wireless_agent.privacy.policy import Policy, PolicyError
from wireless_agent.privacy.profiles import Profile


def check_descriptions(policy: Policy, profiles: Iterable[Profile]) -> None:
    """Raise PolicyError if a field description of the policy contains a value of any field.

    Descriptions reach prompts next to values and are written once for every subscriber, so
    one that names a value (EPEAgent's "Regular follow-up to manage hypertension") leaks it
    to every role that may read the described field.
    """
    for profile in profiles:
        if profile.domain != policy.domain:
            continue
        detector = LeakDetector(profile, policy)
        for name, rule in policy.fields.items():
            hit = stated(detector, rule.description)
            if hit:
                raise PolicyError(
                    f"{policy.domain}.{name}: the description restates the value of "
                    f"{sorted(hit)[0]!r} stored for {profile.subscriber_id}; describe the "
                    "field, not a value"
                )


def stated(detector: LeakDetector, text: str) -> set[str]:
    """Fields whose value a text states: the value, a phrase of it, or its number.

    A number inside a longer value (the 15 of "iPhone 15 Pro") is no statement of the value:
    a description may give a scale ("1 to 15").
    """
    stream = Stream.of(text)
    out = set()
    for name, value in detector.profile.values.items():
        rule = detector.policy.fields.get(name)
        if rule is not None and rule.format in ("short", "phone", "email", "iban", "position",
                                                 "digits", "code"):
            if detector.field_in(stream, name):
                out.add(name)
            continue
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        for atom in detector.atoms(name):
            if not numeric and len(atom) == 1 and atom[0].startswith("n:"):
                continue
            if find_atom(stream, atom, set()):
                out.add(name)
                break
    return out


def restating(profile: Profile, policy: Policy) -> dict[str, set[str]]:
    """Per-profile descriptions that restate a value: field -> fields whose value they state."""
    detector = LeakDetector(profile, policy)
    out = {}
    for name, text in profile.descriptions.items():
        hit = stated(detector, text)
        if hit:
            out[name] = hit
    return out
