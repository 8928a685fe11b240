"""Dollar costs of model calls, from the `genai-prices` table (`pip install 'rig_nb[prices]'`).

```python
final = await agent.stream_prompt("Weather in Paris?").multi_turn(3)
final.cost            # 0.000213 (US dollars), or None when a call's price is unknown
final.cost_note       # why it is unknown: "no price for vllm:qwen2.5: it is served at ..."
for call in final.calls:
    print(call.model, call.usage.total_tokens, call.cost)

table = PriceTable.from_prices({"scripted:demo": {"input_mtok": 0.15, "output_mtok": 0.6}})
agent = Agent(model, prices=table)   # a table of your own (tests, offline notebooks, contracts)
```

Which price: a model names itself with `provider_name` and `model_name` (every provider model
does). A model sent to its provider's own endpoint is looked up by provider and model name; one
sent to another base URL (an OpenAI-compatible server, a proxy, Azure, OpenRouter...) by that URL,
as genai-prices recognises providers' API URLs. A local or unknown server, an unknown model, a
model that does not name itself, a call whose provider reported no token counts: the cost is
`None` and `cost_note` says why. Never a guess.

Token counts: genai-prices counts `input_tokens` with the cached ones in them. rig_nb's `Usage`
keeps each provider's own convention (Anthropic's `input_tokens` leaves cache reads and writes
out, OpenAI's and Gemini's count them in); the full input is `max(input_tokens, total_tokens -
output_tokens)`, right for both.

genai-prices is imported on the first priced call, never by `import rig_nb`: a run only records
each call's usage, and prices its calls when they are first asked for (`FinalResponse.calls`,
`.cost`, the view's footer), or at each call when `max_cost` needs it.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import Field

from ..errors import UserError
from ._messages import Usage
from ._wire import Frozen

if TYPE_CHECKING:
    from genai_prices.data_snapshot import DataSnapshot
    from genai_prices.types import ModelInfo, Provider

__all__ = [
    "CallLedger",
    "CallUsage",
    "ModelRef",
    "PriceTable",
    "format_cost",
    "model_label",
    "total_cost",
]

PRICE_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")
"""The prices a table of your own may give, in US dollars per million tokens."""

_MISSING = "install genai-prices for dollar costs: pip install 'rig_nb[prices]'"


class CallUsage(Frozen):
    """One model call: which model answered, the tokens it used, and its cost in US dollars."""

    model: str
    """`provider:model` as the model names itself (`openai:gpt-4o-mini`), else its class name."""
    usage: Usage = Field(default_factory=Usage)
    cost: float | None = None
    """US dollars; `None` when unknown (`cost_note` says why), never a guess."""
    cost_note: str | None = None
    """Why `cost` is `None`."""


@dataclass(frozen=True)
class ModelRef:
    """What pricing needs of a model: how it names itself and where it is served (plain data)."""

    kind: str
    """The model's class name."""
    provider: str | None = None
    name: str | None = None
    base_url: str | None = None
    default_base_url: str | None = None

    @classmethod
    def of(cls, model: object) -> ModelRef:
        """Read `provider_name`, `model_name`, `base_url` and `default_base_url` off a model."""
        if isinstance(model, ModelRef):
            return model

        def text(attribute: str) -> str | None:
            value = getattr(model, attribute, None)
            return value if isinstance(value, str) and value else None

        return cls(
            type(model).__name__,
            text("provider_name"),
            text("model_name"),
            text("base_url"),
            text("default_base_url"),
        )

    @property
    def label(self) -> str:
        """`provider:model` for a model that names itself, else its class name."""
        return f"{self.provider}:{self.name}" if self.provider and self.name else self.kind

    @property
    def custom_url(self) -> bool:
        """Whether it is served elsewhere than its provider's own endpoint."""
        if self.base_url is None:
            return False
        return self.default_base_url is None or (
            self.base_url.rstrip("/") != self.default_base_url.rstrip("/")
        )


def model_label(model: object) -> str:
    """`provider:model` for a model that names itself, else its class name."""
    return ModelRef.of(model).label


def total_cost(calls: Iterable[CallUsage]) -> tuple[float | None, str | None]:
    """The summed cost of `calls` and `None`, or `None` and why (the first unknown call)."""
    total = 0.0
    for number, call in enumerate(calls, 1):
        if call.cost is None:
            return None, f"model call {number} ({call.model}): {call.cost_note or 'no price'}"
        total += call.cost
    return total, None


