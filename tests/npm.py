"""The browser-side JavaScript packages, installed from npm once per test session (or once per CI run).

``node_modules()`` returns a ``node_modules`` folder holding the packages ``qd web`` loads
(``quickdraw.ui.site.LIBRARIES``: onnxruntime-web, @magenta/sketch) and @tensorflow/tfjs (the TF.js
export is run in node): ``$QD_JS_MODULES`` when it points to one (``.ci/run`` installs them once per
run), else a temporary folder filled by ``npm install --ignore-scripts`` (nothing that downloads
binaries) and removed when the session ends.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TFJS = {"@tensorflow/tfjs": "4.22.0"}  # for running TF.js exports in node; the page does not load it
_INSTALLED: dict = {}


def packages() -> dict:
    """{npm name: version} of everything the tests need."""
    from quickdraw.ui.site import LIBRARIES

    return {**{lib["package"]: lib["version"] for lib in LIBRARIES.values()}, **TFJS}


def _complete(folder: Path) -> bool:
    return all((folder / name / "package.json").is_file() for name in packages())


def node_modules(required: bool = True) -> Path | None:
    """The node_modules folder (see the module's docstring); None (or a pytest skip when ``required``) without npm."""
    import pytest

    given = os.environ.get("QD_JS_MODULES")
    if given and _complete(Path(given)):
        return Path(given)
    if "folder" in _INSTALLED:
        return _INSTALLED["folder"]
    if shutil.which("npm") is None or shutil.which("node") is None:
        if required:
            pytest.skip("node and npm are absent: the browser-side packages cannot be installed")
        return None
    root = Path(tempfile.mkdtemp(prefix="qd-npm-"))
    atexit.register(shutil.rmtree, root, True)
    (root / "package.json").write_text('{"private": true}\n')
    specs = [f"{name}@{version}" for name, version in packages().items()]
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", *specs],
                          cwd=root, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not _complete(root / "node_modules"):
        message = f"npm install {' '.join(specs)} failed: {done.stderr.strip()[-500:]}"
        if required:
            pytest.skip(message)
        return None
    _INSTALLED["folder"] = root / "node_modules"
    return _INSTALLED["folder"]
