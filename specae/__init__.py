"""specae: encode speech spectrograms into short codes with deep autoencoders.

Modules: :mod:`specae.audio` (I/O), :mod:`specae.features` (frontend, normaliser),
:mod:`specae.patches`, :mod:`specae.models` (autoencoder, RBMs, pretraining),
:mod:`specae.training`, :mod:`specae.coder` (a trained model: ``load_model``),
:mod:`specae.codec` (.sae code files), :mod:`specae.inversion` (mel->linear, Griffin-Lim),
:mod:`specae.metrics` (LSD, MCD, ...), :mod:`specae.cli` (the ``specae`` command).
"""

from specae.coder import SpeechCoder, load_model
from specae.errors import SpecaeError

__version__ = "0.1.0"
__all__ = ["SpecaeError", "SpeechCoder", "__version__", "load_model"]
