"""The multi-turn streaming loop (spec 2), with the deviations ARCHITECTURE.md lists.

Deviations from rig's seed, each covered by a test:

* tools (and `on_tool_call` approvals) run after the turn's provider stream has been read to its
  end, so a human deciding for minutes never leaves a provider connection idle; `ToolCall` items
  are still yielded the moment they arrive;
* `ToolCallDelta` items are yielded to the caller (rig #1789);
* a final turn with reasoning is not stored twice (rig #1849; `compat_seed_history=True`
  restores the seed's duplicate);
* a provider error whose text contains "aborted" ends the turn quietly but keeps its text;
* provider errors carry the history, the partly streamed turn included.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..errors import (
    CompletionError,
    MaxTurnsError,
    OutputValidationError,
    PromptCancelled,
    ProviderError,
    RequestError,
    ToolServerError,
)
from ._accumulator import StreamingCompletionResponse
from ._wire import describe_errors
from .agent import CompletionRequest
from .content import Reasoning, ReasoningText, Text, ToolCall, ToolResult
from .messages import AnyMessage, AssistantMessage, Document, Message, Usage, UserMessage, rag_text
from .output import parse_output
from .streaming import (
    FinalResponse,
    MultiTurnStreamItem,
    StreamAssistantItem,
    StreamedAssistantContent,
    StreamedReasoningDelta,
    StreamedText,
    StreamedToolCall,
    StreamedToolCallDelta,
    StreamedToolResult,
    StreamUserItem,
    ToolCallNameDelta,
)
from .tracing import AgentTracer

if TYPE_CHECKING:
    from .request import StreamingPromptRequest

logger = logging.getLogger("rig_nb.agent")

__all__ = ["RunLoop", "merge_reasoning_blocks", "value_to_json_string"]


def merge_reasoning_blocks(acc: list[Reasoning], incoming: Reasoning) -> None:
    """Extend the last block with the same non-null id, or append `incoming` (spec 2.5)."""
    if incoming.id is not None:
        for i in range(len(acc) - 1, -1, -1):
            if acc[i].id == incoming.id:
                acc[i] = Reasoning(id=incoming.id, content=[*acc[i].content, *incoming.content])
                return
    acc.append(incoming)


def value_to_json_string(value: Any) -> str:
    """Tool arguments as text: a JSON string value is passed raw, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _Turn:
    """What one turn has produced so far (kept for the partial history of an interrupted run)."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.reasoning: list[Reasoning] = []
        self.delta_text: list[str] = []
        self.delta_id: str | None = None
        self.calls: list[ToolCall] = []
        self.results: list[tuple[str, str | None, str]] = []
        self.message_id: str | None = None

    def all_reasoning(self) -> list[Reasoning]:
        """Full blocks; or, when none came, the deltas as one unsigned block (spec T9)."""
        if self.reasoning or not self.delta_text:
            return list(self.reasoning)
        return [Reasoning(id=self.delta_id, content=[ReasoningText(text="".join(self.delta_text))])]

    def messages(self, text: str) -> list[AnyMessage]:
        """The assistant message (text, reasoning, tool calls) and one user message per result."""
        content: list[Any] = [Text(text=text)] if text else []
        content += self.all_reasoning()
        content += self.calls
        out: list[AnyMessage] = []
        if content:
            out.append(AssistantMessage(id=self.message_id, content=content))
        out += [_result_message(tid, cid, result) for tid, cid, result in self.results]
        return out


def _result_message(tool_id: str, call_id: str | None, result: str) -> UserMessage:
    content = ToolResult.from_tool_output(result)
    return UserMessage(content=[ToolResult(id=tool_id, call_id=call_id, content=content)])


class RunLoop:
    """One run of the agent loop; `items()` is the generator, the rest is its state."""

    def __init__(self, request: StreamingPromptRequest) -> None:
        self.request = request
        self.agent = request.agent
        self.input_history: list[AnyMessage] = list(request.chat_history or [])
        self.new_messages: list[AnyMessage] = [request.prompt]
        self.usage = Usage()
        self.turn: _Turn | None = None
        self.aggregated_text = ""
        """This turn's text so far, as `on_text_delta` sees it (reset on a text turn's final)."""
        self.saw_text = False
        self.tracer = AgentTracer(self.agent, request.prompt)

    def committed_history(self) -> list[AnyMessage]:
        """Input history and the messages of completed turns."""
        return self.input_history + self.new_messages

    def partial_history(self) -> list[AnyMessage]:
        """`committed_history()` plus what the current turn produced so far, well formed."""
        if self.turn is None:
            return self.committed_history()
        return self.committed_history() + self.turn.messages("".join(self.turn.text))

    def _cancelled(self, reason: str) -> PromptCancelled:
        return PromptCancelled(self.committed_history(), reason)

    async def items(self) -> AsyncGenerator[MultiTurnStreamItem, None]:
        """Run the loop, yielding each item; errors are raised (and end the run)."""
        hook = self.request.hook
        max_turns = self.request.effective_max_turns
        calls = 0
        with self.tracer.run():
            while True:
                prompt = self.new_messages[-1]
                if calls > max_turns + 1:
                    last = Message.user(rag_text(prompt) or "")
                    raise MaxTurnsError(max_turns, self.committed_history(), last)
                calls += 1
                if max_turns > 1:
                    logger.info("Current conversation Turns: %d/%d", calls, max_turns)
                snapshot = self.input_history + self.new_messages[:-1]
                if hook is not None:
                    action = await hook.on_completion_call(prompt, snapshot)
                    if action is not None and action.kind == "terminate":
                        raise self._cancelled(action.reason)
                request = await self._build_request(prompt, snapshot)
                turn = self.turn = _Turn()
                pending: list[StreamedToolCall] = []
                stream = StreamingCompletionResponse(self._open(request))
                try:
                    while (content := await self._next(stream)) is not None:
                        if hook is None and type(content) is StreamedText:
                            # The hot path: text with no hook to ask (no aggregate to keep).
                            self.saw_text = True
                            turn.text.append(content.text)
                            yield StreamAssistantItem(content=content)
                        elif await self._take(content, prompt, turn, pending):
                            yield StreamAssistantItem(content=content)
                finally:
                    await stream.aclose()
                turn.message_id = stream.message_id
                turn_text = "".join(c.text for c in stream.choice if isinstance(c, Text))
                turn.text = [turn_text]
                self.tracer.turn_ended(turn_text)
                for call in pending:
                    yield await self._run_tool(call, turn)
                self.turn = None
                if self._commit(turn, turn_text):
                    continue
                self.tracer.finish(self.usage)
                logger.info("Agent multi-turn stream finished")
                history = list(self.new_messages) if self.request.chat_history is not None else None
                final = FinalResponse(
                    response=turn_text, aggregated_usage=self.usage, history=history
                )
                if self.agent.output_type is not None:
                    final = final.with_output(self._structured(turn_text))
                yield final
                return

    async def _take(
        self,
        content: StreamedAssistantContent,
        prompt: AnyMessage,
        turn: _Turn,
        pending: list[StreamedToolCall],
    ) -> bool:
        """Handle one piece of the provider stream (spec T8); True when it is to be yielded."""
        hook = self.request.hook
        if isinstance(content, StreamedText):
            if not self.saw_text:
                self.aggregated_text, self.saw_text = "", True
            # Concatenate on a local, the attribute cleared first: CPython then grows the string
            # in place instead of copying it for each token (quadratic on long answers).
            aggregated, self.aggregated_text = self.aggregated_text, ""
            aggregated += content.text
            self.aggregated_text = aggregated
            if hook is not None:
                action = await hook.on_text_delta(content.text, self.aggregated_text)
                if action is not None and action.kind == "terminate":
                    raise self._cancelled(action.reason)
            turn.text.append(content.text)
        elif isinstance(content, StreamedToolCall):
            pending.append(content)
        elif isinstance(content, StreamedToolCallDelta):
            await self._on_delta(content)
            return self.request.forward_tool_call_deltas
        elif isinstance(content, Reasoning):
            merge_reasoning_blocks(turn.reasoning, content)
        elif isinstance(content, StreamedReasoningDelta):
            turn.delta_text.append(content.reasoning)
            if turn.delta_id is None:
                turn.delta_id = content.id
        else:
            usage = content.token_usage()
            if usage is not None:
                self.usage += usage
                self.tracer.turn_usage(usage)
            if not self.saw_text:
                return False
            if hook is not None:
                action = await hook.on_stream_completion_response_finish(prompt, content.response)
                if action is not None and action.kind == "terminate":
                    raise self._cancelled(action.reason)
            self.saw_text = False
        return True

    def _structured(self, text: str) -> Any:
        output_type = self.agent.output_type
        try:
            return parse_output(output_type, text)
        except ValidationError as exc:
            problems = describe_errors(exc, "answer")
            name = getattr(output_type, "__name__", str(output_type))
            raise OutputValidationError(name, text, problems, self.committed_history()) from exc

    def _commit(self, turn: _Turn, turn_text: str) -> bool:
        """Append the turn to the history (spec T10); True when the loop goes on."""
        reasoning = turn.all_reasoning()
        if turn.calls or reasoning:
            content: list[Any] = [Text(text=turn_text)] if turn_text else []
            content += reasoning
            content += turn.calls
            self.new_messages.append(AssistantMessage(id=turn.message_id, content=content))
        self.new_messages += [_result_message(t, c, r) for t, c, r in turn.results]
        if turn.calls:
            return True
        if turn_text:
            if not reasoning or self.request.compat_seed_history:
                self.new_messages.append(Message.assistant(turn_text))
        else:
            logger.warning(
                "Streaming turn completed without assistant text; final response will be empty",
                extra={"agent_name": self.agent.label, "message_id": turn.message_id},
            )
        return False

    async def _on_delta(self, content: StreamedToolCallDelta) -> None:
        hook = self.request.hook
        if hook is None:
            return
        if isinstance(content.content, ToolCallNameDelta):
            name, delta = content.content.name, ""
        else:
            name, delta = None, content.content.delta
        action = await hook.on_tool_call_delta(content.id, content.internal_call_id, name, delta)
        if action is not None and action.kind == "terminate":
            raise self._cancelled(action.reason)

    async def _run_tool(self, item: StreamedToolCall, turn: _Turn) -> StreamUserItem:
        """Ask the hook, run the tool, record the result (spec T8, ToolCall steps 1-6)."""
        call, iid = item.tool_call, item.internal_call_id
        name = call.function.name
        args = value_to_json_string(call.function.arguments)
        hook = self.request.hook
        action = await hook.on_tool_call(name, call.call_id, iid, args) if hook else None
        if action is not None and action.kind == "terminate":
            raise self._cancelled(action.reason)
        if action is not None and action.kind == "skip":
            logger.info("Tool call rejected", extra={"tool_name": name, "reason": action.reason})
            result = action.reason
        else:
            with self.tracer.tool(call, args) as record:
                try:
                    result = await self.agent.tools.call_tool(name, args)
                except ToolServerError as exc:
                    logger.warning("Error while calling tool: %s", exc)
                    result = str(exc)
                record(result)
            if hook is not None:
                after = await hook.on_tool_result(name, call.call_id, iid, args, result)
                if after is not None and after.kind == "terminate":
                    raise self._cancelled(after.reason)
        turn.calls.append(call)
        turn.results.append((call.id, call.call_id, result))
        tool_result = ToolResult(
            id=call.id, call_id=call.call_id, content=ToolResult.from_tool_output(result)
        )
        return StreamUserItem(
            content=StreamedToolResult(tool_result=tool_result, internal_call_id=iid)
        )

    async def _build_request(
        self, prompt: AnyMessage, snapshot: list[AnyMessage]
    ) -> CompletionRequest:
        agent = self.agent
        rag = rag_text(prompt)
        if rag is None:
            rag = next((t for m in reversed(snapshot) if (t := rag_text(m)) is not None), None)
        documents = list(agent.static_context)
        if rag is not None and agent.dynamic_context:
            searches = [index.top_n(rag, n) for n, index in agent.dynamic_context]
            try:
                found = await asyncio.gather(*searches)
            except Exception as exc:
                raise self._with_history(
                    RequestError(f"dynamic context search failed: {exc}")
                ) from exc
            for hits in found:
                for _score, doc_id, doc in hits:
                    text = json.dumps(doc, indent=2, ensure_ascii=False)
                    documents.append(Document(id=doc_id, text=text))
        try:
            tools = agent.tools.definitions(rag or "")
        except Exception as exc:
            error = ToolServerError.definitions(exc)
            raise self._with_history(
                RequestError(f"Failed to get tool definitions: {error}")
            ) from exc
        system: list[AnyMessage] = [Message.system(agent.preamble)] if agent.preamble else []
        return CompletionRequest(
            chat_history=[*system, *snapshot, prompt],
            documents=documents,
            tools=tools,
            temperature=agent.temperature,
            max_tokens=agent.max_tokens,
            tool_choice=agent.tool_choice,
            additional_params=agent.additional_params,
            output_schema=agent.output_schema,
        )

    def _open(self, request: CompletionRequest) -> AsyncIterator[Any]:
        self.tracer.turn_started(request)
        try:
            return self.agent.model.stream(request)
        except CompletionError as exc:
            raise self._with_history(exc) from exc.__cause__
        except AssertionError:
            raise  # a failed test (ScriptedModel), not a provider failure
        except Exception as exc:
            raise self._with_history(_as_provider_error(exc)) from exc

    async def _next(self, stream: StreamingCompletionResponse) -> StreamedAssistantContent | None:
        """The provider's next content, `None` at the end.

        Failures become `CompletionError`s carrying the history.
        """
        try:
            if not self.tracer.attaching:  # the hot path: no span to make current
                return await stream.__anext__()
            with self.tracer.in_turn():
                return await stream.__anext__()
        except StopAsyncIteration:
            return None
        except CompletionError as exc:
            raise self._with_history(exc) from exc.__cause__
        except AssertionError:
            raise
        except Exception as exc:
            raise self._with_history(_as_provider_error(exc)) from exc

    def _with_history(self, error: CompletionError) -> CompletionError:
        error.chat_history = self.partial_history()
        return error


def _as_provider_error(exc: Exception) -> ProviderError:
    return ProviderError(f"{type(exc).__name__}: {exc}")
