"""Seed knowledge the agent's Chroma memory is built from (data files beside this module)."""

from pathlib import Path

SEED_DIR = Path(__file__).parent
