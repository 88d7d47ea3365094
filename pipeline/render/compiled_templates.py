"""mkdocs' theme templates compiled once per process, not once per build.

Each mkdocs build makes a new Jinja environment, and compiling Material's templates again took about 0.6 s
of a 4 s build of a small package: ``ledger serve`` rebuilds, and the test suite builds many sites in one
process. The ``on_env`` hook (render/site_hooks.py) gives each build's environment this cache. The pages are
the same bytes: only the compiling is saved. Nothing is kept on disk.
"""

from __future__ import annotations

import threading

_COMPILED: dict[str, bytes] = {}
_COMPILED_LOCK = threading.Lock()


def with_compiled_templates(env):
    """``env`` (a build's Jinja environment) taking and keeping its templates' code in this process. Jinja
    hands a template's code back only for the same source (it compares the source's checksum); the key also
    holds the settings that shape the compiled code, so an environment configured otherwise never takes this
    one's. One whose escaping a function decides is left without."""
    from jinja2 import BytecodeCache

    if not isinstance(env.autoescape, bool):
        return env
    settings = repr((env.block_start_string, env.block_end_string, env.variable_start_string,
                     env.variable_end_string, env.comment_start_string, env.comment_end_string,
                     env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks, env.lstrip_blocks,
                     env.newline_sequence, env.keep_trailing_newline, sorted(env.extensions), env.optimized,
                     env.autoescape, env.is_async))

    class Compiled(BytecodeCache):
        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            return settings + "\0" + super().get_cache_key(name, filename)

        def load_bytecode(self, bucket) -> None:
            with _COMPILED_LOCK:
                code = _COMPILED.get(bucket.key)
            if code is not None:
                bucket.bytecode_from_string(code)  # Jinja resets it when the source's checksum differs

        def dump_bytecode(self, bucket) -> None:
            with _COMPILED_LOCK:
                _COMPILED[bucket.key] = bucket.bytecode_to_string()

    env.bytecode_cache = Compiled()
    return env
