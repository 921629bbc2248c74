"""Baseline policies: prompt-based, rule-based (paper-faithful), optimal and greedy."""
