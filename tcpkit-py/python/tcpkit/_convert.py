"""Arrow tables into pandas without a Python object per row."""

from __future__ import annotations

from typing import Any


def pandas_types(t: Any) -> Any:
    """The pandas dtype of an Arrow column for ``Table.to_pandas()``: strings,
    lists, structs and nullable integers stay Arrow-backed (``pd.ArrowDtype``:
    no Python object per value, no integer turned into float by a null);
    numbers, booleans, timestamps and durations become NumPy columns
    (``datetime64[ns, UTC]``, ``timedelta64[ns]``)."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_nested(t) or pa.types.is_string(t) or pa.types.is_binary(t):
        return pd.ArrowDtype(t)
    return None


def to_pandas(table: Any, zero_copy: bool = False) -> Any:
    """``pyarrow.table(table).to_pandas()`` with :func:`pandas_types`; nullable
    integer columns as ``pd.ArrowDtype`` too.

    Memory: the Arrow table stays whole (the ``Analysis`` holds it), so
    pyarrow's ``self_destruct`` would free nothing; the columns that stay
    Arrow-backed share its buffers, and only the NumPy columns are copies,
    each its own block (``split_blocks``: no second copy to consolidate them
    into 2-D blocks). The nullable integer columns are never made NumPy
    floats first.

    The default is for a notebook: numbers, times and durations as NumPy
    columns, which every pandas, NumPy, matplotlib or scikit-learn call takes
    as they are, for one copy of them (on the benchmark capture's 3.9 M
    segments: 0.3 s and 350 MiB). ``zero_copy=True`` makes every column
    ``pd.ArrowDtype`` over the table's buffers instead (0.04 s, 14 MiB
    there): the same values, computed on through pyarrow (a sum or a groupby
    about as fast; a call that needs NumPy converts the column then)."""
    import pandas as pd
    import pyarrow as pa

    t = pa.table(table)
    if zero_copy:
        return t.to_pandas(types_mapper=pd.ArrowDtype)
    nullable_ints = [
        i for i, f in enumerate(t.schema) if pa.types.is_integer(f.type) and t.column(i).null_count
    ]
    rest = t.drop_columns([t.schema.field(i).name for i in nullable_ints])
    df = rest.to_pandas(types_mapper=pandas_types, split_blocks=True)
    for i in nullable_ints:  # in ascending order: each lands at its own place
        column = pd.Series(pd.arrays.ArrowExtensionArray(t.column(i)), index=df.index)
        df.insert(i, t.schema.field(i).name, column)
    return df
