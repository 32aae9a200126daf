"""The application runs on requirements.txt alone: no app module imports a development-only package at run time.

`make run` on a fresh machine installs requirements.txt only; an import of a typing helper outside
`if TYPE_CHECKING:` works in the test environment (which has the dev requirements) and crashes there.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

APPS = [
    "govservice",
    "staff",
    "notifications",
    "cases",
    "knowledge",
    "rectification",
    "complaints",
    "intake",
    "development",
    "dashboard",
]
DEV_ONLY = {
    "django_stubs_ext",
    "mypy",
    "mypy_django_plugin",
    "mypy_drf_plugin",
    "hypothesis",
    "factory",
    "pytest",
    "polib",
    "time_machine",
    "playwright",
    "mutmut",
}


def _runtime_imports(tree: ast.AST) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append((node.module, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_no_app_module_imports_a_development_package_at_run_time():
    offenders = []
    for app in APPS:
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for module, line in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
                if module.split(".")[0] in DEV_ONLY:
                    offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{line} {module}")
    assert offenders == []


def test_the_check_sees_an_import_outside_type_checking():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mypy\nimport hypothesis\n")
    assert [m for m, _ in _runtime_imports(tree)] == ["typing", "hypothesis"]
