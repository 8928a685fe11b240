"""Public test doubles: drive an agent offline, in your tests and in notebooks.

```python
from rig_nb.testing import ScriptedModel, final, tool_call
from rig_nb.testing import RecordingModel, ReplayModel   # record a run once, replay it in CI
```

`RecordingModel` and `ReplayModel` import httpx when first used (`import rig_nb.testing` does not).
"""

from typing import TYPE_CHECKING

from .._exports import publish as _publish
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

if TYPE_CHECKING:  # loaded on first use (module __getattr__ below): they import httpx
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
_LAZY = {"RecordingModel", "ReplayModel"}


def __getattr__(name: str) -> object:
    if name == "RecordingModel":
        from ._record import RecordingModel as found
    elif name == "ReplayModel":
        from ._replay import ReplayModel as found
    else:
        raise AttributeError(f"module 'rig_nb.testing' has no attribute {name!r}")
    _publish({name: found}, [name], __name__)
    return found


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


_publish(globals(), [name for name in __all__ if name not in _LAZY], __name__)
