"""A linkage run that was killed leaves its scratch files only until the next run starts."""

from __future__ import annotations

import fcntl
import tempfile
from pathlib import Path

import pytest

from jigsaw.db import Database
from jigsaw.linkage import engine
from jigsaw.linkage.batch import run_linkage
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.synthetic.service import generate_population


def _left_by_a_killed_run(root: Path, name: str) -> Path:
    """What a run killed mid-way leaves: its folder, DuckDB file and spill, unlocked."""
    folder = root / name
    (folder / "spill").mkdir(parents=True)
    (folder / "linkage.duckdb").write_bytes(b"\0" * 1_000_000)
    (folder / "spill" / "duckdb_temp_block-1.block").write_bytes(b"\0" * 1_000_000)
    (folder / ".in-use").touch()
    return folder


def test_the_next_run_removes_what_a_killed_run_left(
    private_database: Database,
    test_model: LinkageModel,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    root = engine.scratch_root()
    assert root.parent == tmp_path
    killed = _left_by_a_killed_run(root, "4242-20261205T231500-abcd1234")
    generate_population(private_database, children=8, seed=3, batch_size=8, progress=False)

    summary = run_linkage(private_database, model=test_model)

    assert summary.records > 0
    assert not killed.exists()
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == []


def test_a_running_run_keeps_its_folder_while_another_starts(tmp_path: Path) -> None:
    live = _left_by_a_killed_run(tmp_path, "1-20261206T000000-live")
    with (live / ".in-use").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as the live run's process holds it
        with engine.scratch_folder(tmp_path) as mine:
            assert mine.is_dir() and mine.parent == tmp_path
            assert live.exists()
        assert not mine.exists()
    with engine.scratch_folder(tmp_path):
        assert not live.exists()
