"""What the benchmark scripts share."""
import os
import sys


def warn_if_busy():
    """PyTorch's thread pool waits for every thread at each op: one core taken by another
    process (a TUI left running, a build) makes its figures 10-100x worse, effprof's far less."""
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    if load > 0.5 * cores:
        print(f"warning: load average {load:.1f} on {cores} cores; the figures below compare "
              "nothing unless the machine is otherwise idle", file=sys.stderr, flush=True)
