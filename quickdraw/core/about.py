"""What qd is: its version and the attribution every dataset it builds carries."""
__version__ = "0.1.0"

ATTRIBUTION = ('Data: Google Creative Lab, "The Quick, Draw! Dataset", CC BY 4.0, '
               "https://github.com/googlecreativelab/quickdraw-dataset")
