"""specae: encode speech spectrograms into short codes with deep autoencoders.

Modules: :mod:`specae.audio` (I/O), :mod:`specae.features` (frontend, normaliser),
:mod:`specae.patches`, :mod:`specae.inversion` (mel->linear, Griffin-Lim),
:mod:`specae.metrics` (LSD, MCD, ...), :mod:`specae.cli` (the ``specae`` command).
"""

from specae.errors import SpecaeError

__version__ = "0.1.0"
__all__ = ["SpecaeError", "__version__"]
