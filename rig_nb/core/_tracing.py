"""OpenTelemetry GenAI spans for the agent loop (spec 5); a no-op without `opentelemetry-api`.

Spans: `invoke_agent` for the run (or the caller's current span, reused), `chat_streaming` per
model call and `execute_tool` per tool call, both children of the agent span.

A span is made current only around an `await` that does not cross a `yield` of the agent stream
(the provider read, the tool call), so it can never leak into the consumer's task or into other
tasks (rig #1108, spec T08).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from contextlib import contextmanager
from typing import Any

from ._content import ToolCall
from ._messages import AnyMessage, Message, Usage, derived, rag_text
from ._model import CompletionRequest
from ._spec import AgentSpec

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
except ImportError:  # pragma: no cover - exercised when the extra is not installed
    otel_context = None
    trace = None

__all__ = ["AgentTracer"]


def _usage_attributes(usage: Usage) -> dict[str, int]:
    return {
        "gen_ai.usage.input_tokens": usage.input_tokens,
        "gen_ai.usage.output_tokens": usage.output_tokens,
        "gen_ai.usage.cache_read.input_tokens": usage.cached_input_tokens,
        "gen_ai.usage.cache_creation.input_tokens": usage.cache_creation_input_tokens,
    }


def input_messages(history: list[AnyMessage]) -> str:
    """The `gen_ai.input.messages` attribute: the history in rig's JSON.

    Each message's JSON is made once (`derived`): every turn sends them all again.
    """
    return f"[{', '.join(derived(m, 'rig-json', _rig_json) for m in history)}]"


def _rig_json(message: Message) -> str:
    return json.dumps(message.to_wire(), ensure_ascii=False)


class AgentTracer:
    """The spans of one run. Every method is cheap and does nothing without OpenTelemetry."""

    def __init__(self, agent: AgentSpec, prompt: AnyMessage) -> None:
        self._agent = agent
        self._prompt = prompt
        self._tracer: Any = trace.get_tracer("rig_nb") if trace is not None else None
        self._agent_span: Any = None
        self._chat_span: Any = None
        self._attach = False
        """Make the chat span current around reads: only when something records it."""

    def _common(self) -> dict[str, str]:
        attributes = {"gen_ai.agent.name": self._agent.label}
        if self._agent.preamble:
            attributes["gen_ai.system_instructions"] = self._agent.preamble
        return attributes

    @contextmanager
    def run(self) -> Generator[None, None, None]:
        """The run's span: the caller's current span if there is one, else a new `invoke_agent`."""
        if self._tracer is None or trace is None:
            yield
            return
        current: Any = trace.get_current_span()
        own = not current.get_span_context().is_valid
        span: Any = (
            self._tracer.start_span(
                "invoke_agent",
                attributes={"gen_ai.operation.name": "invoke_agent", **self._common()},
            )
            if own
            else current
        )
        self._agent_span = span
        prompt = rag_text(self._prompt)
        if prompt is not None:
            span.set_attribute("gen_ai.prompt", prompt)
        try:
            yield
        except Exception as exc:
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
            raise
        finally:
            self._end_chat()
            if own:
                span.end()

    def turn_started(self, request: CompletionRequest) -> None:
        """Open the `chat_streaming` span of a model call."""
        if self._tracer is None or trace is None:
            return
        self._end_chat()
        model = self._agent.model
        attributes: dict[str, Any] = {"gen_ai.operation.name": "chat", **self._common()}
        for attribute, name in (
            ("gen_ai.provider.name", "provider_name"),
            ("gen_ai.request.model", "model_name"),
        ):
            value = getattr(model, name, None)
            if isinstance(value, str):
                attributes[attribute] = value
        parent = trace.set_span_in_context(self._agent_span)
        span: Any = self._tracer.start_span("chat_streaming", context=parent, attributes=attributes)
        self._chat_span = span
        self._attach = bool(span.is_recording())
        if self._attach:
            # Built only for a span that records: with the API installed and no tracer set, a turn
            # at 10k messages cost 2.4x one without the API, now 1.0x (bench/turns.py).
            span.set_attribute("gen_ai.input.messages", input_messages(request.chat_history))

    @property
    def attaching(self) -> bool:
        """Whether reads run with the chat span made current (only when it records)."""
        return self._attach

    @contextmanager
    def in_turn(self) -> Generator[None, None, None]:
        """Make the model call's span current around one provider read (no `yield` inside)."""
        if not self._attach or otel_context is None or trace is None:
            yield
            return
        token = otel_context.attach(trace.set_span_in_context(self._chat_span))
        try:
            yield
        finally:
            otel_context.detach(token)

    def turn_usage(self, usage: Usage) -> None:
        """Record a model call's usage on its span."""
        if self._chat_span is not None:
            self._chat_span.set_attributes(_usage_attributes(usage))

    def turn_ended(self, text: str) -> None:
        """Record the turn's text and close the model call's span."""
        if self._agent_span is not None:
            self._agent_span.set_attribute("gen_ai.completion", text)
        if self._chat_span is not None:
            self._chat_span.set_attribute("gen_ai.output.messages", text)
        self._end_chat()

    @contextmanager
    def tool(self, call: ToolCall, args: str) -> Generator[Callable[[str], None], None, None]:
        """An `execute_tool` span, current while the tool runs; yields the result recorder."""
        if self._tracer is None or trace is None or otel_context is None:
            yield lambda result: None
            return
        span: Any = self._tracer.start_span(
            "execute_tool",
            context=trace.set_span_in_context(self._agent_span),
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.type": "function",
                "gen_ai.tool.name": call.function.name,
                "gen_ai.tool.call.id": call.id,
                "gen_ai.tool.call.arguments": args,
            },
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            yield lambda result: span.set_attribute("gen_ai.tool.call.result", result)
        finally:
            otel_context.detach(token)
            span.end()

    def finish(self, usage: Usage) -> None:
        """Record the run's summed usage on the agent span."""
        if self._agent_span is not None:
            self._agent_span.set_attributes(_usage_attributes(usage))

    def _end_chat(self) -> None:
        if self._chat_span is not None:
            self._chat_span.end()
            self._chat_span = None
