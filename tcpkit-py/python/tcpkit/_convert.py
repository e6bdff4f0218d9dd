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


def to_pandas(table: Any) -> Any:
    """``pyarrow.table(table).to_pandas()`` with :func:`pandas_types`; nullable
    integer columns as ``pd.ArrowDtype`` too."""
    import pandas as pd
    import pyarrow as pa

    t = pa.table(table)
    nullable_ints = {f.name for f in t.schema if pa.types.is_integer(f.type) and t.column(f.name).null_count}
    df = t.to_pandas(types_mapper=pandas_types)
    for name in nullable_ints:
        df[name] = pd.Series(pd.arrays.ArrowExtensionArray(t.column(name)), index=df.index, name=name)
    return df
