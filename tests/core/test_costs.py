"""Dollar costs (issue 12.5): per model call and in total, from genai-prices where the model is
known; `None` with the reason where it is not (never a wrong number)."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from decimal import Decimal
from typing import Any

import genai_prices
import pytest

from rig_nb import Agent, FinalResponse, PriceTable, ProviderError, UserError, tool
from rig_nb.core import CallUsage, Usage
from rig_nb.core._cost import format_cost
from rig_nb.providers import AnthropicModel, GeminiModel, OllamaModel, OpenAIChatModel, model
from rig_nb.testing import ScriptedModel, final, tool_call

pytestmark = pytest.mark.anyio

USAGE = Usage(input_tokens=1000, output_tokens=100, total_tokens=1100)
TABLE = PriceTable.from_prices(
    {
        "demo:small": {"input_mtok": 0.15, "output_mtok": 0.6, "cache_read_mtok": 0.075},
        "demo:big": {"input_mtok": "3", "output_mtok": "15"},
    }
)


def genai(
    usage: dict[str, int], model_ref: str, provider: str | None = None, url: str | None = None
) -> float:
    """What genai-prices itself says, asked directly."""
    if url is not None:
        found = genai_prices.calc_price(
            genai_prices.Usage(**usage), model_ref, provider_api_url=url
        )
    else:
        found = genai_prices.calc_price(
            genai_prices.Usage(**usage), model_ref, provider_id=provider
        )
    return float(found.total_price)


def named(provider: str, name: str, turns: list[list[Any]] | None = None) -> ScriptedModel:
    scripted = ScriptedModel(turns or [])
    scripted.provider_name, scripted.model_name = provider, name  # type: ignore[misc]
    return scripted


# -- the price of one call ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        (
            lambda: OpenAIChatModel("gpt-4o-mini", api_key="k"),
            lambda: genai({"input_tokens": 1000, "output_tokens": 100}, "gpt-4o-mini", "openai"),
        ),
        (
            lambda: model("openai-responses:gpt-4o-mini", api_key="k"),
            lambda: genai({"input_tokens": 1000, "output_tokens": 100}, "gpt-4o-mini", "openai"),
        ),
        (
            lambda: GeminiModel("gemini-2.5-flash", api_key="k"),
            lambda: genai(
                {"input_tokens": 1000, "output_tokens": 100}, "gemini-2.5-flash", "google"
            ),
        ),
        (
            lambda: model("openrouter:openai/gpt-4o-mini", api_key="k"),
            lambda: genai(
                {"input_tokens": 1000, "output_tokens": 100},
                "openai/gpt-4o-mini",
                url="https://openrouter.ai/api/v1",
            ),
        ),
        (  # Azure's OpenAI endpoint through OpenAIChatModel: recognised by its URL
            lambda: OpenAIChatModel(
                "gpt-4o", api_key="k", base_url="https://x.openai.azure.com/v1"
            ),
            lambda: genai(
                {"input_tokens": 1000, "output_tokens": 100},
                "gpt-4o",
                url="https://x.openai.azure.com/v1",
            ),
        ),
    ],
    ids=["openai", "openai-responses", "gemini", "openrouter", "azure-url"],
)
def test_a_known_model_costs_what_genai_prices_says(made: Any, expected: Any) -> None:
    call = PriceTable().price(made(), USAGE)
    assert call.cost is not None and call.cost_note is None
    assert call.cost == pytest.approx(expected(), rel=1e-12)
    assert call.cost > 0


def test_cached_tokens_count_once_in_each_providers_convention() -> None:
    # Anthropic's input_tokens leave cache reads and writes out; OpenAI's count cache reads in.
    anthropic = Usage(
        input_tokens=100,
        output_tokens=20,
        total_tokens=970,
        cached_input_tokens=800,
        cache_creation_input_tokens=50,
    )
    got = PriceTable().price(AnthropicModel("claude-sonnet-4-5", api_key="k"), anthropic).cost
    assert got == pytest.approx(
        genai(
            {
                "input_tokens": 950,
                "output_tokens": 20,
                "cache_read_tokens": 800,
                "cache_write_tokens": 50,
            },
            "claude-sonnet-4-5",
            "anthropic",
        )
    )
    openai = Usage(input_tokens=1000, output_tokens=100, total_tokens=1100, cached_input_tokens=800)
    cheaper = PriceTable().price(OpenAIChatModel("gpt-4o-mini", api_key="k"), openai).cost
    full = PriceTable().price(OpenAIChatModel("gpt-4o-mini", api_key="k"), USAGE).cost
    assert cheaper is not None and full is not None and cheaper < full
    assert cheaper == pytest.approx(
        genai(
            {"input_tokens": 1000, "output_tokens": 100, "cache_read_tokens": 800},
            "gpt-4o-mini",
            "openai",
        )
    )


@pytest.mark.parametrize(
    ("made", "note"),
    [
        (
            lambda: OpenAIChatModel("gpt-4o-mini", base_url="http://localhost:8000/v1"),
            "no price for openai:gpt-4o-mini: it is served at http://localhost:8000",
        ),
        (
            lambda: model("vllm:Qwen/Qwen2.5-7B-Instruct"),
            "no price for vllm:Qwen/Qwen2.5-7B-Instruct: it is served at http://localhost:8000",
        ),
        (
            lambda: OpenAIChatModel("gpt-4o", base_url="http://user:s3cret@10.0.0.5:9000/v1?key=k"),
            "it is served at http://10.0.0.5:9000, which the price table does not know",
        ),
        (lambda: OllamaModel("qwen2.5"), "no price for ollama:qwen2.5: the price table has no"),
        (
            lambda: OpenAIChatModel("gpt-nonexistent-9", api_key="k"),
            "no price for openai:gpt-nonexistent-9: openai model 'gpt-nonexistent-9' is not in "
            "genai-prices",
        ),
        (lambda: ScriptedModel(), "no price for scripted:scripted: the price table has no"),
        (lambda: object(), "object does not say which provider and model it is"),
    ],
    ids=[
        "openai-compatible",
        "vllm",
        "password-url",
        "ollama",
        "unknown-model",
        "scripted",
        "nameless",
    ],
)
def test_an_unknown_price_is_none_and_says_why(made: Any, note: str) -> None:
    call = PriceTable().price(made(), USAGE)
    assert call.cost is None
    assert call.cost_note is not None and note in call.cost_note
    assert "s3cret" not in call.cost_note and "key=k" not in call.cost_note
    assert call.usage == USAGE


def test_no_reported_tokens_is_no_price_not_zero_dollars() -> None:
    gpt = OpenAIChatModel("gpt-4o-mini", api_key="k")
    for usage in (None, Usage(), Usage(cached_input_tokens=5)):
        call = PriceTable().price(gpt, usage)
        assert call.cost is None
        assert call.cost_note == "the provider reported no token counts for this call"


def test_a_table_of_your_own_prices_by_provider_and_model_name() -> None:
    call = TABLE.price(named("demo", "small"), USAGE)
    assert call == CallUsage(model="demo:small", usage=USAGE, cost=0.00021)
    cached = Usage(input_tokens=1000, output_tokens=0, total_tokens=1000, cached_input_tokens=400)
    assert TABLE.price(named("demo", "small"), cached).cost == pytest.approx(
        (600 * 0.15 + 400 * 0.075) / 1e6
    )
    assert TABLE.price(named("DEMO", "BIG"), USAGE).cost == pytest.approx(0.0045)
    assert TABLE.price(named("demo", "other"), USAGE).cost_note == (
        "no price for demo:other: demo model 'other' is not in the price table"
    )
    # A table of your own never prices a model served elsewhere than its provider's endpoint.
    elsewhere = OpenAIChatModel("small", base_url="http://127.0.0.1:1/v1")
    elsewhere.provider_name = "demo"  # type: ignore[misc]
    assert TABLE.price(elsewhere, USAGE).cost is None
    assert "PriceTable([demo:small, demo:big])" == repr(TABLE)


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ({"demo": {"input_mtok": 1}}, "price table key 'demo' is not 'provider:model'"),
        ({":m": {"input_mtok": 1}}, "is not 'provider:model'"),
        ({"d:m": {"input": 1}}, "price table entry 'd:m' has unknown prices ['input']"),
        ({"d:m": {"input_mtok": -1}}, "price input_mtok of 'd:m' must be a number of dollars >= 0"),
        ({"d:m": {"input_mtok": "abc"}}, "must be a number of dollars >= 0, got 'abc'"),
        ({"d:m": {"input_mtok": float("nan")}}, "must be a number of dollars >= 0, got nan"),
        ({"d:m": {"input_mtok": True}}, "must be a number of dollars >= 0, got True"),
    ],
)
def test_a_bad_price_table_is_a_clear_user_error(prices: Any, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        PriceTable.from_prices(prices)


def test_format_cost() -> None:
    assert format_cost(0.000213) == "$0.000213"
    assert format_cost(0.5) == "$0.500"
    assert format_cost(1.2) == "$1.20"
    assert format_cost(123.456) == "$123.46"
    assert format_cost(0) == "$0"
    assert format_cost(3e-9) == "$0.00000000300"


# -- per call and in total, on a run ------------------------------------------------------------


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def two_calls(provider: str = "demo", name: str = "small") -> ScriptedModel:
    return named(
        provider,
        name,
        [
            [tool_call("add", {"a": 1, "b": 2}), final(USAGE)],
            ["3", final(Usage(input_tokens=1200, output_tokens=20, total_tokens=1220))],
        ],
    )


async def test_the_final_response_has_each_calls_cost_and_their_sum() -> None:
    final_response = await (
        Agent(two_calls(), tools=[add], prices=TABLE).stream_prompt("1 + 2?").multi_turn(1)
    )
    calls = final_response.calls
    assert [(c.model, c.usage.input_tokens) for c in calls] == [
        ("demo:small", 1000),
        ("demo:small", 1200),
    ]
    assert calls[0].cost == pytest.approx(0.00021)
    assert calls[1].cost == pytest.approx((1200 * 0.15 + 20 * 0.6) / 1e6)
    assert final_response.cost == pytest.approx(calls[0].cost + calls[1].cost)
    assert final_response.cost_note is None
    # Not part of rig's JSON, nor of equality; kept through pickling.
    assert "cost" not in final_response.model_dump_json()
    same = FinalResponse(response="3", aggregated_usage=final_response.aggregated_usage)
    assert final_response == same and same.calls == [] and same.cost is None
    assert pickle.loads(pickle.dumps(final_response)).calls == calls


async def test_one_unknown_call_makes_the_total_unknown_and_names_the_call() -> None:
    # The second call reports no usage: the sum would be a wrong number, so there is none.
    scripted = named("demo", "small", [[tool_call("add", {"a": 1, "b": 2}), final(USAGE)], ["3"]])
    final_response = await (
        Agent(scripted, tools=[add], prices=TABLE).stream_prompt("1 + 2?").multi_turn(1)
    )
    assert final_response.calls[0].cost == pytest.approx(0.00021)
    assert final_response.calls[1].cost is None
    assert final_response.cost is None
    assert final_response.cost_note == (
        "model call 2 (demo:small): the provider reported no token counts for this call"
    )


async def test_the_run_shows_its_costs_as_it_goes() -> None:
    seen: list[tuple[int, float | None]] = []
    async with (
        Agent(two_calls(), tools=[add], prices=TABLE)
        .stream_prompt("q")
        .multi_turn(1)
        .stream() as run
    ):
        async for _ in run:
            seen.append((len(run.calls), run.cost))
    assert seen[0] == (0, 0.0)  # before any call ended: nothing spent
    assert (1, pytest.approx(0.00021)) in seen
    assert seen[-1][0] == 2 and run.cost == pytest.approx(run.final_response.cost)  # type: ignore[union-attr]


async def test_an_error_keeps_the_cost_so_far_on_the_run() -> None:
    scripted = named(
        "demo",
        "small",
        [[tool_call("add", {"a": 1, "b": 2}), final(USAGE)], ["par", ProviderError("cut")]],
    )
    async with (
        Agent(scripted, tools=[add], prices=TABLE).stream_prompt("q").multi_turn(1).stream() as run
    ):
        with pytest.raises(ProviderError):
            await run.final()
    assert run.cost == pytest.approx(0.00021) and len(run.calls) == 1


def test_without_genai_prices_costs_are_none_and_say_how_to_get_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("genai_prices", "genai_prices.data_snapshot"):
        monkeypatch.setitem(sys.modules, name, None)  # type: ignore[arg-type]
    call = PriceTable().price(OpenAIChatModel("gpt-4o-mini", api_key="k"), USAGE)
    assert call.cost is None
    assert call.cost_note == "install genai-prices for dollar costs: pip install 'rig_nb[prices]'"
    with pytest.raises(UserError, match=r"PriceTable\.from_prices needs genai-prices"):
        PriceTable.from_prices({"d:m": {"input_mtok": 1}})


def test_genai_prices_is_imported_only_when_a_cost_is_asked_for() -> None:
    code = (
        "import sys, pickle, rig_nb, rig_nb.core\n"
        "assert 'genai_prices' not in sys.modules, 'by import rig_nb'\n"
        "from rig_nb.testing import ScriptedModel, final\n"
        "answer = rig_nb.Agent(ScriptedModel([['x', final(total_tokens=2)]])).run_sync('q')\n"
        "assert 'genai_prices' not in sys.modules, 'by a run'\n"
        "assert answer.cost is None and 'scripted' in answer.cost_note\n"
        "assert 'genai_prices' in sys.modules, 'not by asking'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_genai_snapshot_can_be_the_table() -> None:
    from genai_prices.data_snapshot import DataSnapshot, get_snapshot

    providers = [p for p in get_snapshot().providers if p.id == "openai"]
    only_openai = PriceTable(DataSnapshot(providers=providers, from_auto_update=False))
    assert only_openai.price(OpenAIChatModel("gpt-4o-mini", api_key="k"), USAGE).cost is not None
    gemini = only_openai.price(GeminiModel("gemini-2.5-flash", api_key="k"), USAGE)
    assert gemini.cost is None and "no price for gemini:gemini-2.5-flash" in (
        gemini.cost_note or ""
    )
    assert Decimal(str(only_openai.price(named("openai", "gpt-4o-mini"), USAGE).cost)) > 0


async def test_a_pickled_final_response_carries_its_priced_calls() -> None:
    fresh = await Agent(two_calls(), tools=[add], prices=TABLE).stream_prompt("q").multi_turn(1)
    moved = pickle.loads(pickle.dumps(fresh))  # before anyone asked for the calls
    assert [c.cost for c in moved.calls] == [c.cost for c in fresh.calls]
    assert moved.cost == pytest.approx(fresh.cost) and moved.cost is not None
