"""The kernel package's tests draw figures off screen."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
