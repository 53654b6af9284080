"""Device selection: ``auto`` takes a GPU when one is present."""

from __future__ import annotations

import torch

from specae.errors import SpecaeError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> cuda if available else cpu; ``cuda`` without a GPU is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise SpecaeError(f"--device {name}: no CUDA GPU is available here (use --device cpu or auto)")
    try:
        return torch.device(name)
    except RuntimeError:
        raise SpecaeError(f"--device {name}: not a device (use auto, cpu or cuda)") from None
