"""Public test doubles: drive an agent offline, in your tests and in notebooks.

```python
from rig_nb.testing import ScriptedModel, final, tool_call
from rig_nb.testing import RecordingModel, ReplayModel   # record a run once, replay it in CI
```

`RecordingModel` and `ReplayModel` import httpx when first used (`import rig_nb.testing` does not).
"""

from typing import TYPE_CHECKING, Any

from ._cassette import CassetteError, UnrecordedRequest
from ._scripted import (
    Delay,
    ScriptedModel,
    ScriptedResponse,
    Step,
    UnconsumedModelSteps,
    UnexpectedModelCall,
    final,
    tool_call,
    words,
)

if TYPE_CHECKING:
    from ._record import RecordingModel
    from ._replay import ReplayModel

__all__ = [
    "CassetteError",
    "Delay",
    "final",
    "RecordingModel",
    "ReplayModel",
    "ScriptedModel",
    "ScriptedResponse",
    "Step",
    "tool_call",
    "UnconsumedModelSteps",
    "UnexpectedModelCall",
    "UnrecordedRequest",
    "words",
]


def __getattr__(name: str) -> Any:
    if name == "RecordingModel":
        from ._record import RecordingModel

        return RecordingModel
    if name == "ReplayModel":
        from ._replay import ReplayModel

        return ReplayModel
    raise AttributeError(f"module 'rig_nb.testing' has no attribute {name!r}")
