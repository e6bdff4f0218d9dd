"""Pictures of one connection (matplotlib; install ``tcpkit[plot]``).

Every function draws from what the analysis already computed — the segment
table (``Analysis.segments``, or ``tcpkit segments --json`` read into a
DataFrame) and a connection record (a row of ``Analysis.connections``, or one
object of ``tcpkit flows --json``) — and returns the matplotlib ``Axes`` it drew
on (a new figure's unless ``ax=`` is given). Nothing is re-analysed here.

- :func:`time_sequence`: the Stevens / tcptrace time-sequence graph.
- :func:`rtt`: the ACK round-trip samples over time.
- :func:`backoff`: a retransmission train's send times beside the doubling.
- :func:`states`: the TCP states of both endpoints over time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["time_sequence", "rtt", "backoff", "states"]

Direction = Literal["c2s", "s2c"]

#: The ``analysis`` labels drawn as retransmissions.
RETRANSMISSION = frozenset({"retransmission", "fast_retransmission", "spurious_retransmission"})


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(9, 5))
    return new


def _frame(segments: Any) -> pd.DataFrame:
    """Any segment table as a pandas DataFrame: pandas, polars, or an object
    with the Arrow PyCapsule interface (``Analysis.segments``, pyarrow)."""
    import pandas as pd

    if isinstance(segments, pd.DataFrame):
        return segments
    to_pandas = getattr(segments, "to_pandas", None)
    if callable(to_pandas):
        out = to_pandas()
        if isinstance(out, pd.DataFrame):
            return out
    if hasattr(segments, "__arrow_c_stream__"):
        import pyarrow as pa

        return pa.table(segments).to_pandas()
    return pd.DataFrame(segments)


def _ns(col: pd.Series) -> pd.Series:
    """Instants as integer nanoseconds since the epoch (from ints or datetimes)."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(col):
        if getattr(col.dt, "tz", None) is not None:
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        return pd.Series(col.to_numpy(dtype="datetime64[ns]").astype("int64"), index=col.index)
    return col.astype("int64")


def _seconds(col: pd.Series) -> pd.Series:
    """Spans in seconds (from float seconds or timedeltas)."""
    import pandas as pd

    if pd.api.types.is_timedelta64_dtype(col):
        return col.dt.total_seconds()
    return col.astype("float64")


def _one(segments: Any, conn: int) -> pd.DataFrame:
    df = _frame(segments)
    rows = df[df["conn"] == conn]
    if rows.empty:
        raise ValueError(f"no segment of connection {conn} in the table")
    return rows.sort_values("frame")


def _client(rows: pd.DataFrame) -> tuple[str, int]:
    """The endpoint that sent the first SYN (flags ``S`` alone); else the first sender."""
    syn = rows[rows["flags"].astype(str).str.contains("S") & ~rows["flags"].astype(str).str.contains(r"\.")]
    first = syn.iloc[0] if not syn.empty else rows.iloc[0]
    return str(first["src"]), int(first["sport"])


def _split(rows: pd.DataFrame, direction: Direction | None) -> tuple[pd.DataFrame, pd.DataFrame, Direction]:
    """(segments of the sender, segments of the receiver, direction); by default
    the direction that carried more payload."""
    ip, port = _client(rows)
    from_client = (rows["src"].astype(str) == ip) & (rows["sport"] == port)
    c2s, s2c = rows[from_client], rows[~from_client]
    if direction is None:
        direction = "c2s" if c2s["len"].sum() >= s2c["len"].sum() else "s2c"
    return (c2s, s2c, direction) if direction == "c2s" else (s2c, c2s, direction)


