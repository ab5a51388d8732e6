"""Synthetic source data: landing files for all six entities, clean or dirty, and their manifest."""

from synthetic.dirty import BadKind
from synthetic.generate import (
    MANIFEST_NAME,
    EntityCounts,
    FileCounts,
    Manifest,
    current_hour,
    generate,
    read_manifest,
    reference_now,
)

__all__ = [
    "MANIFEST_NAME",
    "BadKind",
    "EntityCounts",
    "FileCounts",
    "Manifest",
    "current_hour",
    "generate",
    "read_manifest",
    "reference_now",
]