def format_cost(cost: float) -> str:
    """Dollars with three significant digits, never in scientific notation: `$0.000213`."""
    if cost <= 0:
        return "$0"
    decimals = max(2, 2 - math.floor(math.log10(cost)))
    return f"${cost:.{decimals}f}"


_FOUND: dict[tuple[int, bool, ModelRef], tuple[weakref.ref[Any], tuple[Any, Any] | str]] = {}
"""`PriceTable._find`'s answers, by snapshot (its id, checked by a weak reference) and model."""


class PriceTable:
    """Where the prices of model calls come from.

    `PriceTable()` is genai-prices' table in force at each call: the one the package ships, or
    what `genai_prices.UpdatePrices` fetched, or `genai_prices.data_snapshot.set_custom_snapshot`
    set. `PriceTable(snapshot)` is one `DataSnapshot`; `PriceTable.from_prices({...})` a table
    of your own.
    """

    def __init__(self, snapshot: DataSnapshot | None = None) -> None:
        self._snapshot = snapshot

    def __repr__(self) -> str:
        if self._snapshot is None:
            return "PriceTable(genai-prices)"
        names = [f"{p.id}:{m.id}" for p in self._snapshot.providers for m in p.models]
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        return f"PriceTable([{shown}])"

    @classmethod
    def from_prices(cls, prices: Mapping[str, Mapping[str, float | str]]) -> PriceTable:
        """A table of your own, in US dollars per million tokens.

        Args:
            prices: `{"provider:model": {"input_mtok": 0.15, "output_mtok": 0.6}}`; the keys of a
                model are `input_mtok`, `output_mtok`, `cache_read_mtok`, `cache_write_mtok`.
                Providers and models are the `provider_name` and `model_name` of your models.
        """
        try:
            from genai_prices import types
            from genai_prices.data_snapshot import DataSnapshot
        except ImportError as exc:
            raise UserError(f"PriceTable.from_prices needs genai-prices: {_MISSING}") from exc
        providers: dict[str, types.Provider] = {}
        for key, model_prices in prices.items():
            provider_id, sep, name = key.partition(":")
            if not sep or not provider_id or not name:
                raise UserError(f"price table key {key!r} is not 'provider:model'")
            unknown = sorted(set(model_prices) - set(PRICE_KEYS))
            if unknown:
                raise UserError(
                    f"price table entry {key!r} has unknown prices {unknown}; use {PRICE_KEYS}"
                )
            values = {k: _dollars(key, k, v) for k, v in model_prices.items()}
            provider = providers.setdefault(
                provider_id.lower(),
                types.Provider(id=provider_id.lower(), name=provider_id, api_pattern="(?!)"),
            )
            provider.models.append(
                types.ModelInfo(
                    id=name,
                    match=types.ClauseEquals(equals=name),
                    prices=types.ModelPrice(**values),
                )
            )
        return cls(DataSnapshot(providers=list(providers.values()), from_auto_update=False))

    def price(self, model: object, usage: Usage | None) -> CallUsage:
        """The cost of one call of `model` that used `usage` (`None`: nothing was reported)."""
        model = ModelRef.of(model)
        label = model.label
        if usage is None or not (usage.input_tokens or usage.output_tokens or usage.total_tokens):
            note = "the provider reported no token counts for this call"
            return CallUsage(model=label, usage=usage or Usage(), cost_note=note)
        found = self._find(model)
        if isinstance(found, str):
            return CallUsage(model=label, usage=usage, cost_note=found)
        provider, info = found
        try:
            calculated = info.calc_price(
                _genai_usage(usage), provider, genai_request_timestamp=datetime.now(UTC)
            )
        except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
            note = f"genai-prices could not price this call: {type(exc).__name__}: {exc}"
            return CallUsage(model=label, usage=usage, cost_note=note)
        return CallUsage(model=label, usage=usage, cost=float(calculated.total_price))

    def unpriced(self, model: object) -> str | None:
        """Why calls of `model` have no price, or `None` when the table has one."""
        found = self._find(ModelRef.of(model))
        return found if isinstance(found, str) else None

    def _find(self, model: ModelRef) -> tuple[Provider, ModelInfo] | str:
        """The provider and model entry pricing `model`, or why there is none.

        Kept per snapshot and model: looking it up again for every call (a batch prices each
        row: the table's scan and, for a server it does not know, an exception and a URL parse)
        made pricing a call 6.3 µs, 3.0 µs now.
        """
        snapshot = self._current()
        if snapshot is None:
            return _MISSING
        key = (id(snapshot), self._snapshot is None, model)
        kept = _FOUND.get(key)
        if kept is not None and kept[0]() is snapshot:
            return kept[1]
        found = self._look_up(snapshot, model)
        if len(_FOUND) >= 256:  # snapshots come and go (updates, tables of your own)
            _FOUND.clear()
        _FOUND[key] = (weakref.ref(snapshot), found)
        return found

    def _look_up(self, snapshot: DataSnapshot, model: ModelRef) -> tuple[Provider, ModelInfo] | str:
        provider_id, name, label = model.provider, model.name, model.label
        if provider_id is None or name is None:
            return (
                f"{model.kind} does not say which provider and model it is (give it "
                "provider_name and model_name attributes)"
            )
        try:
            if model.base_url is not None and model.custom_url:
                provider = snapshot.find_provider(None, None, model.base_url)
            else:
                provider = snapshot.find_provider(None, provider_id, None)
        except LookupError:
            if model.base_url is not None and model.custom_url:
                return (
                    f"no price for {label}: it is served at {_host(model.base_url)}, which the "
                    "price table does not know (OpenAI-compatible and local servers have no price)"
                )
            return f"no price for {label}: the price table has no provider {provider_id!r}"
        info = provider.find_model(name, all_providers=snapshot.providers)
        if info is None:
            where = _table_name(self._snapshot)
            return f"no price for {label}: {provider.id} model {name!r} is not in {where}"
        return provider, info

    def _current(self) -> DataSnapshot | None:
        if self._snapshot is not None:
            return self._snapshot
        try:
            from genai_prices.data_snapshot import get_snapshot
        except ImportError:
            return None
        return get_snapshot()


