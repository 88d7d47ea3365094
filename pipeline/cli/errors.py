"""How `ledger` fails: exit-code exceptions and the one-line Chinese messages for a full disk, a folder
that may not be written, or a data package the validator could not read (the exit-code table is in
pipeline/cli/__init__.py and the README)."""

from __future__ import annotations

import errno
from pathlib import Path

import click

class InvalidDataExit(click.ClickException):
    exit_code = 1


class Refusal(click.ClickException):
    """Exit 2: the command refused, or the machine stopped it (full disk, no permission); nothing was changed."""

    exit_code = 2


def one_line(text: object) -> str:
    return " ".join(str(text).split())


def debug_hint(command: str | None = None) -> str:
    """Where the details are: the same command again with --debug."""
    if command is None:
        ctx = click.get_current_context(silent=True)
        command = ctx.info_name if ctx is not None and ctx.parent is not None else None
    return f"详情请运行 ledger --debug {command + ' ' if command else ''}…"


def fault_text(exc: BaseException) -> str | None:
    """A full disk or a folder the command may not write, in one Chinese sentence; None for anything else."""
    if not isinstance(exc, OSError):
        return None
    where = exc.filename if exc.filename is not None else "目标文件夹"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"磁盘空间不足，无法写入 {where}：请腾出空间后重试"
    if exc.errno == errno.EROFS:
        return f"{where} 在只读的磁盘上，无法写入：请换一个可写的文件夹"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"没有权限读写 {where}：请检查文件夹权限或换一个文件夹"
    return None


def is_debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and (ctx.find_object(dict) or {}).get("debug"))


def unreadable(exc: Exception, data_dir: Path, command: str) -> click.ClickException:
    """The validator stopped on a data package it could not read (in practice a malformed descriptor): exit 1."""
    if fault_text(exc):
        return fault(exc, "")
    return InvalidDataExit(f"无法校验 {data_dir}：数据包不符合数据标准（多半是 datapackage.json 的结构有误："
                           f"{exc.__class__.__name__}: {one_line(exc)}），没有发布任何内容；"
                           f"请对照 pipeline/standard.json 修正，{debug_hint(command)}")


def fault(exc: Exception, context: str) -> Refusal:
    """A full disk or a folder that may not be written, as a one-line message (exit 2)."""
    return Refusal(f"{context}{fault_text(exc)}。{debug_hint()}")
