"""The notebook's objects as context: namespace values in prompts, rich tool results, kernel tools.

* `user_message(...)` (and `%%agent`'s `{df}`, `{fig}`, `{In[3]}`, `{Out[3]}`, `{Err[-1]}`, `-a`):
  DataFrames as compact descriptions, figures and images as image parts, files attached;
* a tool may return a DataFrame, a matplotlib figure, a PIL image or any object with IPython's
  display methods: the model gets text and images (`render`), the view a sanitised HTML table;
* `kernel_tools()`: `list_variables`, `inspect_variable(name)`, `run_python(code)` (asks first).

Nothing here imports pandas, polars, matplotlib, Pillow or IPython until an object of theirs is
met: `import rig_nb` stays light.
"""

from .._exports import publish as _publish
from ..core import register_tool_output as _register
from ._attach import Attachment, attachment
from ._budget import Budget
from ._cell_log import CellLog
from ._cells import CellHistory
from ._images import Picture
from ._message import PromptParts, user_message
from ._render import Rendition, _convert, render, tool_output
from ._tools import kernel_tools

__all__ = [
    "Attachment",
    "attachment",
    "Budget",
    "CellHistory",
    "CellLog",
    "kernel_tools",
    "Picture",
    "PromptParts",
    "render",
    "Rendition",
    "tool_output",
    "user_message",
]

_register(_convert)
_publish(globals(), __all__, __name__)
