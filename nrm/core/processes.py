"""Child processes that never outlive their parent.

``nrm demo`` runs a worker beside the web server, and the production server (``nrm serve
--production``) forks its web workers. Whatever ends the parent (a signal it handles, or SIGKILL,
which it cannot), its children must stop too. On Linux the kernel sends the child a signal when the
parent dies (``prctl(PR_SET_PDEATHSIG)``); elsewhere, and as a second guard, the child watches its
parent's process id and stops when it changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux only).

    Returns whether that was arranged. Call it in the child, as early as possible (``preexec_fn``
    of ``subprocess.Popen``, or right after ``fork``); if the parent is already gone by then, the
    signal is sent at once."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    parent = os.getppid()
    if libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        return False
    if parent == 1 or os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), sig)
    return True


def watch_parent(parent_pid: int, on_gone: Callable[[], None], *, every: float = 1.0) -> threading.Thread:
    """Call ``on_gone`` (once) from a daemon thread when this process's parent is no longer
    ``parent_pid``: it died and this process was handed to another. Works on every system."""

    def watch() -> None:
        stopping = threading.Event()
        while not stopping.wait(every):
            if os.getppid() != parent_pid:
                on_gone()
                return

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def stop_on_signals(handler: Callable[[int], None],
                    signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)) -> None:
    """Route each of ``signals`` to ``handler(signum)`` (main thread only)."""
    for sig in signals:
        signal.signal(sig, lambda signum, _frame: handler(signum))
