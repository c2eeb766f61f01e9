"""Run a command for which file permissions hold, wherever the checkout and its virtual environment live.

Root writes into read-only folders (the kernel lets it override file permissions), so a test of a
read-only folder must take that power away. Dropping to another user would also cut the child off from
a checkout (and the ``.venv`` in it) that lies in a folder only root may enter, such as a clone under
``/root`` or in a ``mktemp -d`` folder. Instead the child stays root without the two capabilities that
override permissions (``setpriv``, util-linux): it reads what root owns, and a folder of mode 555 refuses it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

DROPPED = "-dac_override,-dac_read_search"


def permissions_hold(cmd: list[str]) -> list[str]:
    """``cmd`` as run with file permissions enforced: as root through ``setpriv``, else as it is."""
    if os.geteuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root overrides file permissions and setpriv (util-linux) is absent to stop it")
    return [setpriv, f"--bounding-set={DROPPED}", f"--inh-caps={DROPPED}", "--", *cmd]


def qd_commands(commands, cwd, timeout: float = 240) -> subprocess.CompletedProcess:
    """Run each ``qd`` argv of ``commands`` in one child for which permissions hold; it prints ``status N``
    after each. Returns the finished process (its stdout and stderr as text)."""
    code = ("import json, sys; from cli.main import main; "
            "[print('status', main(argv), flush=True) for argv in json.loads(sys.argv[1])]")
    argv = json.dumps([[str(a) for a in c] for c in commands])
    return subprocess.run(permissions_hold([sys.executable, "-c", code, argv]), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
