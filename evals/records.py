"""The rows an evaluation writes and reads back: decisions.jsonl, units.jsonl and summary.csv."""

# No `from __future__ import annotations`: TypedDict needs NotRequired unquoted to tell
# required keys from optional ones at run time (__required_keys__, pydantic).
from typing import Literal, NotRequired, cast, get_args, get_type_hints

from typing_extensions import TypedDict  # not typing's: pydantic validates these on 3.11

from evals.numbers import num
from wireless_agent.record import Spend

# Units live in the names of the fields (`_mbps`, `_ms`); these aliases say them where a
# stored name predates that rule and cannot change without breaking old results folders.
MHz = float
Mbps = float
Share = float  # a fraction, 0..1
Blank = Literal[""]  # a cell written empty: no value (a NaN, or no denominator)


class ActionLog(TypedDict):
    """The env action of a decision, as logged to be replayed on resume."""

    intent: int  # slice index the method named (env/slices.py)
    admit: int  # 1 admit, 0 reject
    bandwidth: MHz
    reallocate: dict[str, MHz]  # slot index (JSON keys are text) -> new MHz of that user


class DecisionRow(Spend):
    """One line of decisions.jsonl: a user's arrival, what a method decided, what the env did.

    The spend fields (model calls, tokens, latency_ms, fallback, reallocations) are those of
    the agent's record (wireless_agent.record.Spend); methods without a model log zeros.
    """

    unit: str  # Unit.key: scenario|method|seed|N
    scenario: str
    method: str
    seed: int
    step: int  # arrival index in the episode, from 0
    uid: int
    request: str
    cqi: int
    label: str  # the true slice
    intent: str | None  # slice the method named (eMBB, URLLC, unclear), None if it named none
    intent_correct: bool | None  # None when the env could not score it
    admitted: bool
    reason: str  # why not admitted ("" when admitted)
    slice: str | None  # where the env put the user, as of the admission; None if rejected
    bandwidth: MHz  # granted by the env
    rate_mbps: Mbps
    rate_claim_mbps: Mbps | None  # the rate a model claimed (prompt baseline), else None
    error: str | None
    tier: str | None  # the tier that decided (tiered backends), None for non-agent methods
    # --planner model (agent rows; None/0 otherwise): model or fallback, and its counts
    planner: NotRequired[str | None]
    planner_calls: NotRequired[int]
    planner_replies: NotRequired[int]
    planner_proposals: NotRequired[int]
    planner_rejected: NotRequired[int]
    explanation: str | None
    action: ActionLog


class SummaryRow(TypedDict):
    """One episode scored at its end (units.jsonl `rows`; summary.csv without the seed stats)."""

    scenario: str
    method: str
    seed: int
    users: int  # N, the episode's length
    throughput_mbps: Mbps
    bandwidth_utilization: Share
    embb_utilization: Share
    urllc_utilization: Share
    admitted: int
    rejected: int
    min_rate_violations: int
    intent_accuracy: Share | Blank  # blank when no decision could be scored
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int
    fallbacks: int
    errors: int
    decision_ms_p50: float
    tier_shares: str  # e.g. 'offline:0.870;ollama:qwen2.5:3b:0.130', '' without tiers
    planner: NotRequired[str]  # tools or model for the agent, '' for other methods
    planner_fallbacks: NotRequired[int]  # decisions the model planner left to the tools
    model: str  # the backend of agent and prompt rows ('(scripted fake)' marks one), else ''
    # Dynamic mode only (the last snapshot of an episode): evals.slicing_eval.dynamic_scores.
    time_avg_throughput_mbps: NotRequired[Mbps]
    bound_mbps: NotRequired[Mbps]
    ratio_to_bound: NotRequired[Share | Blank]
    label_bound_mbps: NotRequired[Mbps]
    ratio_to_label_bound: NotRequired[Share | Blank]
    blocking_rate: NotRequired[Share | Blank]
    peak_violations: NotRequired[int]


class DynamicScores(TypedDict):
    """Dynamic mode's scores of an episode, added to its last summary row."""

    time_avg_throughput_mbps: Mbps
    bound_mbps: Mbps  # per-interval bound, any slice may take any user present
    ratio_to_bound: Share | Blank  # blank when the bound is 0
    label_bound_mbps: Mbps  # per-interval bound, users kept in their true slices
    ratio_to_label_bound: Share | Blank
    blocking_rate: Share | Blank  # share of arrivals turned away; blank without arrivals
    peak_violations: int  # most users below their minimum rate at any moment


class SeededSummaryRow(SummaryRow):
    """A row of summary.csv: an episode and, repeated on each, its (scenario, method, N) group's
    mean and 95 % CI half-width over seeds (blank below two seeds)."""

    seeds: int
    throughput_mean_mbps: Mbps | Blank
    throughput_ci95_mbps: Mbps | Blank
    admitted_mean: float | Blank
    admitted_ci95: float | Blank
    ratio_to_bound_mean: NotRequired[float | Blank]
    ratio_to_bound_ci95: NotRequired[float | Blank]
    ratio_to_label_bound_mean: NotRequired[float | Blank]
    ratio_to_label_bound_ci95: NotRequired[float | Blank]


class UnitLine(TypedDict):
    """One line of units.jsonl: a finished unit and its summary rows."""

    unit: str
    rows: list[SummaryRow]


class CellError(ValueError):
    """A cell of summary.csv that is not of its column's type (the message names it)."""


def _cell_parser(hint: object) -> tuple[str, bool]:
    """How a column's cells are read back from text ('int', 'float' or 'str'), and whether
    the column may be blank."""
    args = get_args(hint) or (hint,)
    names = {a.__name__ if isinstance(a, type) else "" for a in args}
    blank = any(get_args(a) == ("",) for a in args)
    if "int" in names:
        return "int", blank
    return ("float" if "float" in names else "str"), blank


_CSV_COLUMNS = {k: _cell_parser(v) for k, v in get_type_hints(SeededSummaryRow).items()}


def summary_from_csv(raw: dict[str, str]) -> SeededSummaryRow:
    """A summary.csv row read as text, with its numbers as numbers.

    A blank cell stays blank (written so for a NaN or an absent dynamic-mode score); a column
    the row's file does not have (an older run) is absent. CellError names a cell that is not
    a number where one belongs.
    """
    out: dict[str, object] = {}
    for key, text in raw.items():
        how, may_be_blank = _CSV_COLUMNS.get(key, ("str", True))
        text = text or ""  # DictReader gives None for a short line's missing cells
        if how == "str" or (text == "" and may_be_blank):
            out[key] = text
            continue
        if text == "":
            continue  # no value in a column with no blank: a paper run's dynamic scores
        value = num(text)
        if value is None or (how == "int" and value != int(value)):
            kind = "a whole number" if how == "int" else "a number"
            raise CellError(f"{key} {text!r} is not {kind}")
        out[key] = int(value) if how == "int" else value
    return cast(SeededSummaryRow, out)  # checked column by column above


__all__ = ["ActionLog", "Blank", "CellError", "DecisionRow", "DynamicScores", "MHz", "Mbps",
           "SeededSummaryRow", "Share", "SummaryRow", "UnitLine", "summary_from_csv"]
