"""One lock file (issue 14): uv.lock pins every package, transitive ones included, with hashes; it agrees with
pyproject.toml's pins, and the environment the suite runs in is exactly what it locks."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).parent / "uv"


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def exported(*options: str) -> str:
    """uv.lock read out as a requirements file (reads only the lock: no index, no network)."""
    command = [str(UV), "export", "--frozen", "--no-emit-project", "--format", "requirements-txt", *options]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def requirements(text: str) -> dict[str, str]:
    """name → version of a requirements file's pins whose markers hold on this interpreter and platform."""
    found = {}
    for line in text.splitlines():
        if not re.match(r"^[A-Za-z0-9_.-]+==", line):
            continue
        requirement = Requirement(line.rstrip(" \\"))
        if requirement.marker is None or requirement.marker.evaluate():
            found[normal(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return found


def test_every_pin_of_pyproject_is_the_version_the_lock_holds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    locked = {normal(p["name"]): p["version"] for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
    for pin in pins:
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", pin.split(";")[0].strip()).groups()  # type: ignore[union-attr]
        assert locked.get(normal(name)) == version, (
            f"{name}: pyproject pins {version}, uv.lock holds {locked.get(name)}"
        )


def test_every_locked_package_carries_its_hashes() -> None:
    text = exported("--extra", "dev")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1] if text.startswith("#") else text)
    packages = [e for e in entries if re.match(r"^[A-Za-z0-9_.-]+==", e)]
    assert len(packages) > 50
    for entry in packages:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_environment_is_exactly_the_lock() -> None:
    """bin/bootstrap --dev installed what uv.lock holds, nothing more or less, at the locked versions."""
    locked = requirements(exported("--extra", "dev", "--no-hashes"))
    installed = {
        normal(d.metadata["Name"]): d.version
        for d in metadata.distributions()
        if normal(d.metadata["Name"]) not in {"afterschool", "pip", "setuptools"}
    }
    assert installed == locked


def test_the_image_installs_the_runtime_part_of_the_lock_only() -> None:
    runtime = requirements(exported("--no-hashes"))
    assert {"fastapi", "sqlalchemy", "aiokafka"} <= set(runtime)
    assert not {"pytest", "mypy", "playwright", "uv"} & set(runtime)
    dockerfile = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    assert "uv export --frozen --no-emit-project" in dockerfile
    assert "--require-hashes" in dockerfile
