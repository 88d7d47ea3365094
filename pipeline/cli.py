"""`ledger`: the command line of Sunshine Ledger.

Exit codes: 0 ok (warnings allowed), 1 invalid data, 2 usage error.
A traceback is shown only with --debug; every other failure is a message
that says what to do next.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline import findings as fd

DEFAULT_DATA = Path("data")
DEFAULT_OUT = Path("public")


class InvalidDataExit(click.ClickException):
    exit_code = 1


def cache_option(fn):
    return click.option("--no-cache", is_flag=True,
                        help="不使用缓存，全部重新校验（缓存目录：.ledger-cache，或环境变量 LEDGER_CACHE_DIR）。")(fn)


def make_cache(no_cache: bool):
    from pipeline.cache import FileCache

    return FileCache(None) if no_cache else FileCache.from_env()


def package_with(data_dir: Path, resource: str):
    """The data package in ``data_dir``, which must have ``resource``; usage errors otherwise."""
    from pipeline.package import PackageError, load

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="出错时显示完整的 Python 调用栈。")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """阳光台账：校验、统计并发布基层治理改革数据。

    Sunshine Ledger: validate, aggregate and publish grassroots-governance data.

    \b
    例 / Example:
      ledger validate
      ledger build --out public
    """
    ctx.obj = {"debug": debug}


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
    from pipeline.validate import validate as run

    report, _ = run(data_dir, engine=engine, cache=make_cache(no_cache), ledger_needed=False)
    text = {"text": fd.to_text, "json": fd.to_json, "markdown": fd.to_markdown}[fmt](report)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(fd.summary_line(report))
    else:
        click.echo(text, nl=False)
    sys.exit(0 if report.valid else 1)


@cli.command()
@data_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="网站输出文件夹；只在全部步骤成功后才替换。")
@cache_option
def build(data_dir: Path, out_dir: Path, no_cache: bool) -> None:
    """校验数据并生成网站；任何一步失败，原有网站保持不变。

    Validate, aggregate, render and build the site into --out (atomically).

    \b
    例 / Example:
      ledger build --data data --out public
    """
    from pipeline.build import BuildConfig, BuildError, InvalidData
    from pipeline.build import build as run

    try:
        result = run(BuildConfig(data=data_dir.resolve(), out=out_dir.resolve(), cache=make_cache(no_cache)))
    except InvalidData as exc:
        click.echo(fd.to_text(exc.report), err=True, nl=False)
        raise InvalidDataExit("数据无效，网站没有更新。Invalid data: the site was not updated.") from None
    except BuildError as exc:
        raise click.ClickException(f"生成失败，原有网站保持不变：{exc}") from None
    if result.report.warnings:
        click.echo(fd.to_text(fd.Report(result.report.warnings)), err=True, nl=False)
    click.echo(f"已生成 {result.pages} 个页面到 {out_dir}（{result.seconds:.1f} 秒）。"
               f" Built {result.pages} pages into {out_dir} in {result.seconds:.1f} s.")


@cli.command()
@data_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT, show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--watch/--no-watch", default=True, show_default=True, help="数据或页面源文件改变时自动重新生成。")
def serve(data_dir: Path, out_dir: Path, port: int, watch: bool) -> None:
    """生成网站并在本机 127.0.0.1 上预览。

    Build, then serve the site on 127.0.0.1 and rebuild when data/ or site/ change.

    \b
    例 / Example:
      ledger serve --port 8000
    """
    from pipeline.serve import serve_site

    serve_site(data_dir.resolve(), out_dir.resolve(), port=port, watch=watch)


@cli.command(name="import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--resource", required=True, help="资源名，例如 issues、meetings。")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DATA,
              show_default=True, help="数据包所在的文件夹（读取字段定义）。")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写出的标准 CSV；省略时打印到屏幕。文件已存在时合并：原有的行保持原样和顺序，"
                   "编号相同的行就地更新，新行加在末尾。")
@click.option("--replace", is_flag=True, help="--out 的文件已存在时整个覆盖，而不是合并。")
def import_(source: Path, resource: str, data_dir: Path, out_path: Path | None, replace: bool) -> None:
    """把 Excel 或 CSV（含 GBK、中文表头、中文取值）转换为标准 CSV。

    Convert an Excel/CSV export into the canonical CSV of a resource, or say row by row why not.
    Onto an existing --out file the rows are merged by primary key (--replace overwrites).

    \b
    例 / Example:
      ledger import 问题台账.xlsx --resource issues --out data/issues/2026.csv
    """
    from pipeline.importer import ImportFailed, import_table
    from pipeline.merge import merge

    if replace and out_path is None:
        raise click.UsageError("--replace 只能与 --out 一起使用。--replace needs --out.")

    package = package_with(data_dir, resource)
    try:
        table = import_table(source, package, resource)
        merged = None
        if out_path is not None and out_path.exists() and not replace:
            key = package.resource(resource)["schema"].get("primaryKey") or table.fields
            merged = merge(out_path.read_bytes(), table, [key] if isinstance(key, str) else key,
                           path=str(out_path), source=source.name, resource=resource)
    except ImportFailed as exc:
        click.echo(fd.to_text(fd.Report.of(exc.findings)), err=True, nl=False)
        raise InvalidDataExit(f"没有写出任何文件：{source} 中有无法转换的内容。Nothing was written.") from None
    if out_path is None:
        click.echo(table.csv(), nl=False)
        return
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f".{out_path.name}.partial")  # a crash mid-write never leaves half a file
    partial.write_text(merged.text if merged else table.csv(), encoding="utf-8", newline="")
    partial.replace(out_path)
    if merged:
        click.echo(f"已合并到 {out_path}：新增 {merged.appended} 行，更新 {merged.replaced} 行，"
                   f"{merged.unchanged} 行与原来相同，其余 {merged.untouched} 行保持不变。"
                   f" Merged into {out_path}: {merged.appended} added, {merged.replaced} changed, "
                   f"{merged.unchanged} unchanged, {merged.untouched} untouched.", err=True)
    else:
        rows = len(table.rows)
        click.echo(f"已写出 {rows} 行到 {out_path}。Wrote {rows} rows to {out_path}.", err=True)


@cli.command()
@click.option("--resource", required=True, help="资源名，例如 issues、meetings。")
@data_option
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="写出的 Excel 模板（.xlsx）。")
def template(resource: str, data_dir: Path, out_path: Path) -> None:
    """生成一个资源的 Excel 填报模板：中文表头、下拉选项、说明工作表。

    Write an empty Excel template for a resource: Chinese headers that `ledger import` reads back,
    drop-down lists of the Chinese labels, text-formatted code columns and a 说明 sheet.

    \b
    例 / Example:
      ledger template --resource issues --out 问题台账模板.xlsx
    """
    from pipeline.workbook import template_bytes

    if out_path.suffix.lower() != ".xlsx":
        raise click.BadParameter("模板是 Excel 工作簿，文件名应以 .xlsx 结尾。", param_hint="--out")
    package = package_with(data_dir, resource)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(template_bytes(package, resource))
    click.echo(f"已写出 {resource} 的填报模板到 {out_path}。Wrote the {resource} template to {out_path}.")


@cli.command()
@click.argument("base")
@click.argument("head", default="HEAD")
@click.option("--data", "data_rel", default="data", show_default=True, help="仓库中数据文件夹的路径。")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def diff(base: str, head: str, data_rel: str, fmt: str) -> None:
    """比较两个 git 版本之间每个资源新增、修改、删除的行。

    Rows added, changed and removed per resource between two git revisions.

    \b
    例 / Example:
      ledger diff origin/main HEAD --format markdown
    """
    from pipeline.diff import DiffError, diff_revisions, to_markdown, to_text

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

    Write a consistent synthetic data package of any size; deterministic for a seed.

    \b
    例 / Example:
      ledger demo --out data --issues 3000 --seed 20261031
    """
    from pipeline.demo import generate

    counts = generate(out_dir, issues=issue_count, seed=seed)
    rows = sum(v for v in counts.values() if isinstance(v, int))
    click.echo(f"已生成示例数据包到 {out_dir}：{rows} 行。Wrote a demo package to {out_dir}: {rows} rows.")


def main() -> None:
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False, prog_name="ledger")
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("已取消。Aborted.", err=True)
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence for people who cannot read a traceback
        if debug:
            raise
        click.echo(f"内部错误：{exc.__class__.__name__}: {exc}\n请加 --debug 重新运行，并把输出附在问题报告中。", err=True)
        sys.exit(3)


if __name__ == "__main__":
    main()
