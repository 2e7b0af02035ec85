"""The protocol package stays pure Python: no Django, no database, no I/O."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import openipt.protocol

PACKAGE = Path(openipt.protocol.__file__).parent
# The package may import only the standard library and itself.
ALLOWED_OPENIPT = "openipt.protocol"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_package_has_modules_to_check() -> None:
    assert len(list(PACKAGE.glob("*.py"))) >= 9


def test_no_module_imports_django_or_an_app() -> None:
    offenders = {
        f"{path.name}: {name}"
        for path in PACKAGE.glob("**/*.py")
        for name in _imports(path)
        if name.split(".")[0] == "django"
        or (name.split(".")[0] == "openipt" and not name.startswith(ALLOWED_OPENIPT))
    }
    assert offenders == set()


def test_importing_the_package_loads_no_django() -> None:
    code = (
        "import sys\n"
        "import openipt.protocol.adherence, openipt.protocol.engine, openipt.protocol.group\n"
        "import openipt.protocol.phases\n"
        "import openipt.protocol.problem_areas, openipt.protocol.tasks\n"
        "import openipt.protocol.techniques, openipt.protocol.variants\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    result = subprocess.run(  # noqa: S603 - a fixed command with our own interpreter
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(PACKAGE.parent.parent)},
    )
    assert result.stdout.strip() == "[]"
