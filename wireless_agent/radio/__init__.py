"""Radio tools the agent calls for numbers it must not guess: ray-tracing lookup, mobility."""

from wireless_agent.radio.kalman import KalmanConfig, predict_next_position
from wireless_agent.radio.raytracing import RayTrace, RayTracer, RayTracingError, RayTracingTable

__all__ = ["KalmanConfig", "RayTrace", "RayTracer", "RayTracingError", "RayTracingTable",
           "predict_next_position"]
