"""`import rig_nb` stays light: no data, plotting, imaging or notebook library is loaded until an
object of theirs is met, not even when a tool returns plain values or an object of another kind."""

import subprocess
import sys

HEAVY = ("pandas", "polars", "matplotlib", "PIL", "numpy", "pyarrow", "IPython")


def loaded_after(code: str) -> list[str]:
    script = (
        f"import sys\n{code}\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return eval(out.stdout.strip())


def test_import_rig_nb_loads_none_of_them() -> None:
    assert loaded_after("import rig_nb, rig_nb.kernel") == []


def test_running_an_agent_with_plain_and_unknown_results_loads_none_of_them() -> None:
    code = """
import asyncio
from rig_nb import Agent, tool, user_message, kernel_tools
from rig_nb.testing import ScriptedModel, final, tool_call

class Thing:
    pass

@tool
def plain() -> dict:
    \"\"\"Plain.\"\"\"
    return {"a": 1}

@tool
def other() -> object:
    \"\"\"An object of no known kind.\"\"\"
    return Thing()

model = ScriptedModel([[tool_call("plain", id="1"), tool_call("other", id="2"), final()], ["ok", final()]])
agent = Agent(model, tools=[plain, other, *kernel_tools({"x": 1})])
async def main():
    return await agent.stream_prompt(user_message("hi", 3, {"k": [1]})).multi_turn(1)

assert asyncio.run(main()).response == "ok"
"""
    assert loaded_after(code) == []


def test_a_dataframe_loads_pandas_only_because_the_user_did() -> None:
    loaded = loaded_after(
        "import pandas, rig_nb\nrig_nb.user_message(pandas.DataFrame({'a': [1]}))"
    )
    assert "pandas" in loaded and "matplotlib" not in loaded and "PIL" not in loaded
