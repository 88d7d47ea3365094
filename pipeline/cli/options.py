"""Options and helpers every `ledger` command shares: --data, --no-cache, --debug after the command name."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click

from pipeline.core import findings as fd

DEFAULT_DATA = Path("data")


DEFAULT_OUT = Path("public")


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(dict)["debug"] = True
    return value


DEBUG_HELP = "出错时显示完整的 Python 调用栈（放在命令名之前或之后都可以）。"


class LedgerGroup(click.Group):
    """Every command also takes --debug after its name: `ledger build --debug` as `ledger --debug build`."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(param.name == "debug" for param in cmd.params):
            cmd.params.append(click.Option(["--debug"], is_flag=True, expose_value=False, callback=_set_debug,
                                           help=DEBUG_HELP))
        super().add_command(cmd, name)


def cache_option(fn):
    return click.option("--no-cache", is_flag=True,
                        help="不使用缓存，全部重新校验（缓存目录：用户缓存文件夹中的 sunshine-ledger/cache，或环境变量 LEDGER_CACHE_DIR）。")(fn)


def make_cache(no_cache: bool):
    from pipeline.core.cache import FileCache

    return FileCache(None) if no_cache else FileCache.from_env()


def package_with(data_dir: Path, resource: str):
    """The data package in ``data_dir``, which must have ``resource``; usage errors otherwise."""
    from pipeline.core.package import PackageError, load

    try:
        package = load(data_dir)
    except PackageError as exc:
        click.echo(fd.to_text(fd.Report.of(exc.findings)), err=True, nl=False)
        raise click.UsageError(f"无法读取 {data_dir}/datapackage.json") from None
    if resource not in package.resource_names:
        raise click.BadParameter(f"没有名为 {resource!r} 的资源；可选：{', '.join(package.resource_names)}",
                                 param_hint="--resource")
    return package


def data_option(fn):
    return click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DATA,
                        show_default=True, help="数据包所在的文件夹（含 datapackage.json）。")(fn)


@contextlib.contextmanager
def holding(data_dir: Path) -> Iterator[None]:
    """The data package held while a command changes it (pipeline/core/lock_file.py); exit 2 when another
    command is changing it."""
    from pipeline.cli.errors import Refusal
    from pipeline.core.lock_file import DataLocked, data_package

    try:
        with data_package(data_dir):
            yield
    except DataLocked as exc:
        raise Refusal(str(exc)) from None


def writable_under(path: Path, option: str, folder: bool = False) -> None:
    """Exit 2 before any work when the folder of the file ``path`` (or the folder ``path`` itself) cannot
    be made: a file stands in its way (``--out 台账.xlsx/x.csv``); the commands make a missing folder."""
    from pipeline.cli.errors import Refusal
    from pipeline.core.folders import ThroughAFile, check_writable_under

    try:
        check_writable_under(path if folder else path.parent, path)
    except ThroughAFile as exc:
        raise Refusal(exc.zh(option) + f" Refused: {exc.blocking} is a file, not a folder; nothing was changed.") from None
