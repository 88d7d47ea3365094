"""`ledger`: the command line of Sunshine Ledger.

Exit codes (the same table is in `ledger --help` and the README):
0 ok (warnings allowed); 1 invalid data, nothing published; 2 usage error or
refused (a wrong option, an --out folder that is not ours, another build
running, a full disk, no permission to write); 3 internal error (a bug);
130 cancelled (Ctrl+C).
A traceback is shown only with --debug (before or after the command name);
every other failure is a one-line message that says what to do next.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import NoReturn

import click

from pipeline.cli.errors import InvalidDataExit, Refusal, debug_hint, fault, fault_text, is_debug, one_line, unreadable
from pipeline.cli.options import (DEBUG_HELP, DEFAULT_DATA, DEFAULT_OUT, LedgerGroup, cache_option, data_option,
                                  holding, make_cache, package_with, writable_under)
from pipeline.core import findings as fd
from pipeline.core.process_end import end_process, exit_status


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help=DEBUG_HELP)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """阳光台账：校验、统计并发布基层治理改革数据。

    Sunshine Ledger: validate, aggregate and publish grassroots-governance data.

    \b
    退出码 / Exit codes:
      0    成功（可有警告） ok, warnings allowed
      1    数据无效，没有发布 invalid data, nothing published
      2    用法错误或拒绝执行（--out 不是本程序生成的网站、另一个构建正在运行、磁盘已满、没有写入权限）
           usage error or refused; nothing was changed
      3    内部错误（程序缺陷，请加 --debug 重新运行并报告） internal error
      130  已取消（Ctrl+C） cancelled

    \b
    例 / Example:
      ledger validate
      ledger build --out public
    """
    ctx.ensure_object(dict)["debug"] = debug


@cli.command()
@data_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="text 给人看，json 给程序用，markdown 用于拉取请求评论。")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="把报告写入文件，而不是打印。")
@click.option("--engine", type=click.Choice(["fast", "frictionless"]), default="fast", show_default=True,
              help="结构校验引擎：fast（向量化，默认）或 frictionless（参照实现）；两者报告相同的问题。")
@cache_option
def validate(data_dir: Path, fmt: str, output: Path | None, engine: str, no_cache: bool) -> None:
    """校验数据包：格式、取值、引用、跨字段规则和个人信息。

    Validate the data package. Exit 0 when valid (warnings allowed), 1 when invalid.

    \b
    例 / Example:
      ledger validate --data data --format json
    """
    from pipeline.core.memory import use_steady_pool
    from pipeline.validate import validate as run

    use_steady_pool()
    if output is not None and _inside(output, data_dir):
        raise Refusal(f"--output {output} 在数据文件夹 {data_dir} 里：报告不能写进数据包（会覆盖或混入数据文件）。"
                      f"请写到数据文件夹之外，例如 --output 校验报告.json。没有改动任何文件。"
                      f" Refused: the report may not be written inside the data folder.")
    if output is not None:
        writable_under(output, "--output")
    try:
        report, _ = run(data_dir, engine=engine, cache=make_cache(no_cache), ledger_needed=False)
    except Exception as exc:
        if is_debug():
            raise
        raise unreadable(exc, data_dir, "validate") from None
    text = {"text": fd.to_text, "json": fd.to_json, "markdown": fd.to_markdown}[fmt](report)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)  # as import and template make theirs
        output.write_text(text, encoding="utf-8")
        click.echo(fd.summary_line(report))
    else:
        click.echo(text, nl=False)
    sys.exit(0 if report.valid else 1)


def _inside(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or below it (links resolved: a report must not reach the data through one)."""
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


@cli.command()
@data_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True,
              help="网站输出文件夹；只在全部步骤成功后才替换。只替换本程序生成的网站（内有 .sunshine-ledger-site "
                   "标记文件）、空文件夹或不存在的文件夹，其他一律拒绝（退出码 2）。")
