"""Privacy benchmark: cases (generated or read), a role-graph runner, metrics and a table."""

from evals.privacy.bench import BenchInputError, run_privacy_bench
from evals.privacy.cases import ADVERSARIAL, generate_cases, load_cases, profile_cases
from evals.privacy.runner import MODES, Tally, run_case
from evals.privacy.surface import STYLES, fill, surface
from evals.privacy.table import print_table

__all__ = [
    "ADVERSARIAL",
    "MODES",
    "STYLES",
    "BenchInputError",
    "Tally",
    "fill",
    "generate_cases",
    "load_cases",
    "print_table",
    "profile_cases",
    "run_case",
    "run_privacy_bench",
    "surface",
]
