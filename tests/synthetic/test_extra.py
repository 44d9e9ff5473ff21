"""The generator is a development and demo extra, not part of the service.

A deployment installs the package without the ``demo`` extra (no Faker) and migrates a
database that never gets a truth table; the service must start, and its schema must be
whole, without either. The generator brings its own table to the databases it fills.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from jigsaw import migrate
from jigsaw.db import Database
from jigsaw.errors import JigsawError
from jigsaw.models import Base
from jigsaw.synthetic.models import TRUTH_TABLE, SyntheticTruth, has_truth_table
from jigsaw.synthetic.service import generate_population
from tests.helpers import fresh_python

SOURCE = Path(__file__).resolve().parents[2] / "src" / "jigsaw"
GENERATOR = ("jigsaw.synthetic", "faker")
PART_OF_THE_GENERATOR = ("synthetic/", "demo.py")
"""The generator itself and the demo built on it: only the demo extra installs these."""
REACH_IT_WHEN_ASKED = ("benchmark.py", "cli.py", "linkage/evaluate.py")
"""Commands for development (``jigsaw generate``, ``demo``, ``linkage evaluate``,
``linkage benchmark --dataset hard``) that import the generator inside the command, so
the rest of the module works without it."""


def _imported(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        module = ".".join([*base, node.module] if node.module else base)
    else:
        module = node.module or ""
    return [module, *(f"{module}.{alias.name}" for alias in node.names)]


def _is_generator(name: str) -> bool:
    return any(name == root or name.startswith(f"{root}.") for root in GENERATOR)


def _generator_imports(path: Path, root: Path = SOURCE) -> list[tuple[int, str, bool]]:
    """(line, module, at import time) for each import of the generator or Faker in the
    module at ``path`` of the package at ``root``.

    At import time means anywhere but inside a function: module level, under an ``if``
    or ``try`` there, or in a class body all run when the module is first imported."""
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                hits = [name for name in _imported(child, package) if _is_generator(name)]
                if hits:
                    found.append((child.lineno, hits[0], not in_function))
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), False)
    return found


def _service_modules() -> list[tuple[str, Path]]:
    modules = []
    for path in sorted(SOURCE.rglob("*.py")):
        name = path.relative_to(SOURCE).as_posix()
        if not name.startswith(PART_OF_THE_GENERATOR):
            modules.append((name, path))
    return modules


def test_the_layering_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    package = tmp_path / "jigsaw" / "web"
    package.mkdir(parents=True)
    module = package / "probe.py"
    module.write_text(
        "import faker\n"
        "from jigsaw import synthetic\n"
        "from ..synthetic.models import SyntheticTruth\n"
        "try:\n    from jigsaw.synthetic.service import generate_population\n"
        "except ImportError:\n    pass\n"
        "class Holder:\n    from faker import Faker\n"
        "def later():\n    from jigsaw.synthetic import names\n"
        "import jigsaw.synthetic_like\n",
        encoding="utf-8",
    )
    assert _generator_imports(module, tmp_path / "jigsaw") == [
        (1, "faker", True),
        (2, "jigsaw.synthetic", True),
        (3, "jigsaw.synthetic.models", True),
        (5, "jigsaw.synthetic.service", True),
        (9, "faker", True),
        (11, "jigsaw.synthetic", False),
    ]


def test_no_service_module_imports_the_generator_when_it_is_imported() -> None:
    modules = _service_modules()
    assert len(modules) > 50, "the walk found the service's modules"
    offending = [
        f"{name}:{line} imports {module}"
        for name, path in modules
        for line, module, at_import in _generator_imports(path)
        if at_import
    ]
    assert offending == []


def test_only_development_commands_reach_the_generator_at_all() -> None:
    reaching = {name for name, path in _service_modules() if _generator_imports(path)}
    assert reaching == set(REACH_IT_WHEN_ASKED)


def test_the_service_imports_without_faker_installed() -> None:
    """What a deployment without the extra does: import every entry point with Faker
    unimportable, and load nothing of the generator."""
    program = (
        "import sys\n"
        "sys.modules['faker'] = None\n"
        "import jigsaw.app, jigsaw.cli, jigsaw.migrate, jigsaw.models, jigsaw.linkage.evaluate\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('jigsaw.synthetic'))\n"
        "print(','.join(loaded) or 'none')\n"
    )
    assert fresh_python(program).strip() == "none"


@pytest.mark.parametrize("command", [["generate", "--children", "1"], ["demo", "--no-serve"]])
def test_generator_commands_without_the_extra_say_what_to_install(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from jigsaw.cli import app

    monkeypatch.setitem(sys.modules, "faker", None)
    monkeypatch.chdir(tmp_path)
    database = f"sqlite:///{tmp_path / 'untouched.db'}"
    monkeypatch.setenv("JIGSAW_DATABASE_URL", database)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert "install the `demo` extra" in " ".join(result.output.split())
    assert "jigsaw[demo]" in result.output
    assert list(tmp_path.iterdir()) == [], "nothing was created before the refusal"


def test_the_service_schema_has_no_truth_table(private_database: Database) -> None:
    assert TRUTH_TABLE not in Base.metadata.tables
    assert not has_truth_table(private_database.engine)
    assert "agency_records" in inspect(private_database.engine).get_table_names()


def test_generating_a_population_brings_its_truth_table(private_database: Database) -> None:
    summary = generate_population(
        private_database, children=2, seed=21, batch_size=2, progress=False
    )
    assert has_truth_table(private_database.engine)
    with private_database.sessions() as session:
        truths = session.scalar(select(func.count()).select_from(SyntheticTruth))
    assert truths == summary.agency_records > 0


def test_evaluation_refuses_a_database_without_truth(private_database: Database) -> None:
    from jigsaw.linkage.evaluate import evaluate

    with pytest.raises(JigsawError, match=r"no synthetic truth table.*jigsaw generate"):
        evaluate(private_database, compare_generic=False)


def _truth_rows(database: Database) -> list[tuple[int, str, str]]:
    with database.sessions() as session:
        rows = session.execute(
            select(
                SyntheticTruth.agency_record_id,
                SyntheticTruth.true_person_key,
                SyntheticTruth.household_key,
            ).order_by(SyntheticTruth.agency_record_id)
        ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def test_0017_drops_the_empty_table_and_leaves_a_population_its_truth(
    private_database: Database,
) -> None:
    url = private_database.url
    private_database.dispose()
    migrate.downgrade(url, "0016", have_backup=True)
    assert has_truth_table(private_database.engine), "0017's downgrade gives 0002 its table"
    private_database.dispose()
    migrate.upgrade(url)
    assert not has_truth_table(private_database.engine)

    generate_population(private_database, children=2, seed=22, batch_size=2, progress=False)
    before = _truth_rows(private_database)
    assert before
    private_database.dispose()
    migrate.downgrade(url, "0016", have_backup=True)
    private_database.dispose()
    migrate.upgrade(url)
    assert _truth_rows(private_database) == before
