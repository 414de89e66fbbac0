"""The package's shape: one installed namespace, layers with one direction, lazy faces.

The import contract is read from the source (every import statement, at any depth of a
module, also those inside functions), so a lazy import cannot slip past it.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Each layer of the domain and the packages it may import from the project.
DOMAIN = {
    "strategies": ("aisfolio.strategies",),
    "ensemble": ("aisfolio.strategies", "aisfolio.ensemble"),
    "portfolio": ("aisfolio.strategies", "aisfolio.ensemble", "aisfolio.portfolio"),
}
#: The application's libraries: the domain is configured by Hydra, never reads it.
APP_ONLY = ("hydra", "omegaconf")

FACES = (
    "aisfolio",
    "aisfolio.strategies",
    "aisfolio.strategies.arima_garch",
    "aisfolio.strategies.execution",
    "aisfolio.strategies.lstm",
    "aisfolio.ensemble",
    "aisfolio.portfolio",
    "aisfolio.portfolio.allocation",
    "aisfolio.portfolio.report",
)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, ``from a import b`` as ``a.b``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("layer", sorted(DOMAIN))
def test_each_domain_layer_imports_only_itself_and_the_layers_below(layer):
    breaches = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for line, module in _imports(path):
            project = _is_under(module, "aisfolio")
            allowed = any(_is_under(module, package) for package in DOMAIN[layer])
            if (project and not allowed) or any(_is_under(module, lib) for lib in APP_ONLY):
                breaches.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not breaches, "\n".join(breaches)


def test_the_contract_sees_a_breach_inside_a_function(tmp_path):
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from aisfolio.app.composition import build\n")
    assert _imports(module) == [(2, "aisfolio.app.composition.build")]


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_importing_the_metrics_loads_no_heavy_library(tmp_path):
    heavy = ("cvxpy", "hydra", "matplotlib", "torch", "lightning", "sklearn", "statsmodels")
    code = (
        "import sys\n"
        "import aisfolio.portfolio.metrics\n"
        f"print(sorted(n for n in {heavy!r} if n in sys.modules))\n"
    )
    done = _run(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_scripts_named_like_the_packages_do_not_shadow_aisfolio(tmp_path):
    for name in ("strategies", "ensemble", "portfolio", "conf", "app"):
        (tmp_path / f"{name}.py").write_text(f"raise ImportError('the user script {name}.py')\n")
    code = (
        "import aisfolio\n"
        "import aisfolio.portfolio as pf\n"
        "from aisfolio.strategies import Momentum\n"
        "from aisfolio.ensemble import PaperEnsembles\n"
        "pipeline = aisfolio.pipeline_from_config(['generators=[momentum]'])\n"
        "print(type(pipeline).__name__, pf.Pipeline is type(pipeline))\n"
    )
    done = _run(code, tmp_path)  # python -c puts the script folder first on sys.path
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Pipeline True"


@pytest.mark.parametrize("face", FACES)
def test_every_name_a_face_lists_resolves(face):
    package = importlib.import_module(face)
    missing = [name for name in package.__all__ if not hasattr(package, name)]
    assert not missing
    assert set(package.__all__) <= set(dir(package))


def test_every_package_folder_is_installed_under_aisfolio():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapped = setuptools["package-dir"]
    assert set(mapped.values()) == {"conf", "ensemble", "portfolio", "strategies"}
    folders = {
        "aisfolio": ROOT / "aisfolio",
        **{name: ROOT / path for name, path in mapped.items()},
    }
    expected = set()
    for name, folder in folders.items():
        for init in folder.rglob("__init__.py"):
            relative = init.parent.relative_to(folder).parts
            expected.add(".".join((name, *relative)))
    assert sorted(setuptools["packages"]) == sorted(expected)
    assert all(name == "aisfolio" or name.startswith("aisfolio.") for name in expected)
