"""Imports sit at the top of a module (docs/decisions/0012-import-layers.md).

A function-local import hides a dependency from the reader and from the import-layer contract
in ``make lint`` (which does see it, but only as an edge, without the reason it was hidden).
The scan below reads every module of the product (tests and migrations aside) and fails on an
import inside a function or method unless one of the ADR's exceptions names it:

- ``AppConfig.ready`` (Django loads apps before their models may be imported);
- the heavy libraries loaded on first use, so a start-up or a ballot request never pays for
  them (:data:`LAZY_LIBRARIES`);
- the places listed in :data:`ALLOWED`, each with its reason.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "shuzhi"

# Loaded on first use: jieba reads a dictionary of 350,000 words (about a second), openpyxl
# is the largest import of the product, python-docx only reads an uploaded report; only
# imports, exports and the text checks need them.
LAZY_LIBRARIES = {"jieba", "openpyxl", "docx"}

# "path relative to shuzhi/:function" -> why the import stays inside the function.
ALLOWED: dict[str, str] = {
    "accounts/models.py:area_names": "accounts.tokens imports the models module (a cycle).",
}


def _skipped(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return "tests" in parts or "migrations" in parts or path.name == "testing.py"


def _local_imports() -> list[tuple[str, str, str, int]]:
    """(path, function, module, line) of every import inside a function or method."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if _skipped(path):
            continue
        rel = path.relative_to(ROOT).as_posix()

        def visit(node: ast.AST, function: str | None, rel: str = rel) -> None:
            for child in ast.iter_child_nodes(node):
                inner = function
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    inner = child.name
                if function and isinstance(child, ast.Import | ast.ImportFrom):
                    if isinstance(child, ast.ImportFrom):
                        module = "." * child.level + (child.module or "")
                    else:
                        module = child.names[0].name
                    found.append((rel, function, module, child.lineno))
                visit(child, inner)

        visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return found


def _excepted(rel: str, function: str, module: str) -> bool:
    if rel.endswith("apps.py") and function == "ready":
        return True
    if module.split(".")[0] in LAZY_LIBRARIES:
        return True
    return f"{rel}:{function}" in ALLOWED


def test_no_function_local_imports_outside_the_exceptions():
    offending = [
        f"shuzhi/{rel}:{line} in {function}(): import {module}"
        for rel, function, module, line in _local_imports()
        if not _excepted(rel, function, module)
    ]
    assert not offending, "Move these imports to the top of their modules:\n" + "\n".join(offending)


def test_every_exception_is_still_needed():
    used = {f"{rel}:{function}" for rel, function, _, _ in _local_imports()}
    assert not set(ALLOWED) - used, set(ALLOWED) - used


def test_the_scan_finds_a_local_import(tmp_path, monkeypatch):
    """The scan itself works: a module with an import inside a function is reported."""
    package = tmp_path / "shuzhi"
    package.mkdir()
    (package / "sample.py").write_text("def f():\n    import json\n    return json\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", package)
    assert _local_imports() == [("sample.py", "f", "json", 2)]
