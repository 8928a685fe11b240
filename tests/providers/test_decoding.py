"""The one line splitter, the one SSE decoder and the chunk parser: the same answer however the
text is cut into reads and lines are grouped into batches."""

import json
import re

import pytest

from rig_nb import ResponseError
from rig_nb.providers._base import json_object
from rig_nb.providers._lines import BufferedLines
from rig_nb.providers._sse import ServerSentEvent, SSEDecoder, aiter_sse

pytestmark = pytest.mark.anyio

STREAM = (
    ": keep-alive\r\n"
    "event: content_block_delta\n"
    'data: {"a": 1}\n'
    "\n"
    "id: 7\r"
    "data: first\r\n"
    "data:second\n"
    "retry: 250\n"
    "\r\n"
    "event: ping\n"
    "\n"
    "bogus line\n"
    "data: [DONE]\n"
    "\n"
    "data: unterminated"
)


def reference_lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


async def read_all(parts: list[str]) -> list[str]:
    async def chunks():
        for part in parts:
            yield part

    return [line async for line in BufferedLines(chunks())]


async def test_every_cut_into_two_or_three_reads_gives_the_same_lines() -> None:
    expected = reference_lines(STREAM)
    for i in range(len(STREAM) + 1):
        assert await read_all([STREAM[:i], STREAM[i:]]) == expected, i
        for j in range(i, len(STREAM) + 1, 7):
            assert await read_all([STREAM[:i], STREAM[i:j], STREAM[j:]]) == expected, (i, j)
    assert await read_all(list(STREAM)) == expected  # a character per read


def test_decoding_in_batches_of_any_size_is_decoding_line_by_line() -> None:
    lines = reference_lines(STREAM)
    one = SSEDecoder()
    expected = [e for line in lines if (e := one.decode(line)) is not None]
    assert expected == [
        ServerSentEvent(event="content_block_delta", data='{"a": 1}'),
        ServerSentEvent(data="first\nsecond", id="7", retry=250),
        ServerSentEvent(data="[DONE]", id="7"),
    ]
    for size in range(1, len(lines) + 1):
        decoder = SSEDecoder()
        got = []
        for start in range(0, len(lines), size):
            got += decoder.decode_lines(lines[start : start + size])
        assert got == expected, size


async def test_an_unterminated_last_event_is_delivered() -> None:
    async def lines():
        for line in reference_lines(STREAM):
            yield line

    events = [e async for e in aiter_sse(lines())]
    assert events[-1] == ServerSentEvent(data="unterminated", id="7")


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, 2.5, null, true], "b": {"c": "é\\u00e9"}}',
        '  {"padded": 1}  ',
        '{"x": NaN}',
        "{}",
        '{"a": 1} trailing',
        '{"a": ',
        "[1, 2]",
        '"text"',
        "",
        "   ",
    ],
)
def test_a_chunk_parses_as_json_loads_parses_it(text: str) -> None:
    try:
        expected = json.loads(text)
    except ValueError:
        expected = ValueError
    if expected is ValueError:
        with pytest.raises(ResponseError, match="not JSON"):
            json_object(text, "p", dict)
    elif not isinstance(expected, dict):
        with pytest.raises(ResponseError, match="not a JSON object"):
            json_object(text, "p", dict)
    else:
        got = json_object(text, "p", dict)
        assert json.dumps(got) == json.dumps(expected)
