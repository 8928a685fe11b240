"""Providers record what they learn (response id, model) on the current span.

That is the agent loop's `chat_streaming` span while it reads them. A no-op without OpenTelemetry.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry import trace
except ImportError:  # pragma: no cover - the otel extra is not installed
    trace = None

__all__ = ["record_response"]


def record_response(response_id: Any = None, model: Any = None) -> None:
    """`gen_ai.response.id` / `gen_ai.response.model` on the current span, when given."""
    if trace is None:
        return
    span: Any = trace.get_current_span()
    if not span.is_recording():
        return
    if isinstance(response_id, str) and response_id:
        span.set_attribute("gen_ai.response.id", response_id)
    if isinstance(model, str) and model:
        span.set_attribute("gen_ai.response.model", model)
