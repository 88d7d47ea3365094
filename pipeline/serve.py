"""`ledger serve`: build, serve the output on 127.0.0.1, rebuild on change.

Serving the built folder (not `mkdocs serve`) shows exactly what will be
published, generated pages included. The first build has the same safety as
`ledger build`: an --out folder that is neither missing, empty nor a site built
by ledger is refused (``Refused``, exit 2) and nothing is served; a later
rebuild that fails (bad data, another build writing, a full disk) is reported
in one line and the previous site stays on show.
"""

from __future__ import annotations

import errno
import functools
import http.server
import sys
import threading
import time
from pathlib import Path

import click

from pipeline.build import BuildConfig, BuildError, Refused, build, check_output


def _snapshot(*folders: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for folder in folders if folder.exists()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _rebuild(config: BuildConfig, *, first: bool = False) -> None:
    try:
        result = build(config)
        click.echo(f"已重新生成（{result.seconds:.1f} 秒）。Rebuilt.")
    except (BuildError, OSError) as exc:  # a full disk or an unwritable folder too: one line, keep serving
        if first and isinstance(exc, Refused):
            raise
        click.echo(f"生成失败，继续显示上一版：{' '.join(str(exc).split())}", err=True)


class PreviewServer(http.server.ThreadingHTTPServer):
    """A browser that leaves a page, or stops a download, before a file has arrived closes its connection
    while the server still writes. That is no fault of the site; the standard server printed a traceback
    of twenty lines for it, which reads as a crash to whoever runs `ledger serve`. Any other error still
    prints as before."""

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # broken pipe, reset or aborted by the browser
            return
        super().handle_error(request, client_address)


def _server(out: Path, port: int) -> PreviewServer:
    """The preview server on 127.0.0.1:``port``, bound but not yet serving; Refused if the port cannot be had."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    try:
        return PreviewServer(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            why = f"端口 {port} 已被占用（可能另一个 ledger serve 或程序正在用它）"
        elif exc.errno in (errno.EACCES, errno.EPERM):
            why = f"没有权限使用端口 {port}（1024 以下的端口需要管理员权限）"
        else:
            raise
        raise Refused(f"{why}：请换一个端口，例如 --port {8001 if port == 8000 else 8000}；没有生成任何内容。"
                      f" Refused: port {port} cannot be used ({exc.strerror}).") from None


def serve_site(data: Path, out: Path, *, port: int, watch: bool) -> None:
    config = BuildConfig(data=data, out=out)
    check_output(out, config)  # never serve (nor replace) a folder that is not ours
    server = _server(out, port)  # the port first: a port in use is told before a build of minutes
    try:
        _rebuild(config, first=True)
    except BaseException:
        server.server_close()
        raise
    click.echo(f"预览地址 http://127.0.0.1:{port}/ （Ctrl+C 退出）")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    watched = (data, config.site)  # the data and the site's sources (the checkout's, or the installed copy)
    seen = _snapshot(*watched)
    try:
        while True:
            time.sleep(1.0)
            if watch and (now := _snapshot(*watched)) != seen:
                seen = now
                _rebuild(config)
    except KeyboardInterrupt:
        server.shutdown()
