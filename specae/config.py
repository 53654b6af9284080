"""Dataclass configs loaded from YAML, with clear errors for unknown or mistyped fields."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, TypeVar

import yaml

from specae.errors import SpecaeError

T = TypeVar("T")


def from_dict(cls: type[T], data: dict[str, Any], source: str = "config") -> T:
    """Build dataclass ``cls`` from ``data``; unknown keys or bad values raise SpecaeError."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise SpecaeError(
            f"{source}: unknown {cls.__name__} field(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(names))})"
        )
    try:
        return cls(**data)
    except (TypeError, ValueError) as exc:
        raise SpecaeError(f"{source}: {exc}") from None


def load_yaml(path: str | os.PathLike) -> dict[str, Any]:
    """Read a YAML mapping; a missing file or non-mapping content raises SpecaeError."""
    path = Path(path)
    if not path.is_file():
        raise SpecaeError(f"{path}: no such config file")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SpecaeError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise SpecaeError(f"{path}: expected a YAML mapping at the top level")
    return data


def section_from_yaml(cls: type[T], path: str | os.PathLike, section: str) -> T:
    """Load ``cls`` from the ``section`` mapping of a YAML file (or the whole file if absent)."""
    data = load_yaml(path)
    part = data.get(section, data)
    if not isinstance(part, dict):
        raise SpecaeError(f"{path}: section '{section}' must be a mapping")
    return from_dict(cls, part, source=str(path))
