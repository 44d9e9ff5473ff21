from __future__ import annotations

from datetime import datetime

from jigsaw.schemas import Output


class CheckpointOut(Output):
    tree_size: int
    note: str
    created_at: datetime


class InclusionProof(Output):
    """RFC 9162 inclusion proof; hashes in base64."""

    leaf_index: int
    tree_size: int
    leaf_hash: str
    proof: list[str]
    root_hash: str


class ConsistencyProof(Output):
    """RFC 9162 consistency proof; hashes in base64."""

    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]
