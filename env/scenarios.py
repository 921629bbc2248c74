"""Scenarios: users with positions, CQI and free-text requests, loaded from CSV or generated."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from env.campus import generate_campus
from env.limits import cap_request
from env.population import DATA_DIR, Scenario, ScenarioError, User

PAPER_SCENARIOS = ("center", "north", "south")
# The study used the first 30 users of each file (center has 200 rows).
PAPER_USERS = 30
REQUIRED_COLUMNS = ("RX_ID", "X", "Y", "Z", "CQI", "User_Request", "Request_Label")
LABELS = {"embb": "eMBB", "urllc": "URLLC"}
# Where the paper's ground truth comes from: its files as written, or with the requests whose
# labels disagree across WirelessAgent's files settled by the slice definitions.
LabelSource = Literal["settled", "file"]
LABEL_SOURCES: tuple[LabelSource, ...] = ("settled", "file")
SETTLED_FILE = DATA_DIR / "settled_labels.json"


@cache
def settled_labels() -> dict[str, str]:
    """Request text -> the slice the definitions give it, for requests the files disagree on."""
    data = json.loads(SETTLED_FILE.read_text(encoding="utf-8"))
    return {row["request"]: row["label"] for row in data["settled"]}


def parse_labels(value: str) -> LabelSource:
    """A label source from user input, or one line saying which exist."""
    for source in LABEL_SOURCES:
        if value == source:
            return source
    raise ScenarioError(f"--labels {value!r} is not known; use settled (the default: requests "
                        "the paper's files disagree on settled by the slice definitions) or file")


def _float(value: str, path: Path, row: int, column: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ScenarioError(
            f"{path}: row {row}: column {column} is {value!r}, not a number; fix the value"
        ) from None


def load_csv(path: str | Path, name: str | None = None, *, settle: bool = False) -> Scenario:
    """Load and validate a scenario CSV in the WirelessAgent format (`settle`: relabel the
    requests in `settled_labels()`, recording their users' ids in `meta["relabelled"]`)."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such scenario file; give a CSV path or one of "
                            f"{', '.join(PAPER_SCENARIOS)}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read the file ({exc}); save it as UTF-8 CSV") from None
    # The file is in memory already, so no field is larger than it: csv's own 128 KiB limit
    # would stop a long request with a traceback, where it should be cut below, saying so.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.DictReader(text.splitlines())
    try:
        header = reader.fieldnames or []
        rows = list(reader)
    except csv.Error as exc:
        raise ScenarioError(f"{path}: not a readable CSV (line {reader.line_num}: {exc}); "
                            "fix the quoting") from None
    if not header:
        raise ScenarioError(f"{path}: the file is empty; it needs a header line "
                            f"{','.join(REQUIRED_COLUMNS)} and one row per user")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ScenarioError(f"{path}: missing column {', '.join(missing)}; the header needs "
                            f"{','.join(REQUIRED_COLUMNS)}")
    users: list[User] = []
    cut_rows: list[int] = []
    relabelled: list[int] = []
    for row_no, row in enumerate(rows, start=2):  # row 1 is the header
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        cqi_raw = (row.get("CQI") or "").strip()
        try:
            cqi = int(float(cqi_raw))
            if cqi != float(cqi_raw):
                raise ValueError
        except ValueError:
            raise ScenarioError(f"{path}: row {row_no}: CQI {cqi_raw!r} is not a whole "
                                "number; use 1-15") from None
        if not 1 <= cqi <= 15:
            raise ScenarioError(f"{path}: row {row_no}: CQI {cqi} is out of 1-15; fix the row")
        label = LABELS.get((row.get("Request_Label") or "").strip().lower())
        if label is None:
            raise ScenarioError(f"{path}: row {row_no}: unknown label "
                                f"{row.get('Request_Label')!r}; use eMBB or URLLC")
        request, cut = cap_request((row.get("User_Request") or "").strip())
        if cut:
            cut_rows.append(row_no)
        uid = int(_float(row["RX_ID"], path, row_no, "RX_ID"))
        if settle and settled_labels().get(request, label) != label:
            label = settled_labels()[request]
            relabelled.append(uid)
        if not request:
            raise ScenarioError(f"{path}: row {row_no}: User_Request is empty; write the "
                                "user's request")
        snr = row.get("SNR_dB")
        users.append(User(
            uid=uid,
            x=_float(row["X"], path, row_no, "X"),
            y=_float(row["Y"], path, row_no, "Y"),
            z=_float(row["Z"], path, row_no, "Z"),
            cqi=cqi,
            request=request,
            label=label,
            snr_db=_float(snr, path, row_no, "SNR_dB") if snr not in (None, "") else None,
            los=(row.get("LOS") or "0").strip() in ("1", "True", "true"),
        ))
    if not users:
        raise ScenarioError(f"{path}: the file has a header but no users; add one row per user")
    meta: dict[str, list[int]] = {"cut_requests": cut_rows} if cut_rows else {}
    if relabelled:
        meta["relabelled"] = relabelled
    return Scenario(name or path.stem, users, str(path), meta)


