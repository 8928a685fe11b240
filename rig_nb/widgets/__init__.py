"""The notebook view of a run (anywidget). Imports ipywidgets: `import rig_nb` does not load it.

```python
view = AgentView(agent, approval="ask")
display(view)
final = await view.run("What's the weather in Paris?")
```
"""

from .._exports import publish as _publish
from ._approvals import ApprovalPolicy, Policy
from ._protocol import FrontEndMessage
from ._view import AgentView

__all__ = ["AgentView", "ApprovalPolicy", "FrontEndMessage", "Policy"]

_publish(globals(), __all__, __name__)
