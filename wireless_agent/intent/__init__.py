"""Offline intent classification: free-text request to eMBB or URLLC slice, with QoS needs."""

from wireless_agent.intent.classifier import IntentClassifier, IntentPrediction
from wireless_agent.intent.corpus import load_corpus, normalise

__all__ = ["IntentClassifier", "IntentPrediction", "load_corpus", "normalise"]
