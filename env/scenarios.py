"""Scenarios: users with positions, CQI and free-text requests, loaded from CSV or generated."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from wireless_agent.limits import cap_request

DATA_DIR = Path(__file__).parent / "data"
PAPER_SCENARIOS = ("center", "north", "south")
# The study used the first 30 users of each file (center has 200 rows).
PAPER_USERS = 30
REQUIRED_COLUMNS = ("RX_ID", "X", "Y", "Z", "CQI", "User_Request", "Request_Label")
LABELS = {"embb": "eMBB", "urllc": "URLLC"}


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one line naming file, row and problem."""


@dataclass(frozen=True)
class User:
    """One user of a scenario: where it is, its channel quality and what it asks for."""

    uid: int
    x: float
    y: float
    z: float
    cqi: int
    request: str
    label: str  # ground truth slice: "eMBB" or "URLLC"
    snr_db: float | None = None
    los: bool = False


@dataclass
class Scenario:
    """A named, ordered list of users."""

    name: str
    users: list[User]
    source: str = ""
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.users)

    def head(self, n: int) -> Scenario:
        """The scenario cut to its first `n` users."""
        return Scenario(self.name, self.users[:n], self.source, dict(self.meta))

    def describe(self) -> dict:
        """Users, label mix, mean CQI and CQI histogram."""
        labels = Counter(u.label for u in self.users)
        cqis = Counter(u.cqi for u in self.users)
        n = len(self.users)
        return {
            "name": self.name,
            "users": n,
            "embb": labels.get("eMBB", 0),
            "urllc": labels.get("URLLC", 0),
            "mean_cqi": round(sum(u.cqi for u in self.users) / n, 2) if n else 0.0,
            "cqi_histogram": {c: cqis[c] for c in sorted(cqis)},
            "source": self.source,
        }


def _float(value: str, path: Path, row: int, column: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ScenarioError(
            f"{path}: row {row}: column {column} is {value!r}, not a number; fix the value"
        ) from None


def load_csv(path: str | Path, name: str | None = None) -> Scenario:
    """Load and validate a scenario CSV in the WirelessAgent format."""
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
        if not request:
            raise ScenarioError(f"{path}: row {row_no}: User_Request is empty; write the "
                                "user's request")
        snr = row.get("SNR_dB")
        users.append(User(
            uid=int(_float(row["RX_ID"], path, row_no, "RX_ID")),
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
    meta = {"cut_requests": cut_rows} if cut_rows else {}
    return Scenario(name or path.stem, users, str(path), meta)


def load_population(spec: str, seed: int = 0, campus_users: int = 200) -> Scenario:
    """Every user a scenario's place holds (the whole file; a campus with `campus_users`)."""
    spec = spec.strip()
    if spec in PAPER_SCENARIOS:
        return load_csv(DATA_DIR / f"{spec}.csv", spec)
    if spec == "campus" or spec.startswith("campus:"):
        from env.campus import generate_campus

        campus_seed = int(spec.split(":", 1)[1]) if ":" in spec else seed
        return generate_campus(seed=campus_seed, n_users=campus_users)
    return load_scenario(spec)


def load_scenario(spec: str, users: int | None = None, seed: int = 0) -> Scenario:
    """A scenario by name (center, north, south), `campus[:SEED]`, or CSV path."""
    spec = spec.strip()
    if spec in PAPER_SCENARIOS:
        scenario = load_csv(DATA_DIR / f"{spec}.csv", spec)
        scenario.meta["paper"] = True
        n = users if users is not None else PAPER_USERS
    elif spec == "campus" or spec.startswith("campus:"):
        from env.campus import generate_campus

        campus_seed = int(spec.split(":", 1)[1]) if ":" in spec else seed
        n = users if users is not None else PAPER_USERS
        scenario = generate_campus(seed=campus_seed, n_users=n)
    elif spec.endswith(".csv") or Path(spec).exists():
        scenario = load_csv(spec)
        n = users if users is not None else len(scenario)
    else:
        raise ScenarioError(f"unknown scenario {spec!r}; use one of "
                            f"{', '.join(PAPER_SCENARIOS)}, campus[:SEED] or a CSV path")
    if n > len(scenario):
        raise ScenarioError(f"scenario {scenario.name} has {len(scenario)} users, fewer than "
                            f"the {n} asked for; ask for at most {len(scenario)}")
    return scenario.head(n)
