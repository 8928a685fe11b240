"""The per-token choices of the hot path, each against the alternative it replaced.

    python -m bench.micro [--write]

Each pair is timed alternately in one process (timeit, best of 7 rounds each, 9 rounds of the
pair); figures are µs per unit (event, chunk, line or delta) and the median per-round ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import timeit
from collections.abc import Callable

from bench.run import write_results
from bench.server import body


def _pair(
    old: Callable[[], object], new: Callable[[], object], units: int
) -> tuple[float, float, float]:
    olds, news, ratios = [], [], []
    for _ in range(9):
        a = min(timeit.repeat(old, number=200, repeat=7)) / 200 / units * 1e6
        b = min(timeit.repeat(new, number=200, repeat=7)) / 200 / units * 1e6
        olds.append(a)
        news.append(b)
        ratios.append(a / b)
    return statistics.median(olds), statistics.median(news), statistics.median(ratios)


def main() -> None:
    from rig_nb.core import RawText
    from rig_nb.providers._lines import merge_text
    from rig_nb.providers._sse import ServerSentEvent

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    text = body("chat/completions", 200, 1).decode()
    lines = text.split("\n")
    chunks = [line[6:] for line in lines if line.startswith("data: {")]
    scan = json.JSONDecoder().scan_once
    new = tuple.__new__
    deltas = [f"tok{i} " for i in range(64)]

    def find_lines() -> list[str]:
        out, pos = [], 0
        while (end := text.find("\n", pos)) >= 0:
            out.append(text[pos:end])
            pos = end + 1
        return out

    cases = [
        ("an SSE event: the class called / `tuple.__new__`", "event",
         lambda: [ServerSentEvent("message", c, None, None) for c in chunks],
         lambda: [new(ServerSentEvent, ("message", c, None, None)) for c in chunks], len(chunks)),
        ("a chunk's JSON: `json.loads` / the C scanner", "chunk",
         lambda: [json.loads(c) for c in chunks], lambda: [scan(c, 0) for c in chunks], len(chunks)),
        ("lines: `str.find` per line / one `str.split`", "line",
         find_lines, lambda: text.split("\n"), len(lines)),
        ("text deltas: a `RawText` each, merged / `str`s, one `RawText`", "delta",
         lambda: merge_text([RawText(d) for d in deltas]), lambda: merge_text(list(deltas)), len(deltas)),
    ]  # fmt: skip
    rows = [
        "| choice (before / after) | unit | before | after | × faster |",
        "|---|---|---:|---:|---:|",
    ]
    for name, unit, old, fresh, units in cases:
        a, b, ratio = _pair(old, fresh, units)
        rows.append(f"| {name} | {unit} | {a:.3f} µs | {b:.3f} µs | **{ratio:.2f}** |")
        print(rows[-1], flush=True)
    if args.write:
        write_results("micro", rows)


if __name__ == "__main__":
    main()
