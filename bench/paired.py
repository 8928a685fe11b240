"""The paired harness: long-lived workers driven in lockstep, figures as medians of per-pair ratios.

Every contender runs in its own long-lived process (`bench.worker`), set up once. A contender is
measured against its baseline in pairs, in the order A B, B A, A B... (so a drift of the machine
favours neither), and one pair's two runs follow each other at once: machine noise that slows
one slows both. The figure is the median over pairs of `baseline / contender`, never a ratio of
medians taken in separate time windows (which printed 1.04x, 0.84x and 0.58x on three
consecutive runs on this shared machine).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


class Worker:
    """One contender's process; `run(url)` is one timed run."""

    def __init__(self, name: str, pythonpath: str | None = None) -> None:
        env = dict(os.environ)
        # A "(before)" contender imports the base commit's rig_nb (bench.run --before DIR): that
        # directory first on the path, and a working directory that holds no rig_nb.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, str(ROOT)) if p)
        self.name = name
        self._process = subprocess.Popen(
            self._argv(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=tempfile.gettempdir(),
            env=env,
            text=True,
        )

    def _argv(self) -> list[str]:
        return [sys.executable, "-m", "bench.worker", self.name]

    def run(self, url: Any, **options: Any) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps({"url": url, **options}) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} worker died (see its stderr above)")
        return json.loads(line)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=30)


@dataclass
class Pairs:
    """The pairs of one contender against its baseline, in one scenario."""

    baseline: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    contender: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])

    def ratios(self, key: str) -> list[float]:
        """`baseline / contender` per pair (time or CPU: above 1 the contender is faster)."""
        return [b[key] / c[key] for b, c in zip(self.baseline, self.contender, strict=True)]

    def ratio(self, key: str) -> float:
        return statistics.median(self.ratios(key))

    def spread(self, key: str) -> tuple[float, float]:
        """The 25th and 75th percentiles of the per-pair ratios."""
        q = statistics.quantiles(self.ratios(key), n=4)
        return q[0], q[2]

    def first_delta(self) -> float:
        """Median over pairs of the contender's time to first token minus the baseline's (s)."""
        deltas = [
            c["first"] - b["first"] for b, c in zip(self.baseline, self.contender, strict=True)
        ]
        return statistics.median(deltas)

    def median(self, key: str, side: str = "contender") -> float:
        return statistics.median(r[key] for r in getattr(self, side))


def measure(
    pairs: dict[str, tuple[Worker, Worker]], url: str, count: int, warmup: int = 3
) -> dict[str, Pairs]:
    """`count` pairs for each `name -> (baseline, contender)`, interleaved across contenders.

    Round `i` runs every contender's pair once, baseline first on even rounds and second on odd
    ones (A B, B A, ...).
    """
    for baseline, contender in pairs.values():
        for _ in range(warmup):
            baseline.run(url)
            contender.run(url)
    out = {name: Pairs() for name in pairs}
    for i in range(count):
        for name, (baseline, contender) in pairs.items():
            if i % 2 == 0:
                b, c = baseline.run(url), contender.run(url)
            else:
                c, b = contender.run(url), baseline.run(url)
            if b["chars"] != c["chars"]:
                raise RuntimeError(f"{name}: answer of {c['chars']} chars, baseline {b['chars']}")
            out[name].baseline.append(b)
            out[name].contender.append(c)
    return out
