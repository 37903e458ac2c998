"""Execute notebooks and store only the outputs nbval checks.

    python scripts/nbhygiene.py [notebooks/*.ipynb]     execute, then write back
    python scripts/nbhygiene.py --check [notebooks...]  only verify the stored state

Each notebook runs top to bottom in its own directory, on the bundled sample
($K8SAUDIT_SOURCE is ignored). A run that shows an error or anything on stderr
(a warning) writes nothing and fails. Cells starting with ``# NBVAL_CHECK_OUTPUT``
keep their outputs and execution counts; every other cell is stored without
outputs and with ``execution_count: null``, so diffs stay reviewable. Cells marked
``# NBVAL_SKIP`` are not run, as under nbval.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
SKIP_MARK = "# NBVAL_SKIP"


def is_checked(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_MARK)


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """Errors and stderr output of an executed notebook, one line each."""
    out = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if o.output_type == "error":
                out.append(f"cell {i}: {o.ename}: {o.evalue}")
            elif o.output_type == "stream" and o.name == "stderr":
                out.append(f"cell {i}: stderr: {o.text.strip()[:300]}")
    return out


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep outputs and counts of checked cells only; drop run metadata."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if is_checked(cell):
            for o in cell.outputs:
                o.pop("metadata", None) if o.get("output_type") == "stream" else None
        else:
            cell.outputs = []
            cell.execution_count = None
    return nb


def hygiene(nb: nbformat.NotebookNode) -> list[str]:
    """What is wrong with a stored notebook (empty when it is tidy)."""
    out = []
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        out.append("kernelspec is not python3")
    if not any("parameters" in c.metadata.get("tags", []) for c in nb.cells):
        out.append("no cell tagged `parameters`")
    checked = [c for c in nb.cells if is_checked(c)]
    if not checked:
        out.append(f"no `{CHECK_MARK}` cell")
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        if is_checked(c) and (not c.outputs or c.execution_count is None):
            out.append(f"cell {i}: checked cell stored without outputs or execution count")
        if not is_checked(c) and (c.outputs or c.execution_count is not None):
            out.append(f"cell {i}: unchecked cell stores outputs or an execution count")
    return out


def run(path: Path, timeout: int) -> tuple[nbformat.NotebookNode, float]:
    nb = nbformat.read(path, as_version=4)
    skipped = {i: c.source for i, c in enumerate(nb.cells) if c.cell_type == "code" and SKIP_MARK in c.source}
    for i in skipped:  # as nbval does: not run at all
        nb.cells[i].source = ""
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        allow_errors=True,
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    t0 = time.perf_counter()
    client.execute()
    for i, source in skipped.items():
        nb.cells[i].source = source
    return nb, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--check", action="store_true", help="only verify the stored notebooks")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    failed = 0
    if args.check:
        for p in paths:
            for msg in hygiene(nbformat.read(p, as_version=4)):
                print(f"{p.name}: {msg}")
                failed += 1
        return 1 if failed else 0
    os.environ.pop("K8SAUDIT_SOURCE", None)
    # exports and workshop progress go to a temporary folder, never to out/ or the home folder
    tmp = tempfile.mkdtemp(prefix="k8saudit-nbhygiene-")
    os.environ["K8SAUDIT_OUT"] = str(Path(tmp) / "out")
    os.environ["K8SAUDIT_PROGRESS"] = str(Path(tmp) / "progress.json")
    # kernels import the checkout's k8saudit, installed or not
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    for p in paths:
        nb, seconds = run(p, args.timeout)
        bad = problems(nb)
        if bad:
            failed += 1
            print(f"{p.name}: NOT written ({seconds:.1f}s)")
            for msg in bad:
                print(f"  {msg}")
            continue
        nbformat.write(strip(nb), p)
        with open(p, "a") as fh:  # nbformat.write ends without a newline
            fh.write("\n")
        print(f"{p.name}: ok ({seconds:.1f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
