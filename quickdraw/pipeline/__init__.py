"""Stage 5, tf.data: a dataset folder as batches of bitmaps or stroke sequences (``tfdata``) and the
TFDS-shaped ``quickdraw.load`` that builds from category names first (``tfds``)."""
