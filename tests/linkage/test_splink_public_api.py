"""Jigsaw uses only Splink's public API, so a Splink release cannot break it silently.

``splink.internals`` may change in any release; the public modules (``splink``,
``splink.comparison_library``, ``splink.comparison_level_library``,
``splink.blocking_rule_library``) are what Splink promises to keep.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jigsaw

SOURCE = Path(jigsaw.__file__).parent
PRIVATE = "splink.internals"


def _private(module: str) -> bool:
    return module == PRIVATE or module.startswith(PRIVATE + ".")


def private_splink_imports(source: str) -> list[int]:
    """Lines of ``source`` that import from ``splink.internals``, in any spelling."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        if any(_private(module) for module in modules):
            lines.append(node.lineno)
    return lines


def test_the_check_finds_every_spelling_of_a_private_import() -> None:
    source = "\n".join(
        [
            "import splink",
            "import splink.internals.settings",
            "from splink.internals.blocking_rule_creator import BlockingRuleCreator",
            "from splink import internals",
            "import splink.internals as private",
            "from splink import SettingsCreator, block_on",
            "import splink.comparison_library as cl",
            "from splink.blocking_rule_library import CustomRule",
        ]
    )
    assert private_splink_imports(source) == [2, 3, 4, 5]


def test_no_jigsaw_module_imports_splink_internals() -> None:
    files = sorted(SOURCE.rglob("*.py"))
    assert SOURCE / "linkage" / "settings.py" in files
    offenders = [
        f"{path.relative_to(SOURCE.parent)}:{line}"
        for path in files
        for line in private_splink_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