@dataclass(frozen=True)
class ScenarioSpec:
    """A parsed scenario spec: one of the paper's files, a generated campus, or a CSV path."""

    kind: Literal["paper", "campus", "file"]
    text: str  # the spec as given, stripped
    path: Path | None = None  # the CSV of a paper scenario or a file
    seed: int | None = None  # campus:SEED; None for `campus`, drawn by the run's seed

    @property
    def drawn(self) -> bool:
        """A campus whose layout the run's seed draws (`campus` without `:SEED`)."""
        return self.kind == "campus" and self.seed is None

    def campus_seed(self, seed: int) -> int:
        """The campus generator's seed: the spec's own, else the run's `seed`."""
        return self.seed if self.seed is not None else seed

    def produces(self, name: str) -> bool:
        """Whether a scenario called `name` comes from this spec."""
        if self.drawn:
            return name.startswith("campus")
        return name == self.text or (self.path is not None and self.kind == "file"
                                     and name == self.path.stem)


def resolve_scenario(spec: str) -> ScenarioSpec:
    """Parse a scenario spec: center, north, south, `campus[:SEED]` or a CSV path."""
    text = spec.strip()
    if text in PAPER_SCENARIOS:
        return ScenarioSpec("paper", text, DATA_DIR / f"{text}.csv")
    if text == "campus":
        return ScenarioSpec("campus", text)
    if text.startswith("campus:"):
        raw = text.split(":", 1)[1].strip()
        try:
            seed = int(raw)
            if seed < 0:  # numpy refuses a negative seed with a traceback
                raise ValueError(raw)
        except ValueError:
            raise ScenarioError(f"scenario {text!r}: campus seed {raw!r} is not a whole "
                                "number from 0; write campus or campus:SEED, e.g. "
                                "campus:3") from None
        return ScenarioSpec("campus", text, seed=seed)
    if text.endswith(".csv") or Path(text).exists():
        return ScenarioSpec("file", text, Path(text))
    raise ScenarioError(f"unknown scenario {text!r}; use one of "
                        f"{', '.join(PAPER_SCENARIOS)}, campus[:SEED] or a CSV path")


def load_population(spec: str, seed: int = 0, campus_users: int = 200,
                    labels: LabelSource = "settled") -> Scenario:
    """Every user a scenario's place holds (the whole file; a campus with `campus_users`)."""
    where = resolve_scenario(spec)
    if where.kind == "campus":
        return generate_campus(seed=where.campus_seed(seed), n_users=campus_users)
    assert where.path is not None  # paper and file specs carry their CSV
    if where.kind == "paper":
        return load_csv(where.path, where.text, settle=labels == "settled")
    return load_csv(where.path)


def load_scenario(spec: str, users: int | None = None, seed: int = 0,
                  labels: LabelSource = "settled") -> Scenario:
    """A scenario by name (center, north, south), `campus[:SEED]`, or CSV path; the paper's
    files with `labels` (a user's own file keeps its labels)."""
    where = resolve_scenario(spec)
    if where.kind == "campus":
        n = users if users is not None else PAPER_USERS
        scenario = generate_campus(seed=where.campus_seed(seed), n_users=n)
    else:
        assert where.path is not None  # paper and file specs carry their CSV
        if where.kind == "paper":
            scenario = load_csv(where.path, where.text, settle=labels == "settled")
            scenario.meta["paper"] = True
            n = users if users is not None else PAPER_USERS
        else:
            scenario = load_csv(where.path)
            n = users if users is not None else len(scenario)
    if n > len(scenario):
        raise ScenarioError(f"scenario {scenario.name} has {len(scenario)} users, fewer than "
                            f"the {n} asked for; ask for at most {len(scenario)}")
    return scenario.head(n)


__all__ = ["DATA_DIR", "LABEL_SOURCES", "LABELS", "PAPER_SCENARIOS", "PAPER_USERS",
           "REQUIRED_COLUMNS", "LabelSource", "Scenario", "ScenarioError", "ScenarioSpec", "User",
           "load_csv", "load_population", "load_scenario", "parse_labels", "resolve_scenario",
           "settled_labels"]
