"""The notebook view of a run (anywidget). Imports ipywidgets: `import rig_nb` does not load it.

```python
view = AgentView(agent, approval="ask")
display(view)
final = await view.run("What's the weather in Paris?")

view = BatchView(out="labels")                   # one live view of a batch (agent.map)
display(view)
batch = agent.map("Label: {title}", rows=df, approval="ask", on_approval=view.decide)
labels = await view.run(batch)
```
"""

from .._exports import publish as _publish
from ._approvals import ApprovalPolicy, Policy
from ._batch import BatchView
from ._protocol import FrontEndMessage
from ._view import AgentView

__all__ = ["AgentView", "ApprovalPolicy", "BatchView", "FrontEndMessage", "Policy"]

_publish(globals(), __all__, __name__)
