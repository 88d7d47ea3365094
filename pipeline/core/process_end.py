"""How a process of this package ends once its work is done: the interpreter's own shutdown, without the
native teardown that follows it.

A `ledger` run that had printed its result, or a downloads or mkdocs process that had written every
byte, could still die as it exited: the C library's exit handlers destroy Arrow's C++ thread pool while
one of its threads is still joinable, and ``std::terminate`` aborts the process ("terminate called
without an active exception", exit status 134; apache/arrow#34314). On a loaded host about one fresh
process in a hundred that had read a CSV with Arrow did so (tests/test_file_size_limits.py, 2026-12-07).
A clerk's check of a valid package then failed, and a build whose downloads were complete stopped on its
child's exit status.

``end_process`` does the part of the interpreter's exit that Python code can see — the threads that are
not daemons joined (concurrent.futures' workers told to stop first), then the ``atexit`` functions
(logging's flush, openpyxl's temporary files) — as multiprocessing's own children do before
``os._exit``; it flushes stdout and stderr, and then leaves by ``os._exit``, which runs no C++
destructor.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

FLUSH_FAILED = 120  # the status CPython gives a run whose stdout or stderr could not be flushed at exit


def end_process(code: int) -> NoReturn:
    """End this process with exit status ``code``, once its threads, ``atexit`` functions and output are done."""
    threading._shutdown()  # noqa: SLF001 - what Py_FinalizeEx calls first; multiprocessing's children too
    atexit._run_exitfuncs()  # noqa: SLF001 - the interpreter's next step: each failure is printed, not raised
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (`ledger validate | head`) or a closed stream
            code = code or FLUSH_FAILED
    os._exit(code)


def exit_status(exc: SystemExit) -> int:
    """The status the interpreter would give ``exc``: None 0, an int itself, anything else printed on
    stderr and 1."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1
