"""`ledger serve`: build, serve the output on 127.0.0.1, rebuild on change.

Serving the built folder (not `mkdocs serve`) shows exactly what will be
published, generated pages included. The first build has the same safety as
`ledger build`: an --out folder that is neither missing, empty nor a site built
by ledger is refused (``Refused``, exit 2) and nothing is served; a later
rebuild that fails (bad data, another build writing, a full disk) is reported
in one line and the previous site stays on show.
"""

from __future__ import annotations

import functools
import http.server
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


def serve_site(data: Path, out: Path, *, port: int, watch: bool) -> None:
    config = BuildConfig(data=data, out=out)
    check_output(out, config)  # never serve (nor replace) a folder that is not ours
    _rebuild(config, first=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
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
