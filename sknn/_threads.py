"""How many threads torch uses for sknn's work.

torch runs each operation on its whole thread pool. On the small networks and
batches most scikit-learn users fit, an operation takes microseconds, and sharing
it out costs more than it saves; when another process holds a core (a browser, a
notebook, the other workers of a ``GridSearchCV``), every parallel region also waits
for a thread that is not scheduled, and a step takes several times longer. So sknn
trains and predicts on one thread when a forward pass over one batch is below
:data:`SINGLE_THREAD_BELOW` multiply-adds, and otherwise keeps torch's setting,
capped at the cores this process may run on.

sknn only ever lowers the number of threads, so a limit set by the user or the
caller (``torch.set_num_threads``, ``OMP_NUM_THREADS``, joblib's limits in
``GridSearchCV`` workers) holds. The setting is torch's and global: it is changed
while sknn works and put back when the last concurrent sknn call returns.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

# Measured on 2 CPU cores (x86_64), one training epoch of ReLU networks: two
# threads start to pay at about 2 to 3 million multiply-adds per batch on a quiet
# machine ((256,) hidden units, 50 features, batch 256: 0.029 s against 0.035 s on
# one thread; (128,), batch 256: 0.025 s against 0.024 s); below, one thread is as
# fast or faster, and two to three times faster when another process keeps a core
# busy.
SINGLE_THREAD_BELOW = 2_500_000

# With OpenMP (torch's usual backend) the setting is each OS thread's own: a thread
# that lowers it must put it back itself. Other backends share one setting.
_PER_THREAD = "OpenMP" in torch.__config__.parallel_info()
_lock = threading.Lock()
_shared = {"active": 0, "saved": None}  # sknn calls under a limit, setting before
_local = threading.local()


def available_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_for(multiply_adds: int) -> int:
    """The threads for work whose forward pass over a batch takes
    ``multiply_adds``: 1 below :data:`SINGLE_THREAD_BELOW`, else torch's setting
    capped at the available cores."""
    if multiply_adds < SINGLE_THREAD_BELOW:
        return 1
    return most_threads()


def most_threads() -> int:
    """torch's setting capped at the available cores: the most threads sknn uses."""
    return max(1, min(torch.get_num_threads(), available_cores()))


@contextmanager
def limit_threads(threads: int) -> Iterator[None]:
    """Run the block with torch on at most ``threads`` threads, and put torch's
    setting back when the last block running under a limit ends: the last in this
    thread where the setting is each thread's own (OpenMP), else the last of all
    (blocks may run in several threads at once)."""
    state = _local.__dict__ if _PER_THREAD else _shared
    state.setdefault("active", 0)
    if threads >= torch.get_num_threads() and not state["active"]:
        yield
        return
    entered = False
    found = None
    try:
        with _lock:
            found = torch.get_num_threads()
            if state["active"] == 0:
                state["saved"] = found
            state["active"] += 1
            entered = True
            if threads < torch.get_num_threads():
                torch.set_num_threads(threads)
        yield
    finally:
        if entered:
            with _lock:
                state["active"] -= 1
                if state["active"] == 0:
                    torch.set_num_threads(state["saved"])
                    state["saved"] = None
                elif _PER_THREAD and torch.get_num_threads() != found:
                    # a block within another in this thread: put back what it found
                    torch.set_num_threads(found)