@cache_option
def build(data_dir: Path, out_dir: Path, no_cache: bool) -> None:
    """校验数据并生成网站；任何一步失败，原有网站保持不变。

    Validate, aggregate, render and build the site into --out (atomically). --out must be missing,
    empty or a site built by ledger (it holds the marker file .sunshine-ledger-site); anything else is
    refused with exit 2 and left untouched. A second build into the same --out stops at once (exit 2).

    \b
    例 / Example:
      ledger build --data data --out public
    """
    from pipeline.build import BuildConfig, BuildError, InvalidData, Refused
    from pipeline.build import build as run
    from pipeline.core.memory import use_steady_pool

    use_steady_pool()
    try:
        result = run(BuildConfig(data=data_dir.resolve(), out=out_dir.resolve(), cache=make_cache(no_cache)))
    except InvalidData as exc:
        click.echo(fd.to_text(exc.report), err=True, nl=False)
        raise InvalidDataExit("数据无效，网站没有更新。Invalid data: the site was not updated.") from None
    except Refused as exc:
        raise Refusal(one_line(exc)) from None
    except BuildError as exc:
        raise click.ClickException(f"生成失败，原有网站保持不变：{one_line(exc)}") from None
    except Exception as exc:
        validating = getattr(exc, "ledger_stage", None) == "validate"
        if is_debug() or not (validating or fault_text(exc)):
            raise
        raise unreadable(exc, data_dir, "build") if validating else fault(exc, "生成失败，原有网站保持不变：") from None
    if result.report.warnings:
        click.echo(fd.to_text(fd.Report(result.report.warnings)), err=True, nl=False)
    click.echo(f"已生成 {result.pages} 个页面到 {out_dir}（{result.seconds:.1f} 秒）。"
               f" Built {result.pages} pages into {out_dir} in {result.seconds:.1f} s.")


@cli.command()
@data_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT, show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="本机预览用的端口（1–65535）；被占用时换一个，例如 --port 8001。")
@click.option("--watch/--no-watch", default=True, show_default=True, help="数据或页面源文件改变时自动重新生成。")
def serve(data_dir: Path, out_dir: Path, port: int, watch: bool) -> None:
    """生成网站并在本机 127.0.0.1 上预览。

    Build, then serve the site on 127.0.0.1 and rebuild when data/ or site/ change.

    \b
    例 / Example:
      ledger serve --port 8000
    """
    from pipeline.build import Refused
    from pipeline.core.memory import use_steady_pool
    from pipeline.serve import serve_site

    use_steady_pool()
    try:
        serve_site(data_dir.resolve(), out_dir.resolve(), port=port, watch=watch)
    except Refused as exc:
        raise Refusal(one_line(exc)) from None


def _id_list(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """--remove/--new-id may repeat, and each may hold a list: "Q-1,Q-2" or "Q-1 Q-2"."""
    return tuple(part for value in values for part in value.replace("，", ",").replace(",", " ").split())


@cli.command(name="import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--resource", required=True, help="资源名，例如 issues、meetings。")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DATA,
              show_default=True, help="数据包所在的文件夹（读取字段定义，以及把部门、区划的名称换成代码）。")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写出的标准 CSV；省略时打印到屏幕。文件已存在时合并：原有的行保持原样和顺序，"
                   "新编号的行加在末尾；会修改已有记录时先列出每条记录改动的字段，不写文件。")
@click.option("--replace", is_flag=True,
              help="确认修改已有记录：导入表格中与 --out 文件编号相同而内容不同的记录，用表格中的内容替换"
                   "（只替换这些记录，其他记录一个字节也不变）。")
@click.option("--remove", "remove", multiple=True, callback=_id_list, metavar="ID",
              help="从 --out 文件中删除这条记录（可重复，或用逗号隔开多个编号；复合主键用“|”连接各项）。"
                   "删除只能这样明确指定，导入本身从不删除记录。")
@click.option("--new-id", "new_ids", multiple=True, callback=_id_list, metavar="ID",
              help="确认这个编号是新记录：编号与已有编号只差大小写、开头补零或一个字符时，导入会当作笔误拒绝，"
                   "确认不是笔误时用此项放行（可重复，或用逗号隔开）。改正编号的笔误则用 --remove 删除旧编号。")
