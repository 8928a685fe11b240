"""Structured output: schema to the provider, the answer validated into the model, clear failures."""

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from rig_nb import Agent, Message, OutputValidationError
from rig_nb.core import CompletionRequest
from rig_nb.testing import ScriptedModel, final

from .helpers import collect, kinds

pytestmark = pytest.mark.anyio


class Weather(BaseModel):
    city: str
    temperature_c: float


async def test_the_answer_is_validated_into_the_model_and_the_schema_is_sent() -> None:
    model = ScriptedModel([['{"city": "Paris", ', '"temperature_c": 21}', final()]])
    answer = await Agent(model, output_type=Weather).stream_prompt("Weather in Paris?")
    assert answer.output == Weather(city="Paris", temperature_c=21)
    assert answer.response == '{"city": "Paris", "temperature_c": 21}'
    assert model.requests[0].output_schema == Weather.model_json_schema()
    assert '"output"' not in answer.model_dump_json()  # the wire JSON stays rig's


async def test_a_fenced_answer_and_plain_types() -> None:
    fenced = ScriptedModel([['```json\n{"city": "Rome", "temperature_c": 18.5}\n```', final()]])
    assert (await Agent(fenced, output_type=Weather).stream_prompt("x")).output.city == "Rome"
    numbers = ScriptedModel([["[1, 2, 3]", final()]])
    assert (await Agent(numbers, output_type=list[int]).stream_prompt("x")).output == [1, 2, 3]
    plain = await Agent(ScriptedModel([["hi", final()]])).stream_prompt("x")
    assert plain.output is None


async def test_an_answer_that_does_not_validate_keeps_raw_text_and_history() -> None:
    model = ScriptedModel([['{"city": "Paris", "temperature_c": "warm"}', final()]])
    items, error = await collect(
        Agent(model, output_type=Weather).stream_chat("x", [Message.user("u0")])
    )
    assert isinstance(error, OutputValidationError)
    assert error.raw_text == '{"city": "Paris", "temperature_c": "warm"}'
    assert "temperature_c: Input should be a valid number" in str(error)
    assert str(error).startswith(
        "PromptError: OutputValidationError: the final answer is not a valid Weather"
    )
    assert error.chat_history == [
        Message.user("u0"),
        Message.user("x"),
        Message.assistant(error.raw_text),
    ]
    # The answer streamed, then the run ended with the error instead of a FinalResponse.
    assert kinds(items) == ['Text:{"city": "Paris", "temperature_c": "warm"}', "Final"]
    assert (
        error.errors
        == "temperature_c: Input should be a valid number, unable to parse string as a number"
    )
    assert isinstance(error.__cause__, OutputValidationError)
    assert isinstance(error.__cause__.__cause__, ValidationError)


async def test_a_validator_raising_any_exception_is_an_output_validation_error() -> None:
    class Strict(BaseModel):
        city: str

        @field_validator("city")
        @classmethod
        def _known(cls, value: str) -> str:
            return {"Paris": "Paris"}[value]  # KeyError: pydantic does not wrap it

    model = ScriptedModel([['{"city": "Atlantis"}', final()]])
    run = Agent(model, output_type=Strict).stream_chat("x", []).stream()
    with pytest.raises(OutputValidationError) as info:
        await run.final()
    error = info.value
    assert error.errors == "KeyError: 'Atlantis'"
    assert error.raw_text == '{"city": "Atlantis"}'
    assert error.chat_history == [Message.user("x"), Message.assistant('{"city": "Atlantis"}')]
    assert isinstance(error.__cause__.__cause__, KeyError)  # type: ignore[union-attr]
    assert run.error is error and run.done and run.final_response is None


def test_every_provider_receives_the_schema() -> None:
    from rig_nb.providers import (
        AnthropicModel,
        GeminiModel,
        OllamaModel,
        OpenAIChatModel,
        OpenAIResponsesModel,
    )

    schema = Weather.model_json_schema()
    request = CompletionRequest(chat_history=[Message.user("x")], output_schema=schema)
    chat = OpenAIChatModel("m", api_key="k").build_body(request)
    assert chat["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": schema},
    }
    responses = OpenAIResponsesModel("m", api_key="k").build_body(request)
    assert responses["text"] == {
        "format": {"type": "json_schema", "name": "output", "schema": schema}
    }
    gemini = GeminiModel("m", api_key="k").build_body(request)
    assert gemini["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseJsonSchema": schema,
    }
    assert OllamaModel("m").build_body(request)["format"] == schema
    anthropic = AnthropicModel("m", api_key="k").build_body(request)
    assert anthropic["system"][-1]["text"].startswith(
        "Answer with JSON only, matching this JSON schema: {"
    )
