"""A service imports only `chassis`, `contracts` and itself, never another service (architecture.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
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


LOADED_SERVICES = """
import sys
from afterschool import cli
from afterschool.catalog import definition
assert definition(sys.argv[1]).name == sys.argv[1]
print(" ".join(sorted({m.split(".")[1] for m in sys.modules if m.startswith("services.")})))
"""


@pytest.mark.unit
@pytest.mark.parametrize("service", SERVICES)
def test_a_process_serving_one_service_loads_no_other_service(service: str) -> None:
    """`afterschool serve <service>` takes its definition from the catalog, which imports that service alone: the
    other four would cost a serving process about 30 MB of resident memory (issue 13's idle RSS)."""
    run = subprocess.run([sys.executable, "-c", LOADED_SERVICES, service], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [service]


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


ROOT_FILES = {"__init__.py", "app.py", "settings.py", "api.py", "consumers.py", "store.py", "fields.py"}
ROOT_FOLDERS = {"domain", "migrations", "adapters"}  # adapters: clients of outside services, one module each
SLICE_FILES = {"__init__.py", "api.py", "handlers.py", "store.py", "schemas.py", "timers.py", "consumers.py"}


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name != "__pycache__" and not p.name.startswith("."))


def _only_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    if len(body) != 1 or not isinstance(body[0], ast.Expr) or not isinstance(body[0].value, ast.Constant):
        return False
    docstring = body[0].value.value
    return isinstance(docstring, str) and "\n" not in docstring.strip()


def _only_routers(path: Path) -> bool:
    """The root `api.py` holds imports and the `ROUTERS` list, nothing else."""
    for node in ast.parse(path.read_text()).body[1:]:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if [t.id for t in targets if isinstance(t, ast.Name)] != ["ROUTERS"]:
            return False
    return True


def shape_problems(folder: Path) -> list[str]:
    """How a service folder departs from docs/service-shape.md: its root entries and its slices' files."""
    needed = ("__init__.py", "app.py", "settings.py", "api.py", "domain/__init__.py", "migrations/env.py")
    problems = [f"no {need}" for need in needed if not (folder / need).is_file()]
    if (folder / "api.py").is_file() and not _only_routers(folder / "api.py"):
        problems.append("api.py holds more than the ROUTERS list")
    for entry in _entries(folder):
        if entry.is_file():
            if entry.name not in ROOT_FILES:
                problems.append(f"{entry.name} at the root")
        elif entry.name not in ROOT_FOLDERS:
            problems += [f"{entry.name}/{p}" for p in slice_problems(entry)]
    return problems


def slice_problems(folder: Path) -> list[str]:
    """A slice holds its one-line `__init__.py` and only files named from the vocabulary, no sub-folders."""
    problems = [] if (folder / "__init__.py").is_file() else ["no __init__.py"]
    if not problems and not _only_a_docstring(folder / "__init__.py"):
        problems.append("__init__.py holds more than its docstring")
    problems += [entry.name for entry in _entries(folder) if entry.is_dir() or entry.name not in SLICE_FILES]
    return problems


@pytest.mark.unit
@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_shape(service: str) -> None:
    assert shape_problems(ROOT / "services" / service) == []


@pytest.mark.unit
def test_the_shape_check_names_stray_files(tmp_path: Path) -> None:
    stray = {
        "web.py": "",
        "api.py": '"""Routers."""\n\nROUTERS: list[object] = []\nrouter = object()\n',
        "roster/plan.py": "",
        "roster/api.py": "",
        "staff/__init__.py": '"""Staff."""\n\nfrom services.probe.staff.api import router\n',
    }
    service = _planted_service(tmp_path, stray)
    (service / "roster" / "deep").mkdir()
    assert shape_problems(service) == [
        "api.py holds more than the ROUTERS list",
        "roster/deep",
        "roster/plan.py",
        "staff/__init__.py holds more than its docstring",
        "web.py at the root",
    ]


def slice_imports(folder: Path) -> dict[str, set[str]]:
    """For each slice of the service in `folder`, the other slices it imports (root modules and `domain` aside);
    relative imports count as the absolute ones they stand for."""
    slices = {p.name for p in _entries(folder) if p.is_dir() and p.name not in ROOT_FOLDERS}
    graph: dict[str, set[str]] = {name: set() for name in slices}
    for name in slices:
        for path in (folder / name).rglob("*.py"):
            here = ["services", folder.name, *path.relative_to(folder).parent.parts]
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    targets = [alias.name.split(".") for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    base = (here[: len(here) - node.level + 1] if node.level else []) + (node.module or "").split(".")
                    base = [part for part in base if part]
                    targets = [[*base, alias.name] for alias in node.names]
                else:
                    continue
                graph[name] |= {t[2] for t in targets if t[:2] == ["services", folder.name] and len(t) > 2}
        graph[name] &= slices - {name}
    return graph


def import_cycles(folder: Path) -> list[list[str]]:
    """Every group of slices that import one another round in a circle (strongly connected, sorted)."""
    graph = slice_imports(folder)
    reaches = {name: _reachable(graph, name) for name in graph}
    groups = {tuple(sorted(n for n in graph if n in reaches[name] and name in reaches[n])) for name in graph}
    return sorted(list(group) for group in groups if len(group) > 1)


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += graph[name]
    return seen


@pytest.mark.unit
@pytest.mark.parametrize("service", SERVICES)
def test_slices_import_one_another_without_a_cycle(service: str) -> None:
    assert import_cycles(ROOT / "services" / service) == []


@pytest.mark.unit
def test_the_cycle_check_catches_a_planted_cycle(tmp_path: Path) -> None:
    service = _planted_service(
        tmp_path,
        {
            "places/handlers.py": "from services.probe.programs.store import Program\n",
            "programs/store.py": "from services.probe.allocation import handlers\n",
            "allocation/handlers.py": "from .. import places\n",
            "fees/handlers.py": "from services.probe.programs import store\n",
        },
    )
    assert import_cycles(service) == [["allocation", "places", "programs"]]


def _planted_service(tmp_path: Path, files: dict[str, str]) -> Path:
    """A service `probe` of the right shape plus `files` (slice folders get their one-line `__init__.py`)."""
    service = tmp_path / "probe"
    for name in ("__init__.py", "app.py", "settings.py", "domain/__init__.py", "migrations/env.py"):
        (service / name).parent.mkdir(parents=True, exist_ok=True)
        (service / name).write_text('"""probe"""\n')
    (service / "api.py").write_text('"""probe"""\n\nROUTERS: list[object] = []\n')
    for name, text in files.items():
        (service / name).parent.mkdir(parents=True, exist_ok=True)
        if "/" in name and not (service / name.split("/")[0] / "__init__.py").exists():
            (service / name.split("/")[0] / "__init__.py").write_text('"""A probe slice."""\n')
        (service / name).write_text(text)
    return service


@pytest.mark.unit
@pytest.mark.parametrize("service", SERVICES)
def test_domain_rules_do_no_io(service: str) -> None:
    io_packages = {"fastapi", "starlette", "sqlalchemy", "aiokafka", "redis", "httpx", "asyncpg", "aiosqlite"}
    for path in (ROOT / "services" / service / "domain").rglob("*.py"):
        tops = {m.split(".")[0] for _, m in imported_modules(path)}
        assert not tops & io_packages, f"{path} imports {tops & io_packages}"
