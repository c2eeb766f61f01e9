"""Numbers the renderer (``render.py``) and its compiled kernel (``raster_kernel.py``) share.

>>> FRAME, SLOPES
(256.0, 128)
"""
FRAME = 256.0  # the simplified data's frame: coordinates 0-255, pixel edges 0-256
SLOPES = 128  # band table: slope steps over [-1, 1]
