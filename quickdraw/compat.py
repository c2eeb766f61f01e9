"""Drop-in replacement for the ``quickdraw`` PyPI package (Martin O'Hanlon's, version 1.0.0).

That package and qd both install the top-level name ``quickdraw``, so a student cannot have both.
Code written against it runs here with the same names, arguments, defaults and return types:

>>> from quickdraw.compat import QuickDrawData
>>> qd = QuickDrawData()
>>> anvil = qd.get_drawing("anvil")                                 # doctest: +SKIP
>>> anvil.image.save("my_anvil.gif")                                # doctest: +SKIP
>>> for ant in qd.get_drawing_group("ant").drawings:                # doctest: +SKIP
...     print(ant.countrycode, ant.no_of_strokes, ant.strokes[0][:2])

As in that package: drawings come from the ``full/binary`` files; ``key_id`` and ``timestamp``
(unix seconds) are ints, ``recognized`` a bool, ``countrycode`` a 2-character str;
``image_data`` is ``[(xs, ys), ...]`` (tuples of ints), ``strokes`` ``[[(x, y), ...], ...]``;
``image`` is a 255x255 RGB PIL image, black lines 2 pixels wide on white, drawn by
``ImageDraw.line``; an animation has one frame per line segment and saves as a GIF. Unknown names
raise ValueError (``UnknownDrawingError``, also a ``QuickDrawError``), indexes past the end
IndexError; random picks use the ``random`` module (``random.seed`` repeats them).

Differences, on purpose:

- Only what is read is fetched: the first ``max_drawings`` drawings (after the ``recognized``
  filter) of a category's binary file, through qd's partial reader (``quickdraw.drawings``,
  HTTP Range requests), instead of the whole file (megabytes to hundreds of megabytes each).
  ``max_drawings=None`` still reads the whole file. A file holding fewer drawings gives fewer.
- The mirror comes from ``$QD_MIRROR`` (else Google's public bucket) like every qd command, or
  from the extra keyword argument ``mirror=``.
- ``cache_dir`` and ``refresh_data`` are accepted and ignored: qd's partial reads are not cached,
  so every group is fetched afresh (as ``refresh_data=True`` would) and nothing is written to
  ``./.quickdrawcache``. Use ``qd download`` for cached whole files.
- Names are matched as qd matches them (case-insensitive, ``_``/``-`` for spaces: "Eiffel" needs
  "the eiffel tower"); ``name`` and ``loaded_drawings`` give the official spelling. The error
  message names the closest categories.
- Each loop over ``QuickDrawDataGroup.drawings`` starts at the first drawing. In the original one
  cursor is shared by all loops, so after a loop that stops early (``break``) the next loop, and
  ``search_drawings``, resume where it stopped and miss the drawings before.
- Network and mirror errors are qd's ``QuickDrawError`` (an Exception, as in the original) with
  qd's messages. Saving an animation without frames (a drawing made of single points only) raises
  ValueError instead of an IndexError from inside Pillow.
"""
from __future__ import annotations

import random
from datetime import datetime, timezone

from .categories import names as _official_names, resolve as _resolve
from .errors import QuickDrawError

__all__ = ["QuickDrawData", "QuickDrawDataGroup", "QuickDrawing", "QuickDrawAnimation", "UnknownDrawingError"]

CACHE_DIR = "./.quickdrawcache"  # the original's default; accepted, never used (see the docstring)


class UnknownDrawingError(QuickDrawError, ValueError):
    """A name that is not one of the 345 categories (a ValueError, as the original raises)."""


def _category(name) -> str:
    try:
        return _resolve(str(name))
    except QuickDrawError as err:
        raise UnknownDrawingError(f"{name} is not a valid google quick drawing: {err}") from None


def _seconds(text: str) -> int:
    """qd's '2017-03-20 16:17:04 UTC' -> unix seconds ('' -> 0, the binary format's zero)."""
    if not text:
        return 0
    return int(datetime.fromisoformat(text[:19]).replace(tzinfo=timezone.utc).timestamp())


def _record(drawing) -> dict:
    """A qd Drawing read from a binary file -> the original's per-drawing dict, with its types."""
    return {
        "key_id": int(drawing.key_id or 0),
        "countrycode": drawing.countrycode.encode("latin-1").ljust(2, b"\0"),  # qd drops the NUL padding
        "recognized": int(bool(drawing.recognized)),
        "timestamp": _seconds(drawing.timestamp),
        "n_strokes": len(drawing.strokes),
        "image": [(tuple(s[0].tolist()), tuple(s[1].tolist())) for s in drawing.strokes],
    }