def import_(source: Path, resource: str, data_dir: Path, out_path: Path | None, replace: bool,
            remove: tuple[str, ...], new_ids: tuple[str, ...]) -> None:
    """把 Excel 或 CSV（含 GBK、中文表头、中文取值）转换为标准 CSV。

    Convert an Excel/CSV export into the canonical CSV of a resource, or say row by row why not.
    Onto an existing --out file the rows are merged by primary key: new ids are appended; an existing
    record the sheet changes is listed field by field (old → new) and written only with --replace;
    a new id close to an existing one is refused as a likely typo unless named by --new-id; a record
    is removed only by --remove. Nothing else in the file changes by a byte.

    \b
    例 / Example:
      ledger import 问题台账.xlsx --resource issues --out data/issues/2026.csv
      ledger import 问题台账.xlsx --resource issues --out data/issues/2026.csv --replace
      ledger import 问题台账.xlsx --resource issues --out data/issues/2026.csv --remove Q-2026-1901
    """
    if out_path is None and (replace or remove):
        raise click.UsageError(f"{'--replace' if replace else '--remove'} 只能与 --out 一起使用。"
                               f"{'--replace' if replace else '--remove'} needs --out.")
    if remove and not out_path.exists():
        raise click.UsageError(f"--remove：{out_path} 不存在，没有可删除的记录。")
    if out_path is not None:
        writable_under(out_path, "--out")
    # From reading the file it merges onto to writing (and splitting) it, no other import or split
    # changes the package: two imports into one file would otherwise both read the old rows, and the
    # second would write over the rows the first added.
    with holding(data_dir) if out_path is not None else contextlib.nullcontext():
        _import(source, resource, data_dir, out_path, replace, remove, new_ids)


def _import(source: Path, resource: str, data_dir: Path, out_path: Path | None, replace: bool,
            remove: tuple[str, ...], new_ids: tuple[str, ...]) -> None:
    from pipeline.contribute import placement
    from pipeline.contribute.importer import ImportFailed, import_table
    from pipeline.contribute.merge import RemoveRefused, describe_changes, merge, typo_findings
    from pipeline.core.layout import LayoutError
    from pipeline.validate import personal_values_masked

    package = package_with(data_dir, resource)
    key = package.resource(resource)["schema"].get("primaryKey") or [f["name"] for f in package.fields(resource)]
    key = [key] if isinstance(key, str) else key
    try:
        table = import_table(source, package, resource)
        if out_path is not None and (refused := placement.refusal(package, resource, out_path, table)
                                     or placement.unlisted(package, resource, out_path)):
            raise Refusal(f"没有写出任何文件：{refused}。")
        merged = None
        if out_path is not None and out_path.exists():
            merged = merge(out_path.read_bytes(), table, key, path=str(out_path), source=source.name,
                           resource=resource, remove=[tuple(value.split("|")) for value in remove])
            typos = typo_findings(merged, table, resource, set(new_ids))
            if typos:
                click.echo(fd.to_text(fd.Report.of(personal_values_masked(
                    fd.with_field_titles(typos, package.descriptor, resource)))),
                           err=True, nl=False)
                raise InvalidDataExit(f"没有写出任何文件：{source} 中有 {len(typos)} 个编号疑似已有编号的笔误"
                                      "（见上）。Nothing was written: likely typos of existing ids.")
    except ImportFailed as exc:
        click.echo(fd.to_text(fd.Report.of(personal_values_masked(
            fd.with_field_titles(exc.findings, package.descriptor, resource)))), err=True, nl=False)
        raise InvalidDataExit(f"没有写出任何文件：{source} 中有无法转换的内容。Nothing was written.") from None
    except RemoveRefused as exc:
        raise Refusal(f"没有写出任何文件：{exc}。") from None
    if table.sheet is not None:
        click.echo(f"读取的是工作表“{table.sheet}”。Read the sheet '{table.sheet}'.", err=True)
    for note in table.notes:
        click.echo(note, err=True)
    if out_path is None:
        click.echo(table.csv(), nl=False)
        return
    if merged and merged.changes:
        click.echo(describe_changes(merged, package.fields(resource), out_path, source.name), err=True, nl=False)
        if not replace:
            raise InvalidDataExit(f"没有写出任何文件：导入会修改上面列出的 {len(merged.changes)} 条已有记录；"
                                  "确认无误后加 --replace 重新运行。Nothing was written: add --replace to change "
                                  "these records.")
    text = merged.text if merged else table.csv()
    if refused := placement.part_overflow(package, resource, out_path, len(text.encode("utf-8"))):
        raise Refusal(f"没有写出任何文件：{refused}。")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f".{out_path.name}.partial")  # a crash mid-write never leaves half a file
    try:
        partial.write_text(text, encoding="utf-8", newline="")
        partial.replace(out_path)
    except BaseException:  # a full disk: no half file left beside the untouched --out
        partial.unlink(missing_ok=True)
        raise
    if merged:
        removed = f"删除 {merged.removed} 行，" if merged.removed else ""
        removed_en = f"{merged.removed} removed, " if merged.removed else ""
        click.echo(f"已合并到 {out_path}：新增 {merged.appended} 行，更新 {merged.replaced} 行，{removed}"
                   f"{merged.unchanged} 行与原来相同，其余 {merged.untouched} 行保持不变。"
                   f" Merged into {out_path}: {merged.appended} added, {merged.replaced} changed, {removed_en}"
                   f"{merged.unchanged} unchanged, {merged.untouched} untouched.", err=True)
    else:
        rows = len(table.rows)
        click.echo(f"已写出 {rows} 行到 {out_path}。Wrote {rows} rows to {out_path}.", err=True)
    try:
        done = placement.split_after(package, resource, out_path)
    except LayoutError as exc:
        raise Refusal(f"{out_path} 已写出，但超过 50 MB，无法自动拆分：{exc}") from None
    if done is not None:
        click.echo(f"{done.rel} 超过 50 MB，已按月拆成 {len(done.pieces)} 个文件（{done.pieces[0].rel} … "
                   f"{done.pieces[-1].rel}），datapackage.json 已更新，原文件已删除。Over 50 MB: split into "
                   f"{len(done.pieces)} files.", err=True)