class CallLedger:
    """The usage of a run's model calls, priced when first asked for (plain data: it pickles).

    Recording a call costs nothing; `calls()` prices the calls not priced yet, loading
    genai-prices on the first one.
    """

    def __init__(self, table: PriceTable, model: ModelRef) -> None:
        self.table = table
        self.model = model
        self._usages: list[Usage | None] = []
        self._priced: list[CallUsage] = []

    def __len__(self) -> int:
        return len(self._usages)

    def add(self, usage: Usage | None) -> None:
        """One more call, with the usage its provider reported (`None`: none)."""
        self._usages.append(usage)

    @property
    def usage(self) -> Usage:
        """The summed usage (no pricing needed)."""
        total = Usage()
        for usage in self._usages:
            if usage is not None:
                total += usage
        return total

    def calls(self) -> list[CallUsage]:
        """Each call's usage and cost."""
        for usage in self._usages[len(self._priced) :]:
            self._priced.append(self.table.price(self.model, usage))
        return list(self._priced)

    def copy(self) -> CallLedger:
        """A ledger of the calls so far, which later calls do not change."""
        made = CallLedger(self.table, self.model)
        made._usages, made._priced = list(self._usages), list(self._priced)
        return made


def _dollars(key: str, name: str, value: Any) -> Decimal:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError):
        price = Decimal("NaN")
    if isinstance(value, bool) or not price.is_finite() or price < 0:
        raise UserError(f"price {name} of {key!r} must be a number of dollars >= 0, got {value!r}")
    return price


def _genai_usage(usage: Usage) -> Any:
    from genai_prices import Usage as PricedUsage

    full_input = max(usage.input_tokens, usage.total_tokens - usage.output_tokens)
    return PricedUsage(
        input_tokens=full_input,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cached_input_tokens or None,
        cache_write_tokens=usage.cache_creation_input_tokens or None,
    )


def _host(url: str) -> str:
    """The scheme, host and port of `url`: no password, path or query."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "a custom base URL"
    return f"{parts.scheme}://{parts.hostname}{port}" if parts.hostname else "a custom base URL"


def _table_name(snapshot: DataSnapshot | None) -> str:
    if snapshot is not None:
        return "the price table"
    from importlib.metadata import version

    return f"genai-prices {version('genai-prices')} (pip install -U genai-prices for newer prices)"
