"""Running `%%agent` cells on the kernel's event loop, and the conversation they continue.

A `%%agent` cell is rewritten (by an input transformer) into `await run_cell(line, body)`: the cell
stays busy until the run ends, Run All waits for it, and on ipykernel >= 7.4 button clicks still
arrive while it awaits. The result and the history land in the namespace; an error, a Stop or a
kernel interrupt keeps the history too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from dataclasses import dataclass, field
from typing import Any

from IPython.core.error import UsageError
from IPython.core.getipython import get_ipython
from IPython.display import display

from ..core import (
    Agent,
    AnyMessage,
    FinalResponse,
    MultiTurnStreamItem,
    StreamAssistantItem,
    StreamedText,
    StreamedToolCall,
    StreamUserItem,
    UsageLimits,
)
from ..errors import PromptCancelled, RigError
from ..kernel import kernel_tools
from ..kernel._cell_log import CellLog
from ..widgets import AgentView, ApprovalPolicy
from ._cassettes import recording, replay_model, replaying
from ._config import (
    DEFAULT_MAX_TURNS,
    AgentDefaults,
    as_options,
    copy_defaults,
    replace_defaults,
    update_defaults,
)
from ._interrupts import RunInterrupted, RunKeyboardInterrupt, kept_awake
from ._models import ModelCache
from ._options import (
    CellOptions,
    parse_cell_line,
    resolve_model,
    resolve_output_type,
    resolve_system,
    resolve_tools,
)
from ._prompt import cell_prompt

__all__ = ["RunInterrupted", "RunKeyboardInterrupt", "Session", "run_cell", "session_for"]


@dataclass
class Session:
    """One kernel's `%%agent` state: defaults, the conversation, what was always allowed.

    The defaults are the traits of `config`: the extension's `AgentMagics` once it is loaded, so
    `%config AgentMagics.model = ...` and `%agent defaults -m ...` set the same value.
    `always_allowed` belongs to the conversation: `--new`, `%agent reset`, `%agent load` and
    `%agent allow --clear` empty it. It never beats a `deny` policy.
    """

    config: AgentDefaults = field(default_factory=AgentDefaults)
    """The defaults, as traitlets (`AgentMagics` is one, configurable with `%config`)."""
    history: list[AnyMessage] = field(default_factory=list[AnyMessage])
    always_allowed: set[str] = field(default_factory=set[str])
    last: FinalResponse | None = None
    last_error: BaseException | None = None
    background: asyncio.Task[None] | None = None
    """The run of a cell that could not await (ipykernel < 7.4)."""
    view: AgentView | None = None
    """The view of the latest `%%agent` cell (its `stop()`, `state`, `last_run`)."""
    mcp_servers: dict[str, Any] = field(default_factory=dict[str, Any])
    """`%agent mcp add`'s servers (name -> `rig_nb.mcp.MCPServer`); every cell gets their tools."""
    cells: CellLog | None = None
    """The cells run since the extension loaded (`{In[-1]}` where IPython numbers no cells)."""

    @property
    def defaults(self) -> CellOptions:
        """The defaults, as cell options; assigning replaces them all."""
        return as_options(self.config)

    @defaults.setter
    def defaults(self, options: CellOptions) -> None:
        replace_defaults(self.config, options)

    @property
    def out(self) -> str:
        """The variable that receives the `FinalResponse`."""
        return self.config.out

    @property
    def history_var(self) -> str:
        """The variable that receives the conversation."""
        return self.config.history_var

    def attach(self, config: AgentDefaults, configurables: list[Any] | None = None) -> None:
        """Hold the defaults in `config` (the extension's `AgentMagics`).

        On a reload the new one takes the old one's values, and the old one leaves the shell's
        `configurables` (so `%config AgentMagics.x` reads the one in use).
        """
        old = self.config
        if old is not config and self._attached:
            copy_defaults(config, old)
            if configurables is not None and old in configurables:
                configurables.remove(old)
        self.config = config
        self._attached = True

    _attached: bool = field(default=False, init=False, repr=False)

    models: ModelCache = field(default_factory=ModelCache)
    """The models `-m vendor:model` built, reused by the next cells with the same spec."""

    def merged(self, options: CellOptions) -> CellOptions:
        """The cell's options over the session defaults."""
        d = self.defaults
        if d.record and d.replay and not (options.record or options.replay):
            raise UsageError(
                f"the defaults both record to {d.record!r} and replay {d.replay!r}; unset one "
                "(%config AgentMagics.record = None) or pass --record/--replay in the cell"
            )
        return CellOptions(
            model=options.model or d.model,
            system=options.system if options.system is not None else d.system,
            tools=options.tools if options.tools is not None else d.tools,
            max_turns=options.max_turns if options.max_turns is not None else d.max_turns,
            max_cost=options.max_cost if options.max_cost is not None else d.max_cost,
            approve=options.approve or d.approve,
            approve_tool={**d.approve_tool, **options.approve_tool},
            new=options.new,
            out=options.out or self.out,
            history_var=options.history_var or self.history_var,
            no_widget=options.no_widget or d.no_widget,
            output=options.output or d.output,
            attach=list(options.attach),  # files go with one cell, never a default
            budget=options.budget if options.budget is not None else d.budget,
            kernel_tools=options.kernel_tools or d.kernel_tools,
            record=options.record or (None if options.replay else d.record),
            replay=options.replay or (None if options.record else d.replay),
            over=options.over,  # a batch is one cell's, never a default
            **options.batch_options,
        )

    def set_defaults(self, options: CellOptions) -> None:
        """`%agent defaults ...`: set what was given (the same traits `%config` sets)."""
        if options.attach:
            raise UsageError("-a attaches a file to one %%agent cell; it cannot be a default")
        if options.over is not None or options.batch_options:
            raise UsageError("--over and its options belong to one %%agent cell, not the defaults")
        update_defaults(self.config, options)

    def build_agent(self, options: CellOptions, namespace: dict[str, Any]) -> Agent:
        """The agent a cell runs: its model (or Agent), system prompt and tools.

        `--replay PATH` answers from a cassette (the `-m` model is not made, so no key is
        needed; an Agent variable keeps its tools, preamble and output type); `--record PATH`
        records the model's exchanges to one.
        """
        replay = replay_model(options.replay) if options.replay else None
        if replay is not None:
            named = namespace.get(options.model or "")
            found = named if isinstance(named, Agent) else replay
        elif not options.model:
            raise UsageError(
                "no model: pass -m openai:gpt-4o-mini (or the name of a model variable), or set a "
                "default with %agent defaults -m ..."
            )
        else:
            found = resolve_model(options.model, namespace, self.models)
        agent = self._agent_over(found, options, namespace)
        if replay is not None and agent.model is not replay:
            return replaying(agent, replay)
        if options.record:
            return recording(agent, str(options.record))
        return agent

    def _agent_over(self, found: Any, options: CellOptions, namespace: dict[str, Any]) -> Agent:
        tools = resolve_tools(options.tools or [], namespace)
        if options.kernel_tools:  # a tool of the cell's own with the same name wins
            taken = {t.name for t in tools}
            own = kernel_tools(namespace, budget=options.budget)
            tools += [t for t in own if t.name not in taken]
        if self.mcp_servers:
            from rig_nb.mcp._magic import session_tools

            tools += session_tools(self.mcp_servers, tools)
        system = resolve_system(options.system, namespace)
        output_type = resolve_output_type(options.output, namespace)
        limits = found.usage_limits if isinstance(found, Agent) else None
        if options.max_cost is not None:  # over the agent's other limits
            limits = dataclasses.replace(limits or UsageLimits(), max_cost=options.max_cost)
        if isinstance(found, Agent):
            if (
                not tools
                and system is None
                and output_type is None
                and limits is found.usage_limits
            ):
                return found
            return Agent(
                found.model,
                name=found.name,
                preamble=system if system is not None else found.preamble,
                context=found.static_context,
                tools=[*found.tools, *tools],
                temperature=found.temperature,
                max_tokens=found.max_tokens,
                additional_params=found.additional_params,
                hook=found.hook,
                output_type=output_type or found.output_type,
                usage_limits=limits,
                prices=found.prices,
            )
        return Agent(
            found, preamble=system, tools=tools, output_type=output_type, usage_limits=limits
        )


