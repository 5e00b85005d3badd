"""Runs a server command with this process's stdio and, once it has exited, writes its peak
resident set size (kB, from getrusage of the waited-for child) to the file named first.

    python bench/peak_rss.py OUT -- command args...
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys


def main() -> int:
    out, command = sys.argv[1], sys.argv[sys.argv.index("--") + 1 :]
    child = subprocess.Popen(command)
    # The MCP client ends the server by closing stdin, then SIGTERM: pass it on, keep the figure.
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    code = child.wait()
    with open(out, "w") as handle:
        handle.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
