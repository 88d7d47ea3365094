"""A finished run keeps its exit status when native teardown aborts at exit (pipeline.core.process_end).

Arrow's C++ thread pool can abort a process in the C library's exit handlers after all its work is
done ("terminate called without an active exception", apache/arrow#34314): about one fresh process in
a hundred on a loaded host. These tests stand in for it with a native exit handler that always aborts,
registered in the process under test (``ABORT_AT_EXIT``) or, through a ``sitecustomize`` on
PYTHONPATH, in every process a build starts. A plain interpreter exit then dies by SIGABRT (the first
test: the stand-in does fail what it should), and a `ledger` run must still end with its own status and
all of its output.
"""

from __future__ import annotations

import importlib.metadata
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from pipeline import build as build_module
from pipeline.build import BuildConfig, build
from pipeline.core.process_end import FLUSH_FAILED, exit_status
from tests.test_validate import edit_cell

ABORT_AT_EXIT = textwrap.dedent("""\
    import ctypes
    libc = ctypes.CDLL(None)
    libc.__cxa_atexit(ctypes.cast(libc.abort, ctypes.c_void_p), None, None)
    """)
VALID = "数据有效，可以发布：0 个错误，0 个警告。 (valid: 0 errors, 0 warnings)\n"


def run_python(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter, its output buffered as a console script's is into a pipe."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def ledger_with_aborting_teardown(*args: str) -> subprocess.CompletedProcess:
    """``python -m pipeline ARGS`` in a process whose native exit handlers abort."""
    return run_python(ABORT_AT_EXIT + textwrap.dedent(f"""\
        import runpy, sys
        sys.argv = ["ledger", *{list(args)!r}]
        runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
        """))


def test_the_stand_in_aborts_a_plain_exit():
    result = run_python(ABORT_AT_EXIT + "print('done')")
    assert (result.returncode, result.stdout) == (-signal.SIGABRT, "done\n")


def test_a_valid_package_ends_with_status_0(tiny):
    result = ledger_with_aborting_teardown("validate", "--data", str(tiny))
    assert (result.returncode, result.stdout, result.stderr) == (0, VALID, "")


def test_an_invalid_package_ends_with_status_1_and_every_finding(tiny):
    edit_cell(tiny, "surveys.csv", 2, "satisfied", "2e1")
    result = ledger_with_aborting_teardown("validate", "--data", str(tiny))
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout == (
        "[错误] surveys.csv，第 2 行，字段 satisfied（满意） [type-error]\n"
        "  字段 satisfied 的值“2e1”不是合法的整数。\n"
        "  修改方法：填写不带小数点、不带单位的整数，例如 12。\n"
        "  (The value '2e1' of field satisfied is not a valid integer. Fix: Write a whole number without unit, e.g. 12.)\n"
        "数据无效，不能发布：1 个错误，0 个警告。 (invalid: 1 errors, 0 warnings)\n")


def test_a_usage_error_ends_with_status_2():
    result = ledger_with_aborting_teardown("validate", "--no-such-option")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.endswith("Error: No such option '--no-such-option'.\n")


def test_the_ledger_command_is_the_entry_that_ends_the_process():
    (script,) = [e for e in importlib.metadata.entry_points(group="console_scripts") if e.name == "ledger"]
    assert script.value == "pipeline.cli:entry"


def test_a_build_whose_every_process_would_abort_at_exit_publishes(tiny, tmp_path, monkeypatch):
    """The downloads' process and mkdocs' process (made to run apart) each carry the aborting handler."""
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "sitecustomize.py").write_text(ABORT_AT_EXIT, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(custom))
    monkeypatch.setattr(build_module, "MKDOCS_APART_ISSUES", 0)
    probe = run_python("print('started')")
    assert probe.returncode == -signal.SIGABRT  # the children's interpreter does pick the handler up
    build(BuildConfig(data=tiny, out=tmp_path / "public"))
    assert (tmp_path / "public" / "index.html").is_file()
    assert (tmp_path / "public" / "downloads" / "SHA256SUMS").is_file()


# --- end_process itself ------------------------------------------------------------------------------------

def end_in_a_process(body: str) -> subprocess.CompletedProcess:
    return run_python(ABORT_AT_EXIT + "from pipeline.core.process_end import end_process\n" + textwrap.dedent(body))


def test_output_without_a_newline_is_flushed():
    result = end_in_a_process("""\
        import sys
        sys.stdout.write("结果")
        sys.stderr.write("warning")
        end_process(3)
        """)
    assert (result.returncode, result.stdout, result.stderr) == (3, "结果", "warning")


def test_a_thread_that_is_not_a_daemon_finishes_first(tmp_path):
    target = tmp_path / "written.txt"
    result = end_in_a_process(f"""\
        import threading, time
        from pathlib import Path
        def write():
            time.sleep(0.3)
            Path({str(target)!r}).write_text("whole", encoding="utf-8")
        threading.Thread(target=write).start()
        end_process(0)
        """)
    assert result.returncode == 0, result.stderr
    assert target.read_text(encoding="utf-8") == "whole"


def test_atexit_functions_run_and_an_idle_executor_does_not_hold_the_exit():
    result = end_in_a_process("""\
        import atexit
        from concurrent.futures import ThreadPoolExecutor
        pool = ThreadPoolExecutor(2)
        pool.submit(print, "task", flush=True).result()
        atexit.register(print, "atexit ran")
        end_process(0)
        """)
    assert (result.returncode, result.stdout) == (0, "task\natexit ran\n"), result.stderr


def test_output_that_cannot_be_flushed_fails_the_run():
    result = end_in_a_process("""\
        import os, sys
        read, write = os.pipe()
        os.close(read)  # a reader that has gone: `ledger validate | head -c 0`
        sys.stdout = os.fdopen(write, "w")
        sys.stdout.write("lost")
        end_process(0)
        """)
    assert result.returncode == FLUSH_FAILED, result.stderr


@pytest.mark.parametrize("code, status, printed", [(None, 0, ""), (0, 0, ""), (2, 2, ""), (130, 130, ""),
                                                   ("出错了", 1, "出错了\n")])
def test_exit_status_is_the_interpreters(capsys, code, status, printed):
    assert exit_status(SystemExit(code)) == status
    assert capsys.readouterr().err == printed

