"""scripts/app-graph fails on a cross-app query: another app's model used as `Model.objects` / `_default_manager`."""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "app-graph"


def _app_graph() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("app_graph", str(SCRIPT))
    spec = importlib.util.spec_from_loader("app_graph", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _uses(source: str, app: str) -> list[tuple[int, str, str, str]]:
    return _app_graph().cross_app_manager_uses(ast.parse(source), app)


def test_another_apps_manager_is_found_with_its_line_owner_and_manager():
    source = (
        "from staff.models import User\n"
        "from govservice.models import Centre as C\n"
        "def f():\n"
        "    from cases.models import MatterType\n"
        "    return User.objects.filter(), C._default_manager.all(), MatterType.objects.none()\n"
    )
    assert _uses(source, "complaints") == [
        (5, "cases", "MatterType", "objects"),
        (5, "govservice", "C", "_default_manager"),
        (5, "staff", "User", "objects"),
    ]


def test_a_models_module_imported_whole_is_found_too():
    assert _uses("import staff.models\nstaff.models.User.objects.all()\n", "cases") == [(2, "staff", "User", "objects")]


def test_own_models_foreign_keys_types_and_selectors_are_not_flagged():
    source = (
        "from staff.models import User\n"
        "from staff.selectors import active_staff_of\n"
        "from .models import Case\n"
        "from cases.models import MatterType\n"
        "def f(user: User) -> None:\n"
        "    Case.objects.filter(handler=user)\n"
        "    MatterType.objects.all()\n"
        "    active_staff_of(centre_id=user.centre_id)\n"
        "    User.DoesNotExist\n"
    )
    assert _uses(source, "cases") == []


def test_the_message_names_the_place_and_the_selector_to_use():
    message = _app_graph().manager_message("complaints/forms.py", 12, "staff", "User", "objects")
    assert message.startswith("complaints/forms.py:12: User.objects")
    assert "staff.selectors (active_staff_of" in message
    assert "staff/services.py" in message


def test_only_fixture_writers_are_allowed_each_with_a_reason():
    allowed = _app_graph().MANAGER_ALLOWED
    assert all(reason.strip() for reason in allowed.values())
    assert all(path.endswith("/demo.py") or "/management/commands/" in path for path in allowed)


def test_the_tree_passes_the_check():
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False, cwd=ROOT)  # noqa: S603 - our own script
    assert result.returncode == 0, result.stdout
    assert "One way" in result.stdout
