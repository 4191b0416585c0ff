"""What the evaluation, the benchmarks and the load test measure with: one percentile, one memory unit (MiB)."""

from __future__ import annotations

import math
import resource
import sys
from collections.abc import Sequence
from pathlib import Path

import psutil

MIB = 1024 * 1024  # bytes in a mebibyte: every memory figure is in MiB


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100): the smallest value with at least p % of the values at or below it,
    always one of the values measured; None for no values.

    >>> percentile([4.0, 1.0, 3.0, 2.0], 50), percentile([4.0, 1.0, 3.0, 2.0], 95), percentile([], 50)
    (2.0, 4.0, None)
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB.

    On Linux it is the kernel's high-water mark (`VmHWM`), which a forked child starts afresh; `ru_maxrss`
    would report the parent's peak in a child forked after a large allocation (a bench's model conversion)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS, KiB elsewhere
    return maxrss / MIB if sys.platform == "darwin" else maxrss / 1024


def rss_mib(pid: int) -> float:
    """Current resident set size of a process (e.g. a server subprocess), in MiB."""
    return float(psutil.Process(pid).memory_info().rss) / MIB
