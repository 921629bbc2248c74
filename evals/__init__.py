"""Evaluations: batch slicing evaluation, privacy benchmark, benchmarks, reports and plots."""
