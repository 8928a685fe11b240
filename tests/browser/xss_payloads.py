"""XSS payloads: each one, if it ever ran, would set `window.__pwned`.

The corpus lives in xss_payloads.json, shared with the front end's unit tests (js/test): `payloads`
are single lines (shown in every field: text, reasoning, tool names, arguments, results, errors),
`block_payloads` are multi-line markdown (tables, fences, math blocks, nested lists) for the answer.
"""

import json
from pathlib import Path

_CORPUS = json.loads((Path(__file__).with_name("xss_payloads.json")).read_text(encoding="utf-8"))

PAYLOADS: list[str] = _CORPUS["payloads"]
BLOCK_PAYLOADS: list[str] = _CORPUS["block_payloads"]

assert len(PAYLOADS) >= 60
assert all("\n" not in p for p in PAYLOADS)
assert len(BLOCK_PAYLOADS) >= 10
