"""A watcher that removes a run's scratch folder when the run's process dies, even by ``kill -9``.

In:  the folder (a run's scratch folder). Out: nothing; the folder is gone once the run is.

``workdir.scratch`` removes its folder on every exit the run sees, and the next run removes one
a killed run left. A Spark run (``engines.spark.publish``) writes a run folder of Parquet files that can be
large, and a killed run must leave none behind: ``watch`` starts this file as its own small
process, in its own session (a ``kill`` of the run's process group does not reach it), holding
the read end of a pipe whose write end only the run holds. When the run ends, however it ends,
the pipe closes; the watcher then removes the folder (unless the run said it ended its own way),
again for a short while: the JVM the run started may still be writing when the run itself has
died. The pipe closes only when the run's process has exited (the kernel closes a dead process's
files), so no process id is polled. It imports nothing of ferry: it is started by file path.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

#: How long the watcher keeps removing the folder after the run died (a JVM's last writes).
SETTLE_SECONDS = 20.0
#: What the run writes before it closes the pipe when it ends its own way (a later run in the same
#: process reuses the folder's name: the watcher must not touch it then).
DONE = b"done"


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.parent.rmdir()  # the scratch root, only when empty: another run may be using it


def reap(folder: Path) -> None:
    """Read stdin to its end; without the run's ``DONE`` there (it died), remove ``folder``."""
    said = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(0, 4096):
            said += chunk
    if said == DONE or not folder.exists():
        return  # the run ended its own way (its scratch folder removed itself), or the folder is gone
    until = time.monotonic() + SETTLE_SECONDS
    while True:
        _remove(folder)
        if time.monotonic() > until:
            break
        time.sleep(1.0)


@contextlib.contextmanager
def watch(folder: Path) -> Iterator[None]:
    """Inside: a watcher removes ``folder`` if this process dies without removing it itself."""
    read, write = os.pipe()  # not inheritable: the JVM and other children do not hold the write end
    watcher = None
    try:
        watcher = subprocess.Popen([sys.executable, "-S", str(Path(__file__).resolve()), str(folder)],
                         stdin=read, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                         close_fds=True)
    except OSError:  # no watcher: the next run still removes what a killed one left
        os.close(write)
        write = -1
    finally:
        os.close(read)
    try:
        yield
    finally:
        if write >= 0:
            with contextlib.suppress(OSError):
                os.write(write, DONE)
            os.close(write)
        if watcher is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                watcher.wait(timeout=10)  # it ends on reading DONE


if __name__ == "__main__":
    reap(Path(sys.argv[1]))
