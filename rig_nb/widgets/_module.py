"""The view's front-end module, held once per kernel by a widget every `AgentView` names.

anywidget keeps a widget's ES module in the widget's own state, and saved notebooks keep that
state: with the whole bundle (about 470 KiB: marked, DOMPurify, highlight.js, KaTeX) in each view,
a notebook of 10 `%%agent` cells saved with widget state weighed 5.3 MB. Each `AgentView` now
carries a 1 KiB loader (`static/loader.js`) and the name of this holder, whose state has the
bundle and its CSS once; the loader imports it once per page.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets
import traitlets

__all__ = ["ViewModule", "view_module"]

_STATIC = Path(__file__).parent / "static"


class ViewModule(ipywidgets.Widget):
    """A widget with no view: the AgentView front end's source and CSS, synced once."""

    _model_name = traitlets.Unicode("WidgetModel").tag(sync=True)
    _model_module = traitlets.Unicode("@jupyter-widgets/base").tag(sync=True)
    _model_module_version = traitlets.Unicode(ipywidgets.__jupyter_widgets_base_version__).tag(
        sync=True
    )
    esm = traitlets.Unicode().tag(sync=True)
    css = traitlets.Unicode().tag(sync=True)


_HOLDER: ViewModule | None = None


def view_module() -> ViewModule:
    """This kernel's holder (made on first use; made again if it was closed)."""
    global _HOLDER
    if _HOLDER is None or _HOLDER.comm is None:
        _HOLDER = ViewModule(
            esm=(_STATIC / "stream_view.js").read_text(encoding="utf-8"),
            css=(_STATIC / "stream_view.css").read_text(encoding="utf-8"),
        )
    return _HOLDER