class QuickDrawData:
    """Access to the Quick, Draw! drawings by name, each category loaded when first asked for.

    ``recognized``: True keeps recognized drawings, False unrecognized ones, None (the default) all.
    ``max_drawings``: drawings loaded per category (default 1000; None: the whole file).
    ``refresh_data``, ``cache_dir``: accepted and ignored (nothing is cached, see the module docstring).
    ``jit_loading``: False loads all 345 categories now. ``print_messages``: print what is fetched.
    ``mirror`` (keyword only, not in the original): the mirror, default ``$QD_MIRROR`` or the bucket.
    """

    def __init__(self, recognized=None, max_drawings=1000, refresh_data=False, jit_loading=True,
                 print_messages=True, cache_dir=CACHE_DIR, *, mirror=None):
        self._recognized = recognized
        self._max_drawings = max_drawings
        self._refresh_data = refresh_data
        self._print_messages = print_messages
        self._cache_dir = cache_dir
        self._mirror = mirror
        self._drawing_groups: dict[str, QuickDrawDataGroup] = {}
        if not jit_loading:
            self.load_all_drawings()

    def get_drawing(self, name, index=None) -> "QuickDrawing":
        """Return drawing ``index`` of category ``name``; a random one when ``index`` is None."""
        return self.get_drawing_group(name).get_drawing(index)

    def get_drawing_group(self, name) -> "QuickDrawDataGroup":
        """Return the ``QuickDrawDataGroup`` of ``name``, loading it the first time."""
        official = _category(name)
        if official not in self._drawing_groups:
            self._drawing_groups[official] = QuickDrawDataGroup(
                official, recognized=self._recognized, max_drawings=self._max_drawings,
                refresh_data=self._refresh_data, print_messages=self._print_messages,
                cache_dir=self._cache_dir, mirror=self._mirror)
        return self._drawing_groups[official]

    def search_drawings(self, name, key_id=None, recognized=None, countrycode=None, timestamp=None) -> list:
        """Return the loaded drawings of ``name`` matching every criterion given (None: any)."""
        return self.get_drawing_group(name).search_drawings(key_id, recognized, countrycode, timestamp)

    def load_all_drawings(self) -> None:
        """Load every category (``max_drawings`` drawings of each)."""
        self.load_drawings(self.drawing_names)

    def load_drawings(self, list_of_drawings) -> None:
        """Load the categories named in ``list_of_drawings``."""
        for name in list_of_drawings:
            self.get_drawing_group(name)

    @property
    def drawing_names(self) -> list[str]:
        """The 345 category names, in the original's order (its file listing's)."""
        return sorted(_official_names(), key=lambda n: n.lower() + ".bin")

    @property
    def loaded_drawings(self) -> list[str]:
        """The names of the categories loaded so far."""
        return list(self._drawing_groups)


class QuickDrawDataGroup:
    """The first ``max_drawings`` drawings of one category, fetched when the group is made.

    Arguments as for ``QuickDrawData`` (``name`` first). Raises ValueError for an unknown name.
    """

    def __init__(self, name, recognized=None, max_drawings=1000, refresh_data=False, print_messages=True,
                 cache_dir=CACHE_DIR, *, mirror=None):
        from .fetch import remote
        from .fetch.download import drawings

        self._name = _category(name)
        self._recognized = recognized
        self._max_drawings = max_drawings
        self._print_messages = print_messages
        self._cache_dir = cache_dir
        count = None if max_drawings is None else max(0, int(max_drawings))
        what = "all" if count is None else f"the first {count}"
        self._print_message(f"downloading {what} {self._name} drawings from "
                            f"{remote.url_for(self._name, 'binary', mirror)}")
        keep = None if recognized is None else bool(recognized)
        self._drawings = [_record(d) for d in drawings(self._name, count=count, format="binary",
                                                       mirror=mirror, recognized=keep, allow_short=True)]
        self._print_message(f"load complete: {len(self._drawings)} {self._name} drawings")

    def _print_message(self, message: str) -> None:
        if self._print_messages:
            print(message)

    @property
    def drawing_count(self) -> int:
        """The number of drawings loaded."""
        return len(self._drawings)

    @property
    def drawings(self):
        """A generator of the loaded drawings as ``QuickDrawing`` objects, first to last."""
        return (QuickDrawing(self._name, data) for data in self._drawings)

    def get_drawing(self, index=None) -> "QuickDrawing":
        """Return drawing ``index`` (negative counts from the end); a random one when it is None."""
        if index is None:
            if not self._drawings:
                raise IndexError(f"there are no {self._name} drawings to choose from (max_drawings="
                                 f"{self._max_drawings}, recognized={self._recognized})")
            return QuickDrawing(self._name, random.choice(self._drawings))
        if index < self.drawing_count:
            try:
                return QuickDrawing(self._name, self._drawings[index])
            except IndexError:
                pass
        raise IndexError(f"index {index} out of range, there are {self.drawing_count} drawings")

    def search_drawings(self, key_id=None, recognized=None, countrycode=None, timestamp=None) -> list:
        """Return the drawings matching every criterion given (None: any), in order."""
        return [d for d in self.drawings
                if (key_id is None or key_id == d.key_id)
                and (recognized is None or recognized == d.recognized)
                and (countrycode is None or countrycode == d.countrycode)
                and (timestamp is None or timestamp == d.timestamp)]


