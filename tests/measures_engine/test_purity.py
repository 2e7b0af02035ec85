"""The measures engine stays pure Python: no Django, no database, no I/O beyond its JSON."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import openipt.measures.engine

PACKAGE = Path(openipt.measures.engine.__file__).parent
ALLOWED_OPENIPT = "openipt.measures.engine"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_package_has_modules_to_check() -> None:
    assert {p.name for p in PACKAGE.glob("*.py")} >= {
        "__init__.py",
        "catalogue.py",
        "definition.py",
        "expected.py",
        "outcomes.py",
        "scoring.py",
    }


def test_no_module_imports_django_or_another_app() -> None:
    offenders = {
        f"{path.name}: {name}"
        for path in PACKAGE.glob("**/*.py")
        for name in _imports(path)
        if name.split(".")[0] == "django"
        or (name.split(".")[0] == "openipt" and not name.startswith(ALLOWED_OPENIPT))
    }
    assert offenders == set()


def test_importing_and_using_the_engine_loads_no_django() -> None:
    code = (
        "import sys\n"
        "from openipt.measures.engine import shipped_instruments, score_answers\n"
        "assert len(shipped_instruments()) == 6\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    result = subprocess.run(  # noqa: S603 - a fixed command with our own interpreter
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(PACKAGE.parent.parent.parent)},
    )
    assert result.stdout.strip() == "[]"
