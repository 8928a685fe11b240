"""The notebook view of a run (anywidget). Imports ipywidgets: `import rig_nb` does not load it."""

from .approval import ApprovalPolicy, Policy, wait_with_heartbeat
from .stream_view import AgentView, FrontEndMessage

__all__ = ["AgentView", "ApprovalPolicy", "FrontEndMessage", "Policy", "wait_with_heartbeat"]
