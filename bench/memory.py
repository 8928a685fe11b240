"""Peak memory of a very long answer: rig_nb against raw httpx reading the same stream.

    python -m bench.memory [--tokens 1000000] [--before DIR] [--write]

Each contender runs in a fresh worker process: a small warm-up run (imports, client, pools),
then one run of the long answer. The figure is the growth of the process's peak RSS over its RSS
before the long run (each contender ends holding the whole answer as one string).
"""

from __future__ import annotations

import argparse

from bench.paired import Worker
from bench.run import server, write_results


def measure(name: str, base: str, tokens: int, before: str | None) -> tuple[int, int]:
    worker = Worker(name, before if name.endswith("(before)") else None)
    try:
        worker.run(f"{base}/t100c1/v1")
        out = worker.run(f"{base}/t{tokens}c1/v1", memory=True)
    finally:
        worker.close()
    return out["rss_peak"] - out["rss_before"], out["chars"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--before", help="a directory holding the base commit's rig_nb package")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    names = ["raw httpx", "rig_nb", "rig_nb + hook"]
    if args.before:
        names += ["rig_nb (before)", "rig_nb + hook (before)"]
    rows = [
        "| contender | peak RSS growth | × raw httpx | × the answer's size |",
        "|---|---:|---:|---:|",
    ]
    with server() as port:
        base = f"http://127.0.0.1:{port}"
        grown = {name: measure(name, base, args.tokens, args.before) for name in names}
    raw = grown["raw httpx"][0]
    for name, (growth, chars) in grown.items():
        rows.append(
            f"| {name} | {growth / 1e6:.1f} MB | **{growth / raw:.2f}** | {growth / chars:.1f} |"
        )
    text = [
        f"One answer of {args.tokens:,} tokens (one per SSE event, OpenAI chat, burst), "
        f"{grown['raw httpx'][1] / 1e6:.1f} MB of text; each contender in a fresh process.",
        "",
        *rows,
    ]
    print("\n".join(text))
    if args.write:
        write_results("memory", text)


if __name__ == "__main__":
    main()
