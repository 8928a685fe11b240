"""`import rig_nb.batch` (and so `agent.map`'s module) imports no table or cluster library."""

import subprocess
import sys


def test_import_rig_nb_batch_stays_light() -> None:
    code = (
        "import sys, rig_nb, rig_nb.batch, rig_nb.testing;"
        "heavy = {'pandas', 'polars', 'ray', 'pyarrow', 'httpx', 'filelock', 'IPython'};"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
