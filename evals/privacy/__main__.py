"""`python -m evals.privacy`."""

from evals.privacy.cli import main

main()