_SESSIONS: dict[int, Session] = {}


def session_for(shell: Any) -> Session:
    """The session of an IPython shell."""
    return _SESSIONS.setdefault(id(shell), Session())


class _Printer:
    """The no-widget mode: text as it streams, tool calls and results on their own lines."""

    def __init__(self) -> None:
        self._midline = False

    def __call__(self, item: MultiTurnStreamItem) -> None:
        if isinstance(item, StreamAssistantItem) and isinstance(item.content, StreamedText):
            print(item.content.text, end="", flush=True)  # noqa: T201
            self._midline = not item.content.text.endswith("\n")
        elif isinstance(item, StreamAssistantItem) and isinstance(item.content, StreamedToolCall):
            call = item.content.tool_call
            self._line(f"[tool call] {call.function.name}({call.function.arguments})")
        elif isinstance(item, StreamUserItem):
            texts = [getattr(c, "text", "[image]") for c in item.content.tool_result.content]
            self._line(f"[tool result] {' '.join(texts)[:500]}")
        elif isinstance(item, FinalResponse):
            if self._midline:
                print(flush=True)  # noqa: T201

    def _line(self, text: str) -> None:
        if self._midline:
            print()  # noqa: T201
        print(text, flush=True)  # noqa: T201
        self._midline = False


