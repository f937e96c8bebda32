"""One measured child process: wall time and peak resident memory.

In:  a command (argv list), the folder to run it in, an optional environment.
Out: ``Measured(seconds, peak_gib, cpu_seconds)``.

The peak is the child's ``ru_maxrss`` as ``os.wait4`` reports it. On Linux that
is the larger of the child's own peak and the peaks of the processes it started
and waited for (the kernel folds a reaped child's peak into its parent's), so a
worker pool counts as its largest member, not as the sum of the members that
were alive at once. The figure is in KiB on Linux; it is reported in GiB.

``cpu_seconds`` (user + system, the same process tree) is reported beside the wall time: on a
shared machine a single-threaded script waits for a core far more than it computes, and the CPU
time shows how much of a wall-time ratio is work and how much is waiting.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_KIB_PER_GIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Measured:
    seconds: float
    peak_gib: float
    cpu_seconds: float


def measure(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd`` to its end (its output discarded, errors shown) and return its wall time and peak RSS.

    A non-zero exit raises ``subprocess.CalledProcessError``: a failed run has no time."""
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, cmd)
    return Measured(seconds, usage.ru_maxrss / _KIB_PER_GIB, usage.ru_utime + usage.ru_stime)
