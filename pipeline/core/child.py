"""A module of this package run as a process of its own (``python -m``), its job given as JSON on stdin.

The build runs two such processes beside its own: the downloads' writer and, for a large package,
mkdocs. Both must run the very code of the build that starts them, wherever it is installed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent  # the folder `import pipeline` needs


def start_module(module: str, job: dict) -> subprocess.Popen:
    """``python -m module``, its stdin given ``job`` as JSON and closed, its stdout and stderr piped."""
    # PYTHONPATH too: with PYTHONSAFEPATH set, `-m` does not look in the working folder.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(PACKAGE_PARENT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))}
    # Started in the folder that holds this package: `-m` looks in the working folder first, and a
    # folder named pipeline/ where the build was started must not stand in for the code that runs.
    process = subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, cwd=PACKAGE_PARENT)
    try:  # the process reads its whole job before it does anything else
        process.stdin.write(json.dumps(job, ensure_ascii=False).encode("utf-8"))
        process.stdin.close()
    except OSError:
        pass  # it ended already: its exit status says why
    process.stdin = None  # written and closed: communicate() then only reads
    return process


def read_job() -> dict:
    """The child's side: its job, as ``start_module`` wrote it."""
    return json.loads(sys.stdin.buffer.read().decode("utf-8"))


def how_it_ended(returncode: int) -> tuple[str, str]:
    """How a failed child ended, in Chinese and in English, for the BuildError that says so: its exit
    status, or the signal that killed it. A process the kernel kills for want of memory (SIGKILL) leaves
    nothing on stderr, so this is all its failure can say."""
    if returncode >= 0:
        return f"（退出码 {returncode}）", f"(exit status {returncode})"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    if -returncode == signal.SIGKILL:
        return f"（被信号 {name} 终止，常因内存不足）", f"(killed by {name}, often for want of memory)"
    return f"（被信号 {name} 终止）", f"(killed by {name})"


def last_lines(err: bytes, count: int = 5) -> str:
    """The end of a failed child's stderr, on one line: what a BuildError says of why it failed."""
    return " | ".join(err.decode("utf-8", "replace").strip().splitlines()[-count:])
