"""The defaults of `%%agent` cells, as traitlets: configurable the IPython way.

```
%config AgentMagics.model = "openai:gpt-4o-mini"
%config AgentMagics.max_cost = 0.50
%config AgentMagics                      # lists every setting with its help
```
```python
# ~/.ipython/profile_default/ipython_config.py (or ipython_kernel_config.py)
c.InteractiveShellApp.extensions = ["rig_nb"]
c.AgentMagics.model = "anthropic:claude-sonnet-4-5"
c.AgentMagics.approve_tool = {"get_weather": "auto"}
```

`AgentMagics` (the extension's `Magics`) holds these traits, and they *are* the session's defaults:
`%agent defaults -m ...` sets the same trait `%config AgentMagics.model = ...` sets, so the two
always agree. The profile's config file gives the starting values; after that the latest
`%config` or `%agent defaults` wins; a cell's own options win for that cell.
"""

from __future__ import annotations

import sys
from copy import deepcopy
from typing import Any, cast

from traitlets import Bool, Dict, Enum, Float, Int, List, TraitError, Unicode, validate
from traitlets.config import Config, Configurable

from ._options import CellOptions

__all__ = [
    "DEFAULT_MAX_TURNS",
    "AgentDefaults",
    "as_options",
    "copy_defaults",
    "replace_defaults",
    "update_defaults",
]

DEFAULT_MAX_TURNS = 5
_POLICIES = ("ask", "auto", "deny")
_FIELDS = (
    "model",
    "system",
    "tools",
    "max_turns",
    "approve",
    "approve_tool",
    "max_cost",
    "no_widget",
    "budget",
    "kernel_tools",
    "output",
    "out",
    "history_var",
    "record",
    "replay",
)
"""The traits, named as `CellOptions`' fields."""


class AgentDefaults(Configurable):
    """What a `%%agent` cell uses when it does not say (`%agent` shows them)."""

    model = Unicode(
        None,
        allow_none=True,
        help="The model: 'vendor:model' (openai:gpt-4o-mini), or the name of a model, Agent or "
        "model-string variable in the namespace.",
    ).tag(config=True)
    system = Unicode(
        None, allow_none=True, help="The system prompt, or the name of a str variable holding it."
    ).tag(config=True)
    tools = List(
        Unicode(), help="Names of functions or @tools in the namespace, given to every cell."
    ).tag(config=True)
    max_turns = Int(
        DEFAULT_MAX_TURNS, min=0, help="The turn budget: at most max_turns + 2 model calls."
    ).tag(config=True)
    approve = Enum(
        _POLICIES,
        None,
        allow_none=True,
        help="Tool approval policy: ask, auto or deny (None: $RIG_NB_APPROVAL, else ask).",
    ).tag(config=True)
    approve_tool = Dict(
        value_trait=Enum(_POLICIES),
        key_trait=Unicode(),
        help="Approval policy per tool: {'get_weather': 'auto'}.",
    ).tag(config=True)
    max_cost = Float(
        None,
        allow_none=True,
        min=0.0,
        help="The most a run may cost, in US dollars (UsageLimits.max_cost); needs a priced "
        "model (the prices extra).",
    ).tag(config=True)
    no_widget = Bool(False, help="Stream plain text instead of the widget.").tag(config=True)
    budget = Int(
        None,
        allow_none=True,
        min=200,
        help="Characters per object put in the prompt ({df}, {Out[n]}...); none: 4,000.",
    ).tag(config=True)
    kernel_tools = Bool(
        False, help="Give every cell the kernel tools (list_variables, inspect_variable...)."
    ).tag(config=True)
    output = Unicode(
        None,
        allow_none=True,
        help="A pydantic model in the namespace: the answer is parsed into it.",
    ).tag(config=True)
    out = Unicode("agent_result", help="The variable that receives the FinalResponse.").tag(
        config=True
    )
    history_var = Unicode("agent_history", help="The variable that receives the conversation.").tag(
        config=True
    )

    record = Unicode(
        None,
        allow_none=True,
        help="A cassette file: every cell's model exchanges are recorded to it (see replay).",
    ).tag(config=True)
    replay = Unicode(
        None,
        allow_none=True,
        help="A cassette file: every cell answers from it, offline, without making the model.",
    ).tag(config=True)

    @validate("out", "history_var")
    def _identifier(self, proposal: Any) -> str:
        value = str(proposal["value"])
        if not value.isidentifier():
            raise TraitError(f"{proposal['trait'].name} must be a variable name, got {value!r}")
        return value

    def _load_config(
        self, cfg: Config, section_names: list[str] | None = None, traits: Any = None
    ) -> None:
        """Load the config, leaving out (and naming) a value the trait refuses.

        A typo in `ipython_config.py`, or a `%config` the trait refused (IPython keeps it in the
        shell's config all the same), must not keep the extension from loading on the next start
        or reload: the setting keeps its value and stderr says which one was wrong and why.
        """
        section = type(self).__name__
        mine = cfg.get(section) if section in cfg else None
        if isinstance(mine, Config):
            checked = deepcopy(cfg)
            for name, value in list(mine.items()):
                trait = self.traits(config=True).get(name)
                if trait is None or not isinstance(value, str | int | float | bool | list | dict):
                    continue
                try:
                    cast(Any, trait).validate(self, deepcopy(value))
                    if name in ("out", "history_var"):
                        self._identifier({"value": value, "trait": trait})
                except TraitError as exc:
                    del checked[section][name]
                    print(f"rig_nb: ignoring {section}.{name} = {value!r}: {exc}", file=sys.stderr)  # noqa: T201
            cfg = checked
        super()._load_config(cfg, section_names=section_names, traits=traits)


def as_options(defaults: AgentDefaults) -> CellOptions:
    """The defaults as cell options."""
    return CellOptions(
        model=defaults.model,
        system=defaults.system,
        tools=list(defaults.tools) or None,
        max_turns=defaults.max_turns,
        approve=None if defaults.approve is None else str(defaults.approve),
        approve_tool=dict(defaults.approve_tool),
        max_cost=defaults.max_cost,
        no_widget=defaults.no_widget,
        budget=defaults.budget,
        kernel_tools=defaults.kernel_tools,
        output=defaults.output,
        out=defaults.out,
        history_var=defaults.history_var,
        record=defaults.record,
        replay=defaults.replay,
    )


def update_defaults(defaults: AgentDefaults, options: CellOptions) -> None:
    """`%agent defaults ...`: set what `options` gives, keep the rest."""
    for name in _FIELDS:
        value = getattr(options, name)
        if name == "approve_tool":
            defaults.approve_tool = {**defaults.approve_tool, **value}
        elif name in ("no_widget", "kernel_tools"):
            setattr(defaults, name, getattr(defaults, name) or value)
        elif value is not None:
            setattr(defaults, name, value)
    if options.record:  # one cassette mode at a time: the latest wins
        defaults.replay = None
    elif options.replay:
        defaults.record = None


def replace_defaults(defaults: AgentDefaults, options: CellOptions) -> None:
    """Set every default from `options`; what it leaves unset goes back to its default."""
    for name in _FIELDS:
        value = getattr(options, name)
        if value is None or (name == "tools" and not value):
            defaults.set_trait(name, defaults.trait_defaults(name))
        else:
            setattr(defaults, name, value)


def copy_defaults(to: AgentDefaults, source: AgentDefaults) -> None:
    """Take every value of `source` (the extension reloaded: the session keeps its defaults)."""
    for name in _FIELDS:
        setattr(to, name, getattr(source, name))
