"""`{name}` fields in a `%%agent` prompt: public names only, pasted JSON and code unchanged."""

from __future__ import annotations

import random
from typing import Any

import pytest
from IPython.core.error import UsageError

from rig_nb.core._messages import rag_text
from rig_nb.magics._options import interpolate
from rig_nb.testing import ScriptedModel, final

from .shell import cell

pytestmark = pytest.mark.anyio

SECRET = "sk-INTERPOLATION-SECRET-0123456789"


class City:
    name = "Paris"
    _token = SECRET

    @property
    def boom(self) -> str:
        raise RuntimeError("the database\nis down")


class Unprintable:
    def __str__(self) -> str:
        raise ValueError("no text")


NAMESPACE: dict[str, Any] = {"city": City(), "n": 3, "x": [1, 2], "d": {"k": "v"}}


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("Weather in {city.name} for {n} days", "Weather in Paris for 3 days"),
        (
            'JSON: {{"a": 1}} and {unknown} and {city.nope}',
            'JSON: {"a": 1} and {unknown} and {city.nope}',
        ),
        ("{{x}} is literal, {{{n}}} is braced", "{x} is literal, {3} is braced"),
        ('{{"a": {{"b": 1}}}}', '{"a": {"b": 1}}'),  # str.format's escapes give str.format's text
        ('{{"a": {"b": 1}}}', '{"a": {"b": 1}}'),  # one level escaped, the inner one pasted
        ('{{"s": "}"}}', '{"s": "}"}'),  # a lone } inside an escaped pair is text
        ("f'{n}' and {n}}", "f'3' and 3}"),  # f-string-like text: the field is filled
        ("{Città}", "Roma"),  # identifiers are Python's, not only ASCII
    ],
)
def test_fields_and_escapes(text: str, sent: str) -> None:
    assert interpolate(text, {**NAMESPACE, "Città": "Roma"}) == sent


@pytest.mark.parametrize(
    "pasted",
    [
        '{"a": 1}',
        '{"a": {"b": {"c": [1, {"d": null}]}}}',
        '[{"id": 1}, {"id": 2}]\n{"x": "}}}", "y": "{not a field}"}',
        '{\n  "city": "Paris",\n  "n": {}\n}',
        "d = {'a': {'b': 1}}; s = {n, x}; e = {}",
        "{k: v for k, v in d.items()}",
        "print(f'{n:>10} {x[0]} {x!r} {n=} { n } {d[k]}')",  # specs, indexing, conversions
        "{x:>10}{x[0]}{city.name()}{n + 1}{0}{}",
        "a }} b }}} c",  # braces that close nothing
        "\\frac{1}{2}} and ${ matrix } and ${HOME}",  # LaTeX, templates, shell
    ],
)
def test_pasted_json_and_code_reach_the_model_unchanged(pasted: str) -> None:
    assert interpolate(pasted, NAMESPACE) == pasted


def test_text_without_double_open_braces_or_known_names_is_never_altered() -> None:
    """A failure class, not one example: 3,000 random texts of braces, quotes and names."""
    rng = random.Random(9)
    alphabet = ["{", "}", "}}", '"', ":", " ", ",", "[", "]", "a", "b.c", "_x", "x", "0", "\n"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        while "{{" in text:
            text = text.replace("{{", "{ {")
        assert interpolate(text, {"unrelated": 1}) == text, text


def test_str_format_templates_give_str_formats_text() -> None:
    """Templates whose every `}}` closes a `{{` (str.format would also turn a `}}` that closes
    nothing into `}`; here it is sent as typed, like the end of pasted JSON)."""
    rng = random.Random(14)
    pieces = ["{{", "}}", "{n}", "{city.name}", "text", " ", '"q": 1', ","]
    for _ in range(2000):
        parts, depth = [], 0
        for piece in (rng.choice(pieces) for _ in range(rng.randint(0, 12))):
            if piece == "}}" and depth == 0:
                continue
            depth += {"{{": 1, "}}": -1}.get(piece, 0)
            parts.append(piece)
        template = "".join(parts) + "}}" * depth
        assert interpolate(template, NAMESPACE) == template.format(**NAMESPACE), template


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("{city.__class__.__init__.__globals__}", "__class__"),
        ("{city._token}", "_token"),
        ("{_}", "_"),
        ("{__builtins__}", "__builtins__"),
        ("{gen.gi_frame.f_globals}", "gi_frame"),
        ("{city.name.__class__}", "__class__"),
        ("{fn.func_globals}", "func_globals"),
    ],
)
def test_private_and_dunder_parts_are_never_read(text: str, part: str) -> None:
    def gen() -> Any:
        yield 1

    namespace = {**NAMESPACE, "_": SECRET, "__builtins__": {}, "gen": gen(), "fn": len}
    with pytest.raises(UsageError) as info:
        interpolate(f"Tell me {text}, please", namespace)
    message = str(info.value)
    assert message.startswith(f"{text} in the prompt: only public names and attributes")
    assert f"not {part!r}" in message and f"write {{{text}}} to send it as text" in message
    assert "\n" not in message and SECRET not in message


def test_an_attribute_or_str_that_raises_is_a_one_line_usage_error() -> None:
    with pytest.raises(
        UsageError,
        match=r"^\{city\.boom\} in the prompt: reading \.boom raised RuntimeError: the database is down$",
    ):
        interpolate("{city.name} {city.boom}", NAMESPACE)
    with pytest.raises(
        UsageError, match=r"^\{thing\} in the prompt: str\(\) raised ValueError: no text$"
    ):
        interpolate("{thing}", {"thing": Unprintable()})


def test_a_private_name_that_is_not_a_variable_is_text_like_any_unknown_name() -> None:
    assert interpolate("{self._name} {_missing}", NAMESPACE) == "{self._name} {_missing}"


async def test_through_the_magic_json_is_sent_as_pasted_and_secrets_stay_home(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ScriptedModel([["ok", final()]])
    shell.user_ns.update(m=model, city=City(), API_KEY=SECRET)
    body = 'Fix this config for {city.name}:\n{"retries": {"max": 3}, "tags": ["a", "b"]}\n'
    result = await cell(shell, f"%%agent -m m --new\n{body}")
    assert result.error_in_exec is None
    assert rag_text(model.requests[0].prompt) == body.replace("{city.name}", "Paris").strip()
    attack = await cell(shell, "%%agent -m m\nSummarise {city.__class__.__init__.__globals__}")
    assert isinstance(attack.error_in_exec, UsageError)
    assert len(model.requests) == 1  # nothing was sent
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err and "Traceback" not in out.out + out.err
    assert "{city.__class__.__init__.__globals__} in the prompt" in out.err + out.out
    broken = await cell(shell, "%%agent -m m\nWhat about {city.boom}?")
    assert isinstance(broken.error_in_exec, UsageError) and len(model.requests) == 1
    out = capsys.readouterr()
    assert out.err.strip() == (
        "UsageError: {city.boom} in the prompt: reading .boom raised RuntimeError: the database "
        "is down"
    )
