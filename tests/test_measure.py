import subprocess
import sys

import numpy as np
import pytest

from assistant.measure import percentile


def test_percentile_is_nearest_rank() -> None:
    assert percentile([5.0, 1.0, 4.0, 2.0, 3.0], 50) == 3.0 and percentile([1.0, 2.0], 100) == 2.0


@pytest.mark.skipif(sys.platform != "linux", reason="/proc")
def test_a_child_process_reports_its_own_peak_not_its_parents() -> None:
    """A bench measures each path in a child process. `ru_maxrss` survives `execve`, so a child started while
    the parent held a large model reported the parent's size; the kernel's high-water mark does not."""
    block = np.ones(400 * 1024 * 1024 // 8)  # 400 MiB held by the parent while the child starts
    code = "from assistant.measure import peak_rss_mib; print(round(peak_rss_mib()))"
    child = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    del block
    assert child < 300, child  # a Python process that imported numpy and psutil
