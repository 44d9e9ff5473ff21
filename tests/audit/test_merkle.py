# ruff: noqa: E501  (the published test vectors are kept whole, one per line)
"""RFC 9162 tree, proofs and verifiers against the transparency-dev test vectors.

Vectors: github.com/transparency-dev/merkle, testdata/inclusion/{1,2,3,4}/happy-path.json,
testdata/inclusion/1/wrong-leaf.json and testdata/consistency/{0,1,2,3}/happy-path.json.
They are over the eight-leaf reference tree of RFC 6962's test suite, whose leaf inputs
are listed below.
"""

from base64 import b64decode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jigsaw.audit.merkle import (
    ProofError,
    consistency_path,
    inclusion_path,
    leaf_hash,
    list_subtree,
    root_of,
    verify_consistency,
    verify_inclusion,
)

LEAF_INPUTS = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
LEAVES = [leaf_hash(bytes.fromhex(x)) for x in LEAF_INPUTS]


def b(text: str) -> bytes:
    return b64decode(text)


ROOTS = {
    1: b("bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0="),
    2: b("+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU="),
    3: b("rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc="),
    5: b("Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ="),
    6: b("duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8="),
    8: b("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="),
}

INCLUSION = [  # (leafIdx, treeSize, leafHash, proof)
    (0, 8, "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
     ["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
      "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="]),
    (5, 8, "QnGia+DYqE8L1UyMMC58s6O10fpngKQLzOKHNHfatlg=",
     ["vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=", "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
      "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="]),
    (2, 3, "ApjRIpBtz8EIkstTpzmS/FufST6kybrbJ7eRtBJ6f+c=",
     ["+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU="]),
    (1, 5, "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
     ["bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
      "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="]),
]  # fmt: skip

CONSISTENCY = [  # (size1, size2, proof)
    (1, 1, []),
    (1, 8, ["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="]),
    (6, 8, ["DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=", "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
            "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="]),
    (2, 5, ["Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=", "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="]),
]  # fmt: skip


@pytest.mark.parametrize("size", sorted(ROOTS))
def test_roots_match_the_reference_tree(size: int) -> None:
    assert root_of(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "leaf", "proof"), INCLUSION)
def test_inclusion_vectors(index: int, size: int, leaf: str, proof: list[str]) -> None:
    assert LEAVES[index] == b(leaf)
    expected = [b(p) for p in proof]
    assert inclusion_path(index, size, list_subtree(LEAVES[:size])) == expected
    verify_inclusion(index, size, b(leaf), expected, ROOTS[size])


def test_wrong_leaf_vector_is_refused() -> None:
    proof = [b(p) for p in INCLUSION[0][3]]
    with pytest.raises(ProofError):
        verify_inclusion(0, 8, b("V3JvbmdMZWFm"), proof, ROOTS[8])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_vectors(old: int, new: int, proof: list[str]) -> None:
    expected = [b(p) for p in proof]
    assert consistency_path(old, new, list_subtree(LEAVES[:new])) == expected
    verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY[1:])
def test_tampered_consistency_proofs_are_refused(old: int, new: int, proof: list[str]) -> None:
    nodes = [b(p) for p in proof]
    for i in range(len(nodes)):
        flipped = [*nodes]
        flipped[i] = bytes([flipped[i][0] ^ 0x10]) + flipped[i][1:]
        with pytest.raises(ProofError):
            verify_consistency(old, new, ROOTS[old], ROOTS[new], flipped)
    with pytest.raises(ProofError):
        verify_consistency(old, new, ROOTS[old], ROOTS[new], nodes[:-1])
    with pytest.raises(ProofError):
        verify_consistency(old, new, ROOTS[old], ROOTS[new], [*nodes, nodes[0]])


@given(st.data())
def test_every_proof_verifies_in_random_trees(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 70))
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    subtree = list_subtree(leaves)
    root = root_of(leaves)
    index = data.draw(st.integers(0, size - 1))
    verify_inclusion(index, size, leaves[index], inclusion_path(index, size, subtree), root)
    old = data.draw(st.integers(1, size))
    proof = consistency_path(old, size, subtree)
    verify_consistency(old, size, root_of(leaves[:old]), root, proof)
    with pytest.raises(ProofError):
        verify_inclusion(
            index, size, leaf_hash(b"forged"), inclusion_path(index, size, subtree), root
        )
