r"""Batch runs: one agent over many rows, with limits, retries, a resumable cache, on Ray too.

```python
results = await agent.map("Classify: {title}\\n{body}", rows=df, concurrency=32, rpm=500,
                          output_type=Label, cache="runs/labels")
results[results.status == "failed"].error      # typed errors, each with its conversation
```

`agent.map(...)` is `map_agent(agent, ...)`; it returns a `BatchRun`: `await` it (or
`run.run_sync()` in a script) for the table, `run.subscribe(listener)` for `BatchEvent`s,
`run.progress` for a `BatchProgress`, `run.stop()` to end it keeping what finished.

`import rig_nb.batch` imports no table, cluster or HTTP library: pandas, polars and Ray are
imported by the runs that use them.
"""

from .._exports import publish as _publish
from ._limits import Clock, LoopClock
from ._map import map_agent
from ._result import BatchEvent, BatchProgress, RowResult, RowStatus
from ._row import RETRY_STATUSES, is_retryable
from ._run import BatchRun
from ._table import COLUMNS

__all__ = [
    "BatchEvent",
    "BatchProgress",
    "BatchRun",
    "Clock",
    "COLUMNS",
    "is_retryable",
    "LoopClock",
    "map_agent",
    "RETRY_STATUSES",
    "RowResult",
    "RowStatus",
]

_publish(globals(), __all__, __name__)
