"""What tests only read, made once for all pytest-xdist workers: a server, or a crawl that many tests inspect.

The first worker to ask makes it under a file lock and writes down how to reach it (a small JSON document); the
others read that. Every worker that used it says so, and the last one to finish stops it. A worker that asks after
it was stopped makes it again: slower, never wrong. Without xdist the same code runs in the one process.

A state that lists the processes it started under "pids" is also stopped at the very end of the run by
`stop_leftovers`, should a worker have died or been interrupted before it could stop them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock


def stop_leftovers(root: Path) -> None:
    """Stop the processes of every state still written down: its users are gone."""
    from tests.replica_process import stop_pid

    for state_file in root.glob("*.json"):
        try:
            state = json.loads(state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for pid in state.get("pids", []) if isinstance(state, dict) else []:
            stop_pid(pid)
        state_file.unlink(missing_ok=True)


def shared_root(tmp_path_factory) -> Path:
    """The folder all workers of this run see: xdist gives each worker a base folder inside a common one."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def shared(tmp_path_factory, name: str, make: Callable[[Path], dict],
           stop: Callable[[dict], None] | None = None) -> Iterator[dict]:
    """Yield the state `make(folder)` returned, made once for the whole run; `stop(state)` after the last user."""
    root = shared_root(tmp_path_factory)
    lock, state_file, users_file = (root / f"{name}.lock", root / f"{name}.json", root / f"{name}.users")
    with FileLock(lock):
        if state_file.exists():
            state = json.loads(state_file.read_text(encoding="utf-8"))
        else:
            state = make(Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root)))
            state_file.write_text(json.dumps(state), encoding="utf-8")
        users = int(users_file.read_text() or 0) if users_file.exists() else 0
        users_file.write_text(str(users + 1))
    try:
        yield state
    finally:
        with FileLock(lock):
            users = int(users_file.read_text() or 1) - 1
            users_file.write_text(str(users))
            if users <= 0:
                state_file.unlink(missing_ok=True)
                if stop is not None:
                    stop(state)
