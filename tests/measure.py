"""A command run in a process of its own that measures it: its exit, its output, and the peak RSS of the largest
process of its tree (RUSAGE_CHILDREN: every child it waited for), for tests that bound a command's memory."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MEASURE = """import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
sys.stderr.write("\\nPEAK_RSS_KIB %d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(done.returncode)
"""


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    peak: int  # bytes

    def __repr__(self) -> str:
        return f"exit {self.returncode}, peak {self.peak >> 20} MiB\n{self.stdout}\n{self.stderr[-3000:]}"


def measured(args: list[str], cwd: Path, timeout: float = 600, env: dict | None = None) -> Measured:
    """Run `args` (a command line) and measure it."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})})
    head, _, peak = done.stderr.rpartition("\nPEAK_RSS_KIB ")
    return Measured(done.returncode, done.stdout, head, int(peak) * 1024)
