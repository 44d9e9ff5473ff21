"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1.

Pure functions over leaf hashes. A tree of ``n`` leaves splits at ``k``, the largest
power of two smaller than ``n``; inclusion and consistency proofs are the PATH and
SUBPROOF of the RFC, and the verifiers follow its section 2.1.3.2 and 2.1.4.2
algorithms so a third party with any RFC 9162 library gets the same answers.

Subtree hashes come from a caller-supplied function, so the same proof code works
over an in-memory list (tests, verification) and over stored nodes (the service).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

SubtreeHash = Callable[[int, int], bytes]
"""``subtree(start, end)`` gives MTH of leaves[start:end]."""


class ProofError(ValueError):
    """A proof does not verify, or was asked for a tree that cannot hold it."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def empty_root() -> bytes:
    return hashlib.sha256(b"").digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (for n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, computed bottom-up in one pass with a stack of perfect subtrees."""
    if not leaves:
        return empty_root()
    stack: list[tuple[int, bytes]] = []  # (size, hash) of perfect subtrees, left to right
    for h in leaves:
        size, current = 1, h
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            current = node_hash(left, current)
            size += left_size
        stack.append((size, current))
    _, result = stack.pop()
    while stack:
        _, left = stack.pop()
        result = node_hash(left, result)
    return result


def list_subtree(leaves: Sequence[bytes]) -> SubtreeHash:
    """A subtree function over an in-memory list of leaf hashes."""

    def subtree(start: int, end: int) -> bytes:
        return root_of(leaves[start:end])

    return subtree


def inclusion_path(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 section 2.1.3.1, leaf first, root-most last."""
    if not 0 <= index < size:
        raise ProofError(f"Entry {index} is not in a tree of {size} entries")
    path: list[bytes] = []
    start, end = 0, size
    # Walk from the root down, collecting siblings; reverse at the end.
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start = start + k
    path.reverse()
    return path


def consistency_path(old_size: int, new_size: int, subtree: SubtreeHash) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 section 2.1.4.1."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"No consistency proof from {old_size} to {new_size} entries")
    if old_size == new_size:
        return []
    proof: list[bytes] = []
    start, end, m, complete = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                proof.append(subtree(start, end))
            break
        k = split_point(n)
        if m <= k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            start, m, complete = start + k, m - k, False
    proof.reverse()
    return proof


def _chain(seed: bytes, proof: Sequence[bytes], index: int, last: int) -> bytes:
    fn, sn, r = index, last, seed
    for p in proof:
        if sn == 0:
            raise ProofError("The proof is longer than the tree allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("The proof is shorter than the tree needs")
    return r


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof implies (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"Entry {index} is not in a tree of {size} entries")
    return _chain(leaf, proof, index, size - 1)


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError("The inclusion proof does not lead to the expected root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 section 2.1.4.2; raises ``ProofError`` unless the two trees are consistent."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"No consistency from {old_size} to {new_size} entries")
    if old_size == new_size:
        if proof:
            raise ProofError("Equal tree sizes need an empty proof")
        if old_root != new_root:
            raise ProofError("Equal tree sizes with different roots")
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    if not path:
        raise ProofError("Empty consistency proof")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("The proof is longer than the trees allow")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("The proof is shorter than the trees need")
    if fr != old_root or sr != new_root:
        raise ProofError("The consistency proof does not join the two roots")
