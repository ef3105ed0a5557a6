"""A service imports only `chassis`, `contracts` and itself, never another service (architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())
PROJECT_PACKAGES = {"chassis", "contracts", "services", "afterschool", "tests"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every absolute module a file imports, with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def forbidden_imports(service: str) -> list[str]:
    """Imports in `services/<service>` of another service or of the composition root."""
    problems = []
    for path in sorted((ROOT / "services" / service).rglob("*.py")):
        for line, module in imported_modules(path):
            top = module.split(".")[0]
            own = module == f"services.{service}" or module.startswith(f"services.{service}.")
            if (top == "services" and not own) or top in {"afterschool", "tests"}:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return problems


@pytest.mark.unit
@pytest.mark.parametrize("service", SERVICES)
def test_service_imports_only_chassis_contracts_and_itself(service: str) -> None:
    assert forbidden_imports(service) == []


@pytest.mark.unit
def test_chassis_and_contracts_import_no_service() -> None:
    for package in ("chassis", "contracts"):
        for path in (ROOT / package).rglob("*.py"):
            tops = {m.split(".")[0] for _, m in imported_modules(path)}
            assert not tops & {"services", "afterschool"}, path


@pytest.mark.unit
def test_the_check_catches_a_cross_service_import(tmp_path: Path) -> None:
    offending = ROOT / "services" / "notify" / "_probe_cross_import.py"
    offending.write_text("from services.attendance import store\n")
    try:
        assert forbidden_imports("notify") == ["services/notify/_probe_cross_import.py:1 imports services.attendance"]
    finally:
        offending.unlink()


@pytest.mark.unit
def test_every_service_has_the_same_shape() -> None:
    shape = {"__init__.py", "api.py", "app.py", "consumers.py", "handlers.py", "settings.py", "store.py"}
    for service in SERVICES:
        folder = ROOT / "services" / service
        assert shape <= {p.name for p in folder.iterdir()}, service
        assert (folder / "domain" / "__init__.py").exists(), service
        assert (folder / "migrations" / "env.py").exists(), service


@pytest.mark.unit
@pytest.mark.parametrize("service", SERVICES)
def test_domain_rules_do_no_io(service: str) -> None:
    io_packages = {"fastapi", "starlette", "sqlalchemy", "aiokafka", "redis", "httpx", "asyncpg", "aiosqlite"}
    for path in (ROOT / "services" / service / "domain").rglob("*.py"):
        tops = {m.split(".")[0] for _, m in imported_modules(path)}
        assert not tops & io_packages, f"{path} imports {tops & io_packages}"
