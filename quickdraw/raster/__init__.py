"""Stage 3, pictures: the raw -> simplified recipe (``simplify``), the official 28x28 raster recipe
(``render``), the dataset's 0-255 frame (``frame``); each hot loop is a numba kernel beside its module
(``simplify_kernel``, ``render_kernel``), imported on first use and given everything as arguments."""
