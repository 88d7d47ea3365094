"""mkdocs' theme templates are compiled once per process, not once per build
(pipeline/render/compiled_templates.py): the same pages, only the compiling is saved."""

from __future__ import annotations

from pathlib import Path

import jinja2

from pipeline.build import BuildConfig, build
from pipeline.render import compiled_templates
from pipeline.render.compiled_templates import with_compiled_templates


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def compiles_counted(monkeypatch) -> list[str]:
    names: list[str] = []
    real = jinja2.Environment.compile

    def compile(self, source, name=None, filename=None, *args, **kwargs):
        names.append(name)
        return real(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    return names


def test_a_second_build_in_the_process_compiles_no_theme_template_and_gives_the_same_site(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(compiled_templates, "_COMPILED", {})  # as in a fresh process
    compiled = compiles_counted(monkeypatch)
    build(BuildConfig(data=tiny, out=tmp_path / "first"))
    first = [name for name in compiled if name and name.endswith(".html")]
    assert "main.html" in first and "base.html" in first and len(first) >= 20
    compiled.clear()
    build(BuildConfig(data=tiny, out=tmp_path / "second"))
    # Only what Material's search plugin loads through an environment of its own, not the build's (its translations)
    assert sorted(name for name in compiled if name in first) == [
        "partials/language.html", "partials/languages/en.html", "partials/languages/zh.html"]
    assert files_of(tmp_path / "second") == files_of(tmp_path / "first")


def environment(templates: dict[str, str], **settings) -> jinja2.Environment:
    return with_compiled_templates(jinja2.Environment(loader=jinja2.DictLoader(templates), **settings))


def test_a_changed_template_is_compiled_again(monkeypatch):
    monkeypatch.setattr(compiled_templates, "_COMPILED", {})
    assert environment({"page.html": "one {{ x }}"}).get_template("page.html").render(x=1) == "one 1"
    assert environment({"page.html": "two {{ x }}"}).get_template("page.html").render(x=2) == "two 2"
    assert environment({"page.html": "one {{ x }}"}).get_template("page.html").render(x=3) == "one 3"


def test_an_environment_set_up_otherwise_does_not_take_anothers_code(monkeypatch):
    monkeypatch.setattr(compiled_templates, "_COMPILED", {})
    source = {"page.html": "{% if x %}\n  yes\n{% endif %}\n<b>{{ y }}</b>"}
    assert environment(source).get_template("page.html").render(x=1, y="<") == "\n  yes\n\n<b><</b>"
    trimmed = environment(source, trim_blocks=True, lstrip_blocks=True, autoescape=True)
    assert trimmed.get_template("page.html").render(x=1, y="<") == "  yes\n<b>&lt;</b>"
    assert len(compiled_templates._COMPILED) == 2


def test_an_environment_whose_escaping_a_function_decides_keeps_no_code(monkeypatch):
    monkeypatch.setattr(compiled_templates, "_COMPILED", {})
    env = environment({"page.html": "{{ y }}"}, autoescape=jinja2.select_autoescape(["html"]))
    assert env.bytecode_cache is None
    assert env.get_template("page.html").render(y="<") == "&lt;"
    assert compiled_templates._COMPILED == {}