async def run_cell(line: str, body: str) -> None:
    """Run one `%%agent` cell to its end; results and history go to the namespace.

    However the run ends, `agent_history` keeps the conversation and the view shows the ending:
    a `RigError` (provider, tool set, max turns...) prints one line and the cell succeeds; a Stop
    is not an error; a kernel interrupt ends the cell with one "Interrupted" line; any other
    exception (a bug) is raised with its traceback. The loop is kept awake while the cell runs,
    so the interrupt lands even while a read waits for a model that sends nothing for a minute.
    """
    with kept_awake():
        await _run_cell(line, body)


async def _run_cell(line: str, body: str) -> None:
    shell: Any = get_ipython()
    if shell is None:
        raise UsageError("%%agent runs inside IPython or Jupyter")
    session = session_for(shell)
    options = session.merged(parse_cell_line(line))
    namespace: dict[str, Any] = shell.user_ns
    if options.over is not None:
        from ._batch import run_batch_cell

        await run_batch_cell(session, options, body, namespace)
        return
    agent = session.build_agent(options, namespace)
    await session.models.close_retired()
    prompt = cell_prompt(body, shell, options, session.cells)
    if options.new:
        session.history = []
        session.always_allowed.clear()  # "Always allow" belongs to the conversation
    policy = ApprovalPolicy.from_env(options.approve, options.approve_tool)
    view = session.view = AgentView(agent, approval=policy, always_allowed=session.always_allowed)
    if options.no_widget:
        view.policy = ApprovalPolicy(
            default=policy.default,
            per_tool=policy.per_tool,
            headless=policy.headless,
            render_grace=0,
        )
        view.listeners.append(_Printer())
    else:
        display(view)  # the view refreshes its saved transcript when the run ends
    max_turns = options.max_turns if options.max_turns is not None else DEFAULT_MAX_TURNS
    try:
        final = await view.run(prompt, history=list(session.history), max_turns=max_turns)
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        cause = (
            "a KeyboardInterrupt" if isinstance(exc, KeyboardInterrupt) else "the kernel interrupt"
        )
        history = _kept_history(exc, view)
        run = view.last_run
        cancelled = run.cancelled if run is not None else None
        if cancelled is None:
            kept_so_far = history if history is not None else session.history
            cancelled = PromptCancelled(list(kept_so_far), f"{cause} stopped the run")
        _keep(session, namespace, options, history, cancelled)
        kept = len(session.history)
        text = (
            f"Interrupted: {cause} stopped the run; {options.history_var or session.history_var} "
            f"keeps the conversation ({kept} message{'s' if kept != 1 else ''})"
        )
        if isinstance(exc, KeyboardInterrupt):
            raise RunKeyboardInterrupt(text) from None
        raise RunInterrupted(text) from None
    except RigError as exc:
        _keep(session, namespace, options, _kept_history(exc, view), exc)
        if not isinstance(exc, PromptCancelled):
            print(f"rig_nb: {exc}", file=sys.stderr)  # noqa: T201
        elif options.no_widget:
            print(f"rig_nb: stopped: {exc.reason}")  # noqa: T201
    except Exception as exc:
        _keep(session, namespace, options, _kept_history(exc, view), exc)
        raise
    else:
        session.last, session.last_error = final, None
        session.history = [*session.history, *(final.history or [])]
        namespace[options.out or session.out] = final
        namespace[options.history_var or session.history_var] = list(session.history)
        namespace.pop("agent_error", None)
    finally:
        for notice in view.state.get("notices", []) if options.no_widget else []:
            print(f"rig_nb: {notice}")  # noqa: T201


def _kept_history(error: BaseException, view: AgentView) -> list[AnyMessage] | None:
    """The conversation up to the end of a run that failed: the error's, else the run's."""
    history: list[AnyMessage] | None = getattr(error, "chat_history", None)
    if history is not None:
        return history
    run = view.last_run
    if run is None:
        return None  # the run never started: the conversation is as it was
    try:
        return run.history
    except Exception:
        return None


def _keep(
    session: Session,
    namespace: dict[str, Any],
    options: CellOptions,
    history: list[AnyMessage] | None,
    error: BaseException,
) -> None:
    """An interrupted run keeps its conversation."""
    if history is not None:
        session.history = list(history)
    session.last_error = error
    namespace[options.history_var or session.history_var] = list(session.history)
    namespace["agent_error"] = error