@cli.command()
@click.option("--resource", required=True, help="资源名，例如 issues、meetings。")
@data_option
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="写出的 Excel 模板（.xlsx）。")
def template(resource: str, data_dir: Path, out_path: Path) -> None:
    """生成一个资源的 Excel 填报模板：中文表头、下拉选项、说明工作表。

    Write an empty Excel template for a resource: Chinese headers that `ledger import` reads back,
    drop-down lists of the Chinese labels and of the package's department and place names (with
    sheets of their codes), text-formatted code columns and a 说明 sheet.

    \b
    例 / Example:
      ledger template --resource issues --out 问题台账模板.xlsx
    """
    from pipeline.contribute.workbook import code_lists, template_bytes
    from pipeline.core.ledger import read_resource

    if out_path.suffix.lower() != ".xlsx":
        raise click.BadParameter("模板是 Excel 工作簿，文件名应以 .xlsx 结尾。", param_hint="--out")
    writable_under(out_path, "--out")
    package = package_with(data_dir, resource)
    try:  # the departments and places the template lists by name
        lists = code_lists(package, read_resource(package, "departments"), read_resource(package, "regions"))
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"无法读取部门表或区划表（{exc}）：先运行 ledger validate --data {data_dir} 并改正。") from None
    content = template_bytes(package, resource, lists)
    if out_path.is_symlink() or out_path.exists():
        # A template is made again in a second; the workbook of that name may be a clerk's filled ledger.
        if out_path.is_file() and not out_path.is_symlink() and out_path.read_bytes() == content:
            click.echo(f"{out_path} 已是 {resource} 的这个填报模板，没有改动。{out_path} is this template already.")
            return
        raise Refusal(f"{out_path} 已存在，模板不会覆盖它（它可能是已经填好的台账）：请换一个文件名，"
                      f"或确认这个文件无用后自行删除。没有改动任何文件。"
                      f" Refused: {out_path} exists and a template never overwrites a file; nothing was changed.")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(content)
    click.echo(f"已写出 {resource} 的填报模板到 {out_path}。Wrote the {resource} template to {out_path}.")


@cli.command()
@click.argument("base")
@click.argument("head", required=False)
@click.option("--data", "data_rel", default="data", show_default=True, help="仓库中数据文件夹的路径。")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def diff(base: str, head: str | None, data_rel: str, fmt: str) -> None:
    """比较两个 git 版本之间每个资源新增、修改、删除的行；只给 BASE 时，比较 BASE 与工作区（磁盘上的文件，包括尚未提交的改动，例如刚用 ledger import 导入的行）。

    Rows added, changed and removed per resource between two git revisions; with BASE
    alone, between BASE and the working tree (the files on disk, uncommitted changes included).

    \b
    例 / Example:
      ledger diff HEAD                                  # 导入后、提交前：与上次提交相比
      ledger diff origin/main HEAD --format markdown    # 两个版本之间
    """
    from pipeline.contribute.diff import DiffError, diff_revisions, to_markdown, to_text

    try:
        changes = diff_revisions(Path.cwd(), base, head, data_rel)
    except DiffError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo((to_markdown if fmt == "markdown" else to_text)(changes), nl=False)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="写出示例数据包的文件夹。")
