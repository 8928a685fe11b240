"""Execute a notebook end to end in a fresh kernel and print what each cell showed.

    python examples/run_notebook.py examples/quickstart.ipynb [--save artifacts/quickstart.ipynb]

The main job of `scripts/main`. Widgets show their text/plain transcript here.
"""

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--save", type=Path, help="where to write the executed notebook")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args()
    notebook = nbformat.read(args.notebook, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=args.timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(args.notebook.parent)}},
    )
    client.execute()
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        print(f"--- [{index}] {cell.source.splitlines()[0] if cell.source else ''}")
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                print(output.text, end="")
            elif "text/plain" in output.get("data", {}):
                print(output.data["text/plain"])
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, args.save)
        print(f"--- executed notebook written to {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
