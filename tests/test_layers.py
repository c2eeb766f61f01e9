"""Imports point down only (quickdraw's data < its classifier, sketchrnn < cli; inside quickdraw, stage by
stage) and no two modules import each other, directly or through others: import-linter's contracts in
pyproject.toml, and grimp's graph. quickdraw's folder shows the stages and nothing else."""
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STAGES = "quickdraw's stages: each imports only the ones below it"
# What `ls quickdraw` shows: the public entry points, then one folder per stage of the data's path.
TOP = {"__init__.py", "errors.py", "categories.py", "compat.py", "synthetic.py", "data",
       "core", "formats", "raster", "fetch", "ui", "builder", "pipeline", "classifier"}
PACKAGES = ("quickdraw", "sketchrnn", "cli")

# Prints each import a -> b whose target leads back to a (a cycle), then exits 1 if there was one.
CYCLES = textwrap.dedent("""
    import grimp
    graph = grimp.build_graph("quickdraw", "sketchrnn", "cli", cache_dir=None)
    cycles = sorted((a, b) for a in graph.modules for b in graph.find_modules_directly_imported_by(a)
                    if graph.find_shortest_chain(importer=b, imported=a))
    for a, b in cycles:
        print(f"cycle: {a} -> {b} -> ... -> {a}")
    raise SystemExit(1 if cycles else 0)
""")


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                           "sys.argv = ['lint-imports', '--no-cache']; lint_imports_command()"],
                          cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


def _cycles(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CYCLES], cwd=root, env={"PYTHONPATH": str(root)},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture()
def copy(tmp_path) -> Path:
    """A copy of the three packages and pyproject.toml to break on purpose."""
    pytest.importorskip("importlinter")
    for name in PACKAGES:
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + "\n" + line + "\n")


def test_the_layer_contracts_are_kept():
    pytest.importorskip("importlinter")
    done = _lint(REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 kept, 0 broken" in done.stdout


def test_no_module_imports_one_that_leads_back_to_it():
    pytest.importorskip("grimp")
    done = _cycles(REPO)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]


@pytest.mark.parametrize("where, line, contract", [
    ("quickdraw/builder/info.py", "import sketchrnn.config", "data below models below the command line"),
    ("sketchrnn/config.py", "import cli.main", "data below models below the command line"),
    ("quickdraw/raster/render.py", "from quickdraw.classifier import runs", "quickdraw's data modules import no model"),
    ("quickdraw/fetch/remote.py", "from quickdraw.builder import plan", STAGES),
    ("quickdraw/formats/ndjson.py", "from quickdraw.raster import render", STAGES),
    ("quickdraw/raster/simplify.py", "from quickdraw.ui import window", STAGES),
    ("quickdraw/builder/records.py", "from quickdraw.pipeline import tfdata", STAGES),
    ("quickdraw/ui/window.py", "from quickdraw.fetch import cache", STAGES),
    ("quickdraw/core/atomic.py", "from quickdraw.formats import table", STAGES),
    ("sketchrnn/data.py", "from quickdraw.classifier import predict", "the two models do not know each other"),
    ("quickdraw/errors.py", "from quickdraw import categories", "no cycles between sibling modules or packages"),
])
def test_an_import_pointing_up_or_around_breaks_a_contract(copy, where, line, contract):
    _append(copy / where, line)
    done = _lint(copy)
    assert done.returncode != 0
    assert f"{contract} BROKEN" in done.stdout, done.stdout[-3000:]


def test_a_new_cycle_between_modules_is_found(copy):
    pytest.importorskip("grimp")
    _append(copy / "sketchrnn/config.py", "from sketchrnn import runs")  # runs imports config
    done = _cycles(copy)
    assert done.returncode == 1
    assert "cycle: sketchrnn.config -> sketchrnn.runs" in done.stdout


def test_quickdraw_shows_its_stages_and_nothing_else():
    found = {p.name for p in (REPO / "quickdraw").iterdir() if p.name != "__pycache__"}
    assert found == TOP, f"new at the top: {sorted(found - TOP)}; gone: {sorted(TOP - found)} (put modules in a stage)"
    for stage in TOP - {"data"}:
        if (REPO / "quickdraw" / stage).is_dir():
            assert (REPO / "quickdraw" / stage / "__init__.py").read_text().startswith('"""'), stage
