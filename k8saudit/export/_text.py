"""Any frame as plain aligned text (the CLI's ``--format table``)."""

from __future__ import annotations

import pandas as pd
from tabulate import tabulate

from .._util import visible
from ._common import is_na, plain

#: longer cells are cut (with …) so a table stays readable in a terminal
MAX_CELL = 80


def _cell(v: object) -> object:
    v = plain(v)
    if is_na(v):
        return ""
    if isinstance(v, list):
        v = ", ".join(str(x) for x in v)
    elif isinstance(v, dict):
        v = ", ".join(f"{k}={x}" for k, x in v.items())
    if isinstance(v, str):
        v = " ".join(visible(v).split())
        return v if len(v) <= MAX_CELL else v[: MAX_CELL - 1] + "…"
    return v


def table_text(df: pd.DataFrame) -> str:
    if df.empty:
        return "(no rows)\n" if len(df.columns) == 0 else "  ".join(map(str, df.columns)) + "\n(no rows)\n"
    rows = [[_cell(v) for v in row] for row in df.itertuples(index=False, name=None)]
    return (
        tabulate(rows, headers=[visible(str(c)) for c in df.columns], tablefmt="simple", disable_numparse=False) + "\n"
    )
