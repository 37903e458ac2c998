"""Arrow text columns, as the checks and the findings assembly share them: one ``large_string`` type, a column as
one Arrow array, Arrow text as the findings' ``string`` dtype, and a column's dictionary codes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: the one Arrow text type of the audit's columns
TEXT = pa.large_string()


def string(arr: pa.Array | pa.ChunkedArray) -> pd.arrays.ArrowStringArray:
    """Arrow text as pandas' ``string`` dtype, without a copy."""
    return pd.arrays.ArrowStringArray(arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr], type=TEXT))


def as_text(values: pd.Series) -> pa.Array:
    """A column as one Arrow ``large_string`` array (missing → null): Arrow text as it is, anything else
    converted as ``astype("string")`` has it (a value that is not text through ``str``)."""
    arr = values.array
    if isinstance(arr, pd.arrays.ArrowStringArray) or (
        isinstance(arr, pd.arrays.ArrowExtensionArray) and pa.types.is_string(arr.dtype.pyarrow_dtype)
    ):
        got = arr.__arrow_array__()  # pa.array(arr), without the protocol lookup
        if isinstance(got, pa.ChunkedArray):
            got = got.combine_chunks() if got.num_chunks != 1 else got.chunk(0)
        out: pa.Array = got if got.type == TEXT else got.cast(TEXT)
        return out
    obj = values.to_numpy(dtype=object, na_value=None)
    try:
        return pa.array(obj, type=TEXT, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        got = pa.array(pd.array(obj, dtype="string"))
        got = got.combine_chunks() if isinstance(got, pa.ChunkedArray) else got
        return got.cast(TEXT)


def encode(values: pa.Array) -> tuple[np.ndarray[Any, Any], pa.Array]:
    """A column's codes into its distinct values (first seen first; missing → -1) and those values."""
    enc = values.dictionary_encode()
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, enc.dictionary
