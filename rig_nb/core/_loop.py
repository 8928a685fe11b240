"""The multi-turn streaming loop (spec 2), with the deviations ARCHITECTURE.md lists.

Deviations from rig's seed, each covered by a test:

* tools (and `on_tool_call` approvals) run after the turn's provider stream has been read to its
  end, so a human deciding for minutes never leaves a provider connection idle; `ToolCall` items
  are still yielded the moment they arrive;
* `ToolCallDelta` items are yielded to the caller (rig #1789);
* a final turn with reasoning is not stored twice (rig #1849; `compat_seed_history=True`
  restores the seed's duplicate);
* no error ends a stream quietly: rig ends a stream whose error text contains "aborted" as if it
  had finished (an empty answer); here a cut-off stream is always a `ProviderError` carrying the
  partial turn, and cancelling is the only quiet end;
* every error that ends a run carries the history, the partly streamed turn included (rig's
  seed attached none to provider errors);
* a hook's Terminate keeps the same history as a Stop (`run.cancel()`): the committed turns plus
  the partial turn, its text so far and the tool calls that already ran with their results (the
  seed kept only the messages committed before the turn);
* any exception from a tool goes back to the model as that tool's result, and is logged at INFO
  (the seed logs a warning); an exception from a hook ends the run as a `HookError`, one from a
  model that is not a rig_nb error as a `ModelError`, never relabelled as a `ProviderError`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from pydantic import ValidationError

from ..errors import (
    HookError,
    MaxTurnsError,
    ModelError,
    OutputValidationError,
    PromptCancelled,
    PromptError,
    RigError,
    ToolServerError,
    describe,
)
from ._accumulator import StreamingCompletionResponse
from ._build import build_request
from ._content import Text, ToolResult
from ._hooks import HookAction, ToolCallHookAction
from ._limits import Meter
from ._messages import AnyMessage, AssistantMessage, Message, Usage, rag_text
from ._model import CompletionRequest
from ._output import parse_output
from ._raw import ToolCallNameDelta
from ._reasoning import Reasoning
from ._spec import RunSpec
from ._streaming import (
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
)
from ._tool_output import ToolOutput
from ._tools import tool_failure
from ._tracing import AgentTracer
from ._turn import Turn, merge_reasoning_blocks, result_message, value_to_json_string
from ._wire import describe_errors

logger = logging.getLogger("rig_nb.agent")

__all__ = ["RunLoop"]


class RunLoop:
    """One run of the agent loop; `items()` is the generator, the rest is its state."""

    def __init__(self, request: RunSpec) -> None:
        self.request = request
        self.agent = request.agent
        self.input_history: list[AnyMessage] = list(request.chat_history or [])
        self.new_messages: list[AnyMessage] = [request.prompt]
        self.usage = Usage()
        self.turn: Turn | None = None
        self.calls = 0
        """Model calls made so far."""
        self.aggregated_text = ""
        """This turn's text so far, as `on_text_delta` sees it (reset on a text turn's final)."""
        self.saw_text = False
        self.tracer = AgentTracer(self.agent, request.prompt)
        self.meter = Meter(request.effective_usage_limits, self.agent.prices, self.agent.model)
        """Usage, costs and limits (`_limits.py` says when each limit is checked)."""
        self.stream: StreamingCompletionResponse | None = None
        """The current turn's provider stream (it holds the turn's text so far)."""
        self.judged = ""
        """The text delta `on_text_delta` is judging: not in the history unless it accepts it."""

    def committed_history(self) -> list[AnyMessage]:
        """Input history and the messages of completed turns."""
        return self.input_history + self.new_messages

    def partial_history(self) -> list[AnyMessage]:
        """`committed_history()` plus what the current turn produced so far, well formed."""
        if self.turn is None:
            return self.committed_history()
        if self.stream is not None:
            text = self.stream.text()
            self.turn.text = [text[: len(text) - len(self.judged)]]
        return self.committed_history() + self.turn.messages()

    async def items(self) -> AsyncGenerator[MultiTurnStreamItem, None]:
        """Run the loop, yielding each item; the error that ends it carries the history."""
        with self.tracer.run():
            try:
                while True:
                    prompt, request = await self._prepare()
                    turn = self.turn = Turn()
                    pending: list[StreamedToolCall] = []
                    stream = self.stream = StreamingCompletionResponse(await self._open(request))
                    try:
                        while (content := await self._next(stream)) is not None:
                            if await self._take(content, prompt, turn, pending):
                                yield StreamAssistantItem(content=content)
                    finally:
                        await stream.aclose()
                    turn.message_id = stream.message_id
                    turn_text = "".join(c.text for c in stream.choice if isinstance(c, Text))
                    turn.text, self.stream = [turn_text], None
                    self.tracer.turn_ended(turn_text)
                    self.meter.after_call(stream.response)  # may end the run: a limit crossed
                    for call in pending:
                        yield await self._run_tool(call, turn)
                    self.turn = None
                    if self._commit(turn, turn_text):
                        continue
                    yield self._final(turn_text)
                    return
            except RigError as exc:
                if exc.chat_history is None:
                    exc.chat_history = self.partial_history()
                raise
            except Exception as exc:  # a bug of rig_nb's own: still typed, still with history
                message = f"the agent loop failed: {describe(exc)}"
                raise PromptError(message, self.partial_history()) from exc

    async def _prepare(self) -> tuple[AnyMessage, CompletionRequest]:
        """Check the turn budget, ask `on_completion_call`, build the request (spec T1-T6)."""
        prompt = self.new_messages[-1]
        max_turns = self.request.effective_max_turns
        if self.calls > max_turns + 1:
            last = Message.user(rag_text(prompt) or "")
            raise MaxTurnsError(max_turns, self.committed_history(), last)
        self.meter.before_call()  # may end the run: a limit reached
        self.calls += 1
        if max_turns > 1:
            logger.info("Current conversation Turns: %d/%d", self.calls, max_turns)
        snapshot = self.input_history + self.new_messages[:-1]
        if self.request.hook is not None:
            await self._ask("on_completion_call", prompt, list(snapshot))
        return prompt, await build_request(self.agent, prompt, snapshot)

    async def _ask(self, name: str, *args: Any) -> HookAction | ToolCallHookAction | None:
        """Await a hook callback: a Terminate ends the run, an exception is a `HookError`."""
        try:
            action = await getattr(self.request.hook, name)(*args)
        except Exception as exc:
            if isinstance(exc, RigError):
                raise
            raise HookError.raised(name, exc, self.partial_history()) from exc
        return None if action is None else self._verdict(name, action)

    def _verdict(self, name: str, action: Any) -> HookAction | ToolCallHookAction:
        if isinstance(action, HookAction | ToolCallHookAction):
            if action.kind == "terminate":
                raise PromptCancelled(self.partial_history(), action.reason)
            if action.kind != "skip" or name == "on_tool_call":
                return action
            detail = "returned ToolCallHookAction.skip(...), which only on_tool_call may return"
        else:
            kind = "ToolCallHookAction" if name == "on_tool_call" else "HookAction"
            detail = (
                f"returned {repr(action)[:200]}; return None, {kind}.cont() or "
                f"{kind}.terminate(reason)"
            )
        raise HookError(name, detail, self.partial_history())

    async def _take(
        self,
        content: StreamedAssistantContent,
        prompt: AnyMessage,
        turn: Turn,
        pending: list[StreamedToolCall],
    ) -> bool:
        """Handle one piece of the provider stream (spec T8); True when it is to be yielded."""
        hook = self.request.hook
        if isinstance(content, StreamedText):
            await self._on_text(content.text)
        elif isinstance(content, StreamedToolCall):
            pending.append(content)
        elif isinstance(content, StreamedToolCallDelta):
            if hook is not None:
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
                await self._ask("on_stream_completion_response_finish", prompt, content.response)
            self.saw_text = False
        return True

    async def _on_text(self, text: str) -> None:
        """A text delta: the hook sees it with the text so far (the stream keeps the turn's)."""
        if not self.saw_text:
            self.aggregated_text, self.saw_text = "", True
        hook = self.request.hook
        if hook is None:
            return  # no aggregate to keep: the text is held once, by the stream
        # Concatenate on a local, the attribute cleared first: CPython then grows the string
        # in place instead of copying it for each token (quadratic on long answers).
        aggregated, self.aggregated_text = self.aggregated_text, ""
        aggregated += text
        self.aggregated_text = aggregated
        self.judged = text  # stays set when the hook fails, terminates or is cancelled
        try:  # inlined `_ask`: this runs for every text delta
            action = await hook.on_text_delta(text, aggregated)
        except Exception as exc:
            if isinstance(exc, RigError):
                raise
            raise HookError.raised("on_text_delta", exc, self.partial_history()) from exc
        if action is not None:
            self._verdict("on_text_delta", action)
        self.judged = ""

    async def _on_delta(self, content: StreamedToolCallDelta) -> None:
        delta = content.content
        if isinstance(delta, ToolCallNameDelta):
            name, text = delta.name, ""
        else:
            name, text = None, delta.delta
        iid = content.internal_call_id
        await self._ask("on_tool_call_delta", content.id, iid, name, text)

    def _final(self, turn_text: str) -> FinalResponse:
        self.tracer.finish(self.usage)
        logger.info("Agent multi-turn stream finished")
        history = list(self.new_messages) if self.request.chat_history is not None else None
        final = FinalResponse(response=turn_text, aggregated_usage=self.usage, history=history)
        final = final.with_calls(self.meter.ledger.copy().calls)  # priced when first asked
        if self.agent.output_type is not None:
            final = final.with_output(self._structured(turn_text))
        return final

    def _structured(self, text: str) -> Any:
        output_type = self.agent.output_type
        try:
            return parse_output(output_type, text)
        except Exception as exc:  # a validator may raise anything; the answer is still kept
            if isinstance(exc, ValidationError):
                problems = describe_errors(exc, "answer")
            else:
                problems = describe(exc)
            name = getattr(output_type, "__name__", str(output_type))
            raise OutputValidationError(name, text, problems, self.committed_history()) from exc

    def _commit(self, turn: Turn, turn_text: str) -> bool:
        """Append the turn to the history (spec T10); True when the loop goes on."""
        reasoning = turn.all_reasoning()
        if turn.calls or reasoning:
            content: list[Any] = [Text(text=turn_text)] if turn_text else []
            content += reasoning
            content += turn.calls
            self.new_messages.append(AssistantMessage(id=turn.message_id, content=content))
        self.new_messages += [result_message(t, c, r) for t, c, r in turn.results]
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

    async def _run_tool(self, item: StreamedToolCall, turn: Turn) -> StreamUserItem:
        """Ask the hook, run the tool, record the result (spec T8, ToolCall steps 1-6).

        The call and its result are recorded before `on_tool_result` runs, so a Terminate there
        (or a Stop while it waits) keeps them in the history.
        """
        call, iid = item.tool_call, item.internal_call_id
        name = call.function.name
        try:
            args = value_to_json_string(call.function.arguments)
        except (TypeError, ValueError) as exc:
            problem = TypeError(f"the arguments of the {name} call {call.id!r} are not JSON: {exc}")
            raise ModelError.from_exception(problem) from exc
        hook = self.request.hook
        self.meter.before_tool_call()  # may end the run, before anyone is asked to approve
        action = await self._ask("on_tool_call", name, call.call_id, iid, args) if hook else None
        failure: str | None = None
        if action is not None and action.kind == "skip":
            logger.info("Tool call rejected", extra={"tool_name": name, "reason": action.reason})
            result = action.reason
            turn.record(call, result)
        else:
            self.meter.tool_ran()
            with self.tracer.tool(call, args) as record:
                try:
                    result = await self.agent.tools.call_tool(name, args)
                except Exception as exc:
                    error = exc if isinstance(exc, ToolServerError) else tool_failure(exc)
                    # INFO, not WARNING: the model gets the failure as the result, and a warning
                    # would reach a notebook cell's stderr through logging's last resort.
                    logger.info("Error while calling tool: %s", error)
                    result = str(error)
                    failure = error.summary or result
                record(result)
            turn.record(call, result)
            if hook is not None:
                await self._ask("on_tool_result", name, call.call_id, iid, args, result)
        content = ToolResult.from_tool_output(result)
        tool_result = ToolResult(id=call.id, call_id=call.call_id, content=content)
        display = result.display if isinstance(result, ToolOutput) else None
        return StreamUserItem(
            content=StreamedToolResult(
                tool_result=tool_result, internal_call_id=iid, error=failure, display=display
            )
        )

    async def _open(self, request: CompletionRequest) -> AsyncIterator[Any]:
        """Start the model call; what it raises that is not a rig_nb error is a `ModelError`."""
        self.tracer.turn_started(request)
        model = self.agent.model
        try:
            started: Any = model.stream(request)
            if inspect.isawaitable(started) and not hasattr(started, "__anext__"):
                started = await started  # an `async def stream` returning an iterator
            inner: Any = started
        except Exception as exc:
            if isinstance(exc, RigError):
                raise
            raise ModelError.from_exception(exc) from exc
        if not hasattr(inner, "__anext__"):
            problem = TypeError(
                f"{type(model).__name__}.stream() returned {type(inner).__name__}, not an async "
                "iterator; write it as an async generator (async def stream(...): ... yield ...)"
            )
            raise ModelError.from_exception(problem)
        return inner

    async def _next(self, stream: StreamingCompletionResponse) -> StreamedAssistantContent | None:
        """The model's next content, `None` at the end; a non-rig_nb exception is a `ModelError`."""
        try:
            if not self.tracer.attaching:  # the hot path: no span to make current
                return await stream.__anext__()
            with self.tracer.in_turn():
                return await stream.__anext__()
        except StopAsyncIteration:
            return None
        except Exception as exc:
            if isinstance(exc, RigError):
                raise
            raise ModelError.from_exception(exc) from exc
