"""Pages and API endpoints load scoped objects through the kernel, never by hand.

A hand-written loader — ``visible_to(...).first()`` then ``raise Http404``, or a
``get_object_or_404`` over a ``visible_to`` queryset, followed by its own 403 check — is where
pages and API drift apart (docs/decisions/0009-permission-kernel.md). Views and API modules
also never assemble scopes from grants: they ask a policy or ``may_anywhere``.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "shuzhi"

# Reading grants or building scope filters is the kernel's and the policies' business.
SCOPE_INTERNALS = frozenset(
    {"scopes_for", "roles_at", "can_at", "unit_scope_q", "scope_q", "grants_of", "held_roles"}
)


def _entry_modules() -> list[pathlib.Path]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if "tests" in path.parts or "kernel" in path.parts or "migrations" in path.parts:
            continue
        stem = path.stem
        if stem in ("views", "api") or stem.endswith(("_views", "_api")):
            found.append(path)
    return found


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _calls(node: ast.AST) -> set[str]:
    return {_name(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}


def _raises_404(node: ast.AST) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Raise) and n.exc is not None:
            target = n.exc.func if isinstance(n.exc, ast.Call) else n.exc
            if _name(target) == "Http404":
                return True
    return False


def _hand_loaders(tree: ast.Module) -> list[str]:
    """Functions that filter by ``visible_to`` and answer 404 themselves."""
    bad = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        calls = _calls(func)
        scoped = any(name.endswith("visible_to") for name in calls)
        if scoped and (_raises_404(func) or "get_object_or_404" in calls):
            bad.append(f"{func.name} (line {func.lineno})")
    return bad


MODULES = _entry_modules()


def test_the_entry_modules_are_found():
    names = {p.name for p in MODULES}
    assert {"views.py", "api.py"} <= names
    assert ROOT / "assessment" / "grading" / "api.py" in MODULES
    assert ROOT / "orgs" / "people" / "views.py" in MODULES
    assert ROOT / "orgs" / "imports" / "api.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_views_and_api_load_through_the_kernel(path):
    tree = ast.parse(path.read_text())
    assert _hand_loaders(tree) == [], "load(...) from shuzhi.kernel.loader instead"
    used = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    } | _calls(tree)
    assert not used & SCOPE_INTERNALS, "ask the app's policies or may_anywhere instead"


def test_the_check_finds_a_hand_written_loader():
    source = """
def _problem(user, pk):
    found = Problem.objects.visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found
"""
    assert _hand_loaders(ast.parse(source)) == ["_problem (line 2)"]