class QuickDrawing:
    """One drawing: ``name`` and the original's per-drawing dict (key_id, countrycode, recognized,
    timestamp, n_strokes, image)."""

    def __init__(self, name, drawing_data):
        self._name = name
        self._drawing_data = drawing_data
        self._strokes = None
        self._image = None
        self._animation = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._drawing_data["key_id"]

    @property
    def countrycode(self) -> str:
        code = self._drawing_data["countrycode"]
        return code.decode("utf-8", "replace") if isinstance(code, bytes) else code

    @property
    def recognized(self) -> bool:
        return bool(self._drawing_data["recognized"])

    @property
    def timestamp(self) -> int:
        """When the drawing was made, in seconds since the epoch."""
        return self._drawing_data["timestamp"]

    @property
    def no_of_strokes(self) -> int:
        return self._drawing_data["n_strokes"]

    @property
    def image_data(self) -> list:
        """The strokes as ``[(xs, ys), ...]``: tuples of ints 0-255, origin at the top left."""
        return self._drawing_data["image"]

    @property
    def strokes(self) -> list:
        """The strokes as lists of (x, y) tuples."""
        if self._strokes is None:
            self._strokes = [list(zip(xs, ys, strict=True)) for xs, ys in self.image_data]
        return self._strokes

    @property
    def image(self):
        """The drawing as a 255x255 RGB PIL image, black on white (see ``get_image``)."""
        if self._image is None:
            self._image = self.get_image()
        return self._image

    def get_image(self, stroke_color=(0, 0, 0), stroke_width=2, bg_color=(255, 255, 255)):
        """Return a new 255x255 RGB PIL image with each stroke drawn as one polyline."""
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (255, 255), color=bg_color)
        pen = ImageDraw.Draw(image)
        for stroke in self.strokes:
            pen.line(stroke, fill=stroke_color, width=stroke_width)
        return image

    @property
    def animation(self) -> "QuickDrawAnimation":
        """The drawing being drawn, black on white (see ``get_animation``)."""
        if self._animation is None:
            self._animation = self.get_animation()
        return self._animation

    def get_animation(self, stroke_color=(0, 0, 0), stroke_width=2, bg_color=(255, 255, 255)):
        """Return a ``QuickDrawAnimation``: one frame per line segment drawn."""
        return QuickDrawAnimation(self, stroke_color, stroke_width, bg_color)

    def __str__(self) -> str:
        return f"QuickDrawing key_id={self.key_id}"


class QuickDrawAnimation:
    """The frames of a drawing being drawn, a segment at a time; ``save`` writes a GIF."""

    def __init__(self, quick_drawing, stroke_color, stroke_width, bg_color):
        from PIL import Image, ImageDraw

        self._quick_drawing = quick_drawing
        self._frames = []
        image = Image.new("RGB", (255, 255), color=bg_color)
        pen = ImageDraw.Draw(image)
        for stroke in quick_drawing.strokes:
            for start, end in zip(stroke, stroke[1:]):
                pen.line((start, end), fill=stroke_color, width=stroke_width)
                self._frames.append(image.copy())

    @property
    def frames(self) -> list:
        """The frames, PIL images."""
        return self._frames

    def save(self, filename, frame_length=0.1, loop_times=0) -> None:
        """Write the animation as a GIF: ``frame_length`` seconds a frame, looping ``loop_times``
        times (0: forever, None: played once). Pillow merges consecutive identical frames."""
        if not self._frames:
            raise ValueError(f"{self._quick_drawing} has no line segments to animate")
        extra = {} if loop_times is None else {"loop": loop_times}
        self._frames[0].save(filename, save_all=True, append_images=self._frames[1:],
                             duration=frame_length * 1000, **extra)
