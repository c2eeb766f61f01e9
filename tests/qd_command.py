"""Run the ``qd`` command inside the test process, and check the one-line refusals it must give."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

from cli.main import main


def qd(*argv) -> tuple[int, str, str]:
    """Run ``qd argv`` in this process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


def fails(argv, *needles) -> str:
    """``qd argv`` exits 1 with one line ``qd: ...`` holding every needle, and no traceback; returns the line."""
    status, out, err = qd(*argv)
    assert status == 1, (argv, out, err)
    assert err.startswith("qd: ") and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def listing(folder: Path) -> list[str]:
    """Every path below ``folder``, relative and sorted (to see that nothing was left behind)."""
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))
