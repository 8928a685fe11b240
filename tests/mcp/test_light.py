"""`import rig_nb` (and the magics) never imports the mcp SDK: only using MCP does."""

import subprocess
import sys


def test_the_mcp_sdk_is_imported_only_when_mcp_is_used() -> None:
    code = (
        "import sys, rig_nb, rig_nb.magics;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'mcp', 'mcp_types', 'httpx2'}));"
        "import rig_nb.mcp;"
        "print('mcp' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True"]
