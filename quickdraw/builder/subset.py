"""Build class-filtered, balanced, split dataset folders from the bucket, a mirror or synthetic doodles.

Two runners write the same folder: ``local`` streams on this machine (``stream``: memory bounded
by a shard and a spill bucket, not by the number of drawings) and ``beam`` runs an Apache Beam pipeline
(``beam``, ``pip install 'qd[beam]'``). Where each drawing goes is ``plan``'s.

>>> build(["cat", "dog"], count=100, out="homework/")  # doctest: +SKIP
PosixPath('homework')
"""
from __future__ import annotations

import glob
import os
import shutil
import sys
from contextlib import ExitStack
from pathlib import Path

from ..categories import resolve_all
from ..core import validate
from ..core.atomic import reporting
from ..errors import QuickDrawError
from ..fetch.cache import locked
from .folder import FORMAT_VERSION, MANIFEST, SPLITS, is_dataset, open_dataset  # noqa: F401
from .plan import SHARD_SIZE, split_sizes  # noqa: F401
from .records import MAX_POINTS, RENDER_CHUNK, Choice, manifest, write_manifest  # noqa: F401

SOURCES = ("simplified", "binary", "raw", "bitmap")
RUNNERS = ("local", "beam")


def build(categories, count, out, *, source: str = "simplified", recognized: bool | None = None,
          countries=None, splits=(0.8, 0.1, 0.1), seed: int = 0, sample: str = "first", mirror=None,
          size: int = 28, synthetic: bool = False, allow_short: bool = False, force: bool = False,
          quiet: bool = False, runner: str = "local", beam_options: str | None = None, warn=None) -> Path:
    """Build a dataset folder at ``out`` with ``count`` drawings per class; return its path.

    ``count`` "all" takes every drawing of each class (not with ``synthetic``, which never ends).
    ``recognized`` None keeps all drawings, True only recognized ones, False only unrecognized ones.
    ``countries`` is a list of two-letter codes. With ``synthetic`` the drawings come from
    ``quickdraw.synthetic`` (no network) and are labelled synthetic everywhere. ``runner`` "beam" runs
    the build as an Apache Beam pipeline with ``beam_options`` (a command line of pipeline options).
    With ``allow_short``, a class that holds fewer than ``count`` drawings gives what it has and the
    dataset is unbalanced: ``warn(message)`` says so (default ``warnings.warn``), naming the classes.
    """
    from .. import synthetic as synth

    if runner not in RUNNERS:
        raise QuickDrawError(f"unknown {validate.option('runner')} {validate.shown(runner)}; choose local or beam")
    if beam_options and runner != "beam":
        raise QuickDrawError(f"{validate.option('beam_options')} needs {validate.option('runner', 'beam')}")
    every = isinstance(count, str) and count.strip().lower() == "all"
    count = None if every else validate.count(count)
    seed = validate.seed(seed)
    splits, size = validate.splits(splits), validate.integer("size", size, 8, 256)
    if source not in SOURCES:
        raise QuickDrawError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    if sample not in ("first", "random"):
        raise QuickDrawError(f"unknown {validate.option('sample')} {validate.shown(sample)}; choose first or random")
    if synthetic:
        if every:
            raise QuickDrawError(f"{validate.option('count', 'all')} needs real categories: synthetic doodles never "
                                 f"run out; give {validate.option('count')} a number")
        names = list(categories) or list(synth.CLASSES)
        unknown = [n for n in names if n not in synth.CLASSES]
        if unknown:
            raise QuickDrawError(f"no synthetic doodles for {', '.join(unknown)}; "
                                 f"synthetic classes are: {', '.join(synth.CLASSES)}")
    else:
        if not categories:
            raise QuickDrawError(f"name at least one category (or use {validate.option('synthetic', True)})")
        names = resolve_all(list(categories))
    if source == "bitmap" and (recognized is not None or countries) and not synthetic:
        raise QuickDrawError(f"the numpy_bitmap files carry no metadata: {validate.option('recognized')} and "
                             f"{validate.option('countries')} need a vector source (simplified, binary or raw)")
    if source == "bitmap" and not synthetic and size != 28:
        raise QuickDrawError(f"{validate.option('source', 'bitmap')} gives the official 28x28 bitmaps; use "
                             f"{validate.option('size', 28)}, or a vector source (simplified, binary, raw) to render "
                             "other sizes")
    if runner == "beam":
        from .beam import require_beam
        require_beam()
    countries = tuple(sorted({c.upper() for c in countries})) if countries else None
    choice = Choice(count=count, source=source, recognized=recognized, countries=countries, sample=sample,
                    seed=seed, mirror=None if mirror is None else str(mirror), synthetic=bool(synthetic),
                    allow_short=allow_short)
    has_strokes = source != "bitmap" or bool(synthetic)
    out = target(out)
    with reporting(out.parent, "create"):
        out.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        with reporting(out.parent, "write to"):
            stack.enter_context(locked(out.with_name("." + out.name), bar=_Waiting(out)))
        _prepare_out(out, force)
        tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
        try:
            with reporting(out.parent, "write to"):
                tmp.mkdir()
            if runner == "beam":
                from .beam import build_beam
                build_beam(tmp, out, names, choice, splits, size, has_strokes, beam_options)
            else:
                _build_local(tmp, out, names, choice, splits, size, has_strokes, quiet)
            with reporting(out, "replace"):
                _swap_into_place(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    message = unbalanced(out)
    if message:
        if warn is None:
            import warnings
            warnings.warn(message, stacklevel=2)
        else:
            warn(message)
    return out


def unbalanced(path) -> str | None:
    """A one-line note naming the classes of dataset ``path`` that hold fewer drawings than the others
    (what ``allow_short`` gives when a class runs out), or None for a balanced dataset."""
    manifest = open_dataset(path).manifest
    totals = {name: sum(counts.get(name, 0) for counts in manifest["counts"].values()) for name in manifest["classes"]}
    most = max(totals.values(), default=0)
    short = {name: n for name, n in totals.items() if n < most}
    if not short:
        return None
    listed = ", ".join(f"{name} {n}" for name, n in sorted(short.items(), key=lambda kv: kv[1])[:8])
    more = f" (+{len(short) - 8} more)" if len(short) > 8 else ""
    return (f"the dataset is unbalanced: {len(short)} of {len(totals)} classes ran short ({listed}{more} drawings; "
            f"the others {most}); `qd info {path}` shows the counts per class and split")


def _build_local(tmp, out, names, choice, splits, size, has_strokes, quiet) -> None:
    from .stream import build_local

    bar = _progress(None if choice.count is None else choice.count * len(names), "building", quiet)
    try:
        counts, shards, scale, urls = build_local(tmp, out, names, choice, splits, size, has_strokes, bar)
    finally:
        bar.close()
    write_manifest(tmp, out, manifest(names, counts, shards, scale, urls, choice=choice, splits=splits,
                                      size=size, has_strokes=has_strokes))


def target(out) -> Path:
    """The absolute path of a dataset folder to build, refusing the current folder, its parents and "/"."""
    if out is None or str(out) == "":
        raise QuickDrawError(f"{validate.option('out')} needs a folder name")
    path = Path(os.path.abspath(out))
    if path.name in ("", ".", "..") or Path.cwd().is_relative_to(path):
        raise QuickDrawError(f"{validate.option('out')} {out} is the current folder or one above it; name a new "
                             f"folder for the dataset, e.g. {validate.option('out', 'homework')}")
    return path


class _Waiting:
    """Says once, on stderr, that another process holds the output folder's lock (for ``cache.locked``)."""

    def __init__(self, out: Path):
        self.out, self.said = out, False

    def set_postfix_str(self, text: str) -> None:
        if text and not self.said:
            print(f"qd: --out {self.out} is being built by another qd ({text})", file=sys.stderr, flush=True)
            self.said = True


def _prepare_out(out: Path, force: bool) -> None:
    """Check, before any work, that ``out`` can take a dataset; remove partial builds of dead processes."""
    if out.exists() and not out.is_dir():
        raise QuickDrawError(f"{validate.option('out')} {out} is a file, not a folder")
    if out.is_dir():
        if os.path.ismount(out):
            raise QuickDrawError(f"{validate.option('out')} {out} is a mount point; qd builds beside the folder and renames it "
                                 f"into place, so name a folder inside it, e.g. {out / 'dataset'}")
        if not is_dataset(out) and any(out.iterdir()):
            raise QuickDrawError(f"{validate.option('out')} {out} holds files that are not a qd dataset; choose "
                                 "another folder")
        if is_dataset(out) and not force:
            raise QuickDrawError(f"{validate.option('out')} {out} already holds a dataset; choose another folder or "
                                 f"pass {validate.option('force', True)}")
    _remove_stale(out)


def _remove_stale(out: Path) -> None:
    """Remove ``.<out>.partial-<pid>`` and ``.<out>.old-<pid>`` folders whose process is gone."""
    for kind in ("partial", "old"):
        for path in out.parent.glob(f".{glob.escape(out.name)}.{kind}-*"):
            pid = path.name.rsplit("-", 1)[1]
            if pid.isdigit() and not _alive(int(pid)) and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_into_place(tmp: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _progress(total, desc, quiet):
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=" drawings", disable=quiet or not sys.stderr.isatty())
