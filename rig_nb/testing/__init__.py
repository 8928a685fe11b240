"""Public test doubles: drive an agent offline, in your tests and in notebooks.

```python
from rig_nb.testing import ScriptedModel, final, tool_call
```
"""

from .._exports import publish as _publish
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

__all__ = [
    "Delay",
    "final",
    "ScriptedModel",
    "ScriptedResponse",
    "Step",
    "tool_call",
    "UnconsumedModelSteps",
    "UnexpectedModelCall",
    "words",
]

_publish(globals(), __all__, __name__)
