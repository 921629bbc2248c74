"""Structured answers the models are asked for, as pydantic schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class IntentDecision(BaseModel):
    """The perception node's answer for one request: slice, application and QoS."""

    model_config = ConfigDict(extra="ignore")

    slice: Literal["eMBB", "URLLC"]
    application: str = Field(min_length=1, max_length=200)
    latency_ms: float = Field(gt=0)
    min_rate_mbps: float = Field(ge=0)
    confidence: float = Field(ge=0, le=1)


class PromptAnswer(BaseModel):
    """The prompt-based baseline's answer for one user (the paper's JSON fields)."""

    model_config = ConfigDict(extra="ignore")

    intent: str
    slice: Literal["eMBB", "URLLC"]
    bandwidth: int  # MHz; deliberately unbounded here: the environment clips it
    rate: float  # the model's own rate claim, logged but never scored
    latency: float
    can_accommodate: bool
