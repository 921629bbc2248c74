"""Offline intent classification: request to eMBB, URLLC or unclear, with stated QoS figures."""

from wireless_agent.intent.clarify import clarifying_question
from wireless_agent.intent.classifier import IntentClassifier, IntentPrediction
from wireless_agent.intent.corpus import load_corpus, load_training, normalise
from wireless_agent.intent.qos import stated_requirements

__all__ = ["IntentClassifier", "IntentPrediction", "clarifying_question", "load_corpus",
           "load_training", "normalise", "stated_requirements"]