@click.option("--issues", "issue_count", type=click.IntRange(min=1), default=3000, show_default=True)
@click.option("--seed", type=int, default=20261031, show_default=True)
def demo(out_dir: Path, issue_count: int, seed: int) -> None:
    """生成一个一致的合成示例数据包（同样的参数得到完全相同的文件）。

    只写入不存在的、空的，或只含 ledger demo 原样写出的文件的文件夹（清单见其中的
    .sunshine-ledger-demo）；其他文件夹一律拒绝（退出码 2），不会覆盖真实数据。

    Write a consistent synthetic data package of any size; deterministic for a seed.
    Writes only into a missing or empty folder, or one holding nothing but the demo's own
    unchanged output; anything else is refused (exit 2).

    \b
    例 / Example:
      ledger demo --out data --issues 3000 --seed 20261031
    """
    from pipeline.demo.generator import generate
    from pipeline.demo.manifest import NotDemoFolder

    writable_under(out_dir, "--out", folder=True)
    try:
        counts = generate(out_dir, issues=issue_count, seed=seed)
    except NotDemoFolder as exc:
        raise Refusal(str(exc)) from None
    rows = sum(v for v in counts.values() if isinstance(v, int))
    click.echo(f"已生成示例数据包到 {out_dir}：{rows} 行。Wrote a demo package to {out_dir}: {rows} rows.")


@cli.command()
@click.argument("paths", nargs=-1, metavar="[FILE]...")
@data_option
def split(paths: tuple[str, ...], data_dir: Path) -> None:
    """把超过 50 MB 的数据文件按月拆开（代码托管平台拒收大文件）。

    Split data files over the git host's 50 MB by month (by default every file over it; or the FILEs
    named, relative to the data folder): a year of issues into issues/YYYY/YYYY-MM.csv, a month still
    too large into parts. The new files are written and read back, datapackage.json is replaced with
    their paths, and only then is the old file removed.

    \b
    例 / Example:
      ledger split
      ledger split issues/2026.csv --data data
    """
    from pipeline.core.layout import LayoutError, split_package

    try:
        with holding(data_dir):
            done = split_package(data_dir, list(paths) or None)
    except LayoutError as exc:
        raise Refusal(str(exc)) from None
    except (OSError, ValueError) as exc:
        if fault_text(exc):
            raise
        raise Refusal(f"无法读取 {data_dir}/datapackage.json（{one_line(exc)}）：没有改动任何文件。") from None
    if not done:
        click.echo(f"{data_dir} 中没有超过 50 MB 的数据文件，无需拆分。No file over 50 MB: nothing to split.")
    for item in done:
        rows = sum(piece.rows for piece in item.pieces)
        names = [piece.rel for piece in item.pieces]
        shown = "、".join(names) if len(names) <= 3 else f"{names[0]} … {names[-1]}"
        click.echo(f"已把 {item.rel} 拆成 {len(names)} 个文件（{shown}，共 {rows} 行），datapackage.json 已更新，"
                   f"原文件已删除。Split {item.rel} into {len(names)} files ({rows} rows).")


def _command_name(args: list[str]) -> str | None:
    return next((arg for arg in args if not arg.startswith("-")), None)


def main() -> None:
    args = sys.argv[1:]
    debug = "--debug" in args
    try:
        code = cli.main(args=args, standalone_mode=False, prog_name="ledger")  # `--help`: 0, not an Exit
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("已取消。Aborted.", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence for people who cannot read a traceback
        if debug:
            raise
        hint = debug_hint(_command_name(args))
        text = fault_text(exc)
        if text is not None:
            click.echo(f"Error: {text}。{hint}", err=True)
            sys.exit(2)
        click.echo(f"内部错误（程序缺陷）：{exc.__class__.__name__}: {one_line(exc)}。{hint}，"
                   "并把输出附在问题报告中。", err=True)
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)


def entry() -> NoReturn:
    """The `ledger` command and `python -m pipeline`: ``main``, and then the process ends without the
    native teardown that could abort a finished run (``pipeline.core.process_end``). Only ``--debug``'s
    traceback leaves through the interpreter, as any uncaught exception does."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exit_status(exc)
    end_process(code)


if __name__ == "__main__":
    entry()