def _labels(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [str(v) for v in value]


def _blocks(options: Any) -> list[tuple[int, int]]:
    """The (relative) SACK blocks of one segment's option list."""
    out: list[tuple[int, int]] = []
    if options is None or (isinstance(options, float) and math.isnan(options)):
        return out
    for opt in options:
        if not isinstance(opt, Mapping) or opt.get("kind") != "sack":
            continue
        blocks = opt.get("blocks")
        for b in [] if blocks is None else blocks:
            edges = list(b.values()) if isinstance(b, Mapping) else list(b)
            out.append((int(edges[0]), int(edges[1])))
    return out


def time_sequence(
    segments: Any,
    conn: int,
    *,
    direction: Direction | None = None,
    between: tuple[float, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The time-sequence graph of one direction of connection ``conn``.

    As Wireshark's Stevens/tcptrace graph: each data segment a vertical bar from
    its first to its last relative sequence number at the time it was captured
    (retransmissions in red), the receiver's cumulative ACK as a step line, the
    right edge of its advertised window (ACK + scaled window) above it, and its
    SACK blocks as purple bars. ``direction`` is ``"c2s"`` (client to server:
    the side that sent the first SYN) or ``"s2c"``; by default the one that
    carried more payload bytes. ``between=(t1, t2)`` (seconds since the
    connection's first segment) zooms in; by default the graph spans the data.
    """
    rows = _one(segments, conn)
    t0 = int(_ns(rows["ts_ns"]).min())
    snd, rcv, direction = _split(rows, direction)
    ax = _axes(ax)

    t = (_ns(snd["ts_ns"]) - t0) / 1e9
    seq = snd["seq"].astype("float64")
    end = seq + snd["len"].astype("float64")
    retx = snd["analysis"].map(lambda a: bool(RETRANSMISSION.intersection(_labels(a)))).astype(bool)
    data = snd["len"] > 0
    ax.vlines(t[data & ~retx], seq[data & ~retx], end[data & ~retx], colors="tab:blue", lw=1.5, label="data", zorder=3)
    if (data & retx).any():
        ax.vlines(t[data & retx], seq[data & retx], end[data & retx], colors="tab:red", lw=2.5, label="retransmission", zorder=4)
    ctl = ~data
    if ctl.any():
        ax.plot(t[ctl], seq[ctl], ls="", marker="|", color="tab:blue", ms=6)

    acks = rcv[rcv["flags"].astype(str).str.contains(r"\.")]
    if not acks.empty:
        ta = (_ns(acks["ts_ns"]) - t0) / 1e9
        ack = acks["ack"].astype("float64")
        ax.step(ta, ack, where="post", color="tab:green", lw=1, label="ACK")
        win = acks["win_scaled"].astype("float64")
        ax.step(ta, ack + win, where="post", color="goldenrod", lw=1, label="advertised window")
        sack_t: list[float] = []
        sack_lo: list[int] = []
        sack_hi: list[int] = []
        for x, opts in zip(ta, acks["options"], strict=True):
            for left, right in _blocks(opts):
                sack_t.append(float(x))
                sack_lo.append(left)
                sack_hi.append(right)
        if sack_t:
            ax.vlines(sack_t, sack_lo, sack_hi, colors="tab:purple", lw=2.5, label="SACK", zorder=3)

    if between is not None or data.any():
        # The graph of the data exchange, not of the idle time around it.
        lo, hi = (float(t[data].min()), float(t[data].max())) if between is None else between
        pad = max((hi - lo) * 0.03, 1e-4)
        ax.set_xlim(lo - pad, hi + pad)
        shown = data & (t >= lo - pad) & (t <= hi + pad)
        if shown.any():
            bottom, top = float(seq[shown].min()), float(end[shown].max())
            margin = max((top - bottom) * 0.05, 1.0)
            ax.set_ylim(bottom - margin, top + margin)
    ax.set_xlabel("time since the connection's first segment (s)")
    ax.set_ylabel("relative sequence number")
    ax.set_title(f"connection {conn}, {direction}: time-sequence graph")
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(True, alpha=0.3)
    return ax


def rtt(segments: Any, conn: int, *, ax: Axes | None = None) -> Axes:
    """Round-trip samples of connection ``conn`` over time.

    Each point is an ACK's ``ack_rtt`` (tshark's ``tcp.analysis.ack_rtt``: from
    the segment it acknowledges to the ACK), at the time of the ACK, one series
    per direction of the data acknowledged, on a logarithmic axis (samples span
    microseconds to seconds).
    """
    rows = _one(segments, conn)
    t0 = int(_ns(rows["ts_ns"]).min())
    ip, port = _client(rows)
    ax = _axes(ax)
    sampled = rows[rows["ack_rtt"].notna()]
    from_server = ~((sampled["src"].astype(str) == ip) & (sampled["sport"] == port))
    for mask, name, colour in ((from_server, "c2s data (ACKed by the server)", "tab:blue"),
                               (~from_server, "s2c data (ACKed by the client)", "tab:orange")):
        part = sampled[mask]
        if part.empty:
            continue
        t = (_ns(part["ts_ns"]) - t0) / 1e9
        ax.plot(t, _seconds(part["ack_rtt"]) * 1e3, ls="", marker=".", color=colour, label=name)
    ax.set_xlabel("time since the connection's first segment (s)")
    ax.set_ylabel("RTT (ms, logarithmic)")
    if not sampled.empty:
        ax.set_yscale("log")
    ax.set_title(f"connection {conn}: RTT samples")
    if not sampled.empty:
        ax.legend(loc="upper left", fontsize="small")
    ax.grid(True, alpha=0.3)
    return ax


def _get(obj: Any, name: str) -> Any:
    """A field of a connection record: a mapping's key or an object's attribute."""
    if isinstance(obj, Mapping):
        return obj[name]
    return getattr(obj, name)


def _seconds_of(v: Any) -> float:
    """A span in seconds: integers are nanoseconds (``Connection`` objects, ``*_ns``
    fields), timedeltas as such, other numbers seconds (``flows --json`` ``*_s``)."""
    if hasattr(v, "total_seconds"):  # datetime.timedelta, pandas.Timedelta
        return float(v.total_seconds())
    if isinstance(v, int):
        return v / 1e9
    return float(v)


def _train_times(train: Any) -> list[float]:
    """Send times of a train in seconds from its first send: from its instants
    (``ts_ns``) or from its offsets (``times_s``)."""
    try:
        instants = [_ns_of(t) for t in _get(train, "ts_ns")]
    except (KeyError, AttributeError):
        return [_seconds_of(v) for v in _get(train, "times_s")]
    return [(t - instants[0]) / 1e9 for t in instants]


def _ns_of(t: Any) -> int:
    """An instant as integer nanoseconds (an int, a pandas Timestamp or a datetime)."""
    if hasattr(t, "value"):  # pandas.Timestamp
        return int(t.value)
    if hasattr(t, "timestamp"):  # datetime.datetime
        return round(float(t.timestamp()) * 1e9)
    return int(t)


def backoff(connection: Any, train: int | None = None, *, ax: Axes | None = None) -> Axes:
    """The spacing of one retransmission train beside exponential backoff.

    ``connection`` is a connection record (a row of ``Analysis.connections`` or
    an object of ``flows --json``); ``train`` indexes its ``trains`` (default:
    the longest). Each bar is the wait before send *k* (time since the previous
    send), on a base-2 logarithmic axis, so a timer that doubles (RFC 6298
    (5.5): "double the value of RTO") climbs in equal steps and a fixed
    interval (SYN retries of some kernels, tail loss probes) stays flat; the
    dashed line doubles from the first wait. The verdict in the title is the
    analysis' own.
    """
    trains: Sequence[Any] = list(_get(connection, "trains") or [])
    if not trains:
        raise ValueError("the connection has no retransmission train")
    if train is None:
        train = max(range(len(trains)), key=lambda i: len(_train_times(trains[i])))
    tr = trains[train]
    times = _train_times(tr)
    waits = [b - a for a, b in zip(times, times[1:], strict=False)]
    if not waits:
        raise ValueError("the train has a single send")
    ax = _axes(ax)
    k = list(range(1, len(times)))
    ax.bar(k, waits, color="tab:red", alpha=0.8, label="wait before this send")
    for x, w in zip(k, waits, strict=True):
        ax.annotate(_span(w), (x, w), ha="center", va="bottom", fontsize="x-small")
    if waits[0] > 0:
        ax.plot(k, [waits[0] * 2 ** (x - 1) for x in k], ls="--", color="grey",
                label=f"doubling from {_span(waits[0])}")
    ax.set_yscale("log", base=2)
    ax.set_xlabel("retransmission (send k; 0 is the original)")
    ax.set_ylabel("wait since the previous send (s, log2)")
    kind, d, verdict = _get(tr, "kind"), _get(tr, "dir"), _get(tr, "verdict")
    ax.set_title(f"connection {_get(connection, 'conn')}: {kind} train {d}, {len(times)} sends, {verdict}")
    ax.set_xticks(k)
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(True, axis="y", alpha=0.3)
    return ax


def _span(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def _state_changes(connection: Any) -> dict[str, list[tuple[str, int]]]:
    raw = _get(connection, "states")
    out: dict[str, list[tuple[str, int]]] = {}
    for side in ("client", "server"):
        changes: Iterable[Any] = (raw[side] if isinstance(raw, Mapping) else getattr(raw, side)) or []
        pairs = []
        for ch in changes:
            pairs.append((str(_get(ch, "state")), _ns_of(_get(ch, "t_ns"))))
        out[side] = pairs
    return out


def states(connection: Any, *, ax: Axes | None = None) -> Axes:
    """The TCP states of both endpoints of a connection over time.

    One lane per endpoint (client: the side that sent the first SYN), each state
    a bar from the segment that entered it to the next change, as the capture
    shows them; a state still held when the capture ends runs to the right edge.
    """
    changes = _state_changes(connection)
    all_t = [t for side in changes.values() for _, t in side]
    if not all_t:
        raise ValueError("the connection has no state change")
    t0, t_end = min(all_t), max(max(all_t), _ns_of(_get(connection, "last_ts_ns")))
    ax = _axes(ax)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    cmap = plt.get_cmap("tab10")
    palette: dict[str, Any] = {}
    gaps = sorted({abs(a - b) for a in all_t + [t_end] for b in all_t + [t_end]} - {0})
    for lane, side in enumerate(("server", "client")):
        seq = changes[side]
        for i, (state, t) in enumerate(seq):
            if i + 1 < len(seq):
                stop = seq[i + 1][1]
            elif state == "CLOSED":
                stop = t
            else:  # still in it when the capture ends: drawn to the right edge
                stop = t0 + round((t_end - t0) * 1.2)
            colour = palette.setdefault(state, cmap(len(palette) % 10))
            ax.barh(lane, max(stop - t, 0) / 1e9, left=(t - t0) / 1e9, height=0.5,
                    color=colour, edgecolor="black", lw=0.5)
            ax.plot([(t - t0) / 1e9], [lane], marker="|", color="black", ms=18)
        if seq:
            ax.annotate(f"last: {seq[-1][0]}", ((t_end - t0) / 1e9, lane + 0.3), ha="right", fontsize="small")
    # Handshakes last microseconds and timeouts seconds: linear near zero up to
    # the smallest gap between two changes, logarithmic beyond.
    ax.set_xscale("symlog", linthresh=max(gaps[0] / 1e9 if gaps else 1e-6, 1e-7))
    ax.set_xlim(0, (t_end - t0) / 1e9 * 1.2 or 1e-6)
    ax.set_yticks([0, 1], ["server", "client"])
    ax.set_ylim(-0.6, 1.6)
    ax.legend(handles=[Patch(color=c, label=n) for n, c in palette.items()], loc="upper center",
              ncols=min(len(palette), 6), fontsize="small", bbox_to_anchor=(0.5, -0.15))
    ax.set_xlabel("time since the first state change (s, linear then logarithmic)")
    ax.set_title(f"connection {_get(connection, 'conn')}: states of both endpoints")
    ax.grid(True, axis="x", alpha=0.3)
    fig = ax.get_figure(root=True)
    if fig is not None:
        fig.tight_layout()
    return ax
