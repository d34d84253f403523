"""The domain (trainer.learning) and the policy never import a blueprint package."""

import ast
from pathlib import Path

import trainer

ROOT = Path(trainer.__file__).parent


def blueprint_packages() -> set[str]:
    """trainer.<name> for every package of the app that defines a Flask Blueprint."""
    found = set()
    for package in ROOT.iterdir():
        if (package / "__init__.py").is_file() and any(
            "Blueprint(" in source.read_text(encoding="utf-8") for source in package.glob("*.py")
        ):
            found.add(f"trainer.{package.name}")
    return found


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_blueprints_are_found():
    assert {"trainer.cohorts", "trainer.auth", "trainer.learn"} <= blueprint_packages()


def test_the_domain_and_the_policy_import_no_blueprint():
    blueprints = blueprint_packages()
    files = [*sorted((ROOT / "learning").rglob("*.py")), ROOT / "policy.py", ROOT / "accounts.py"]
    offending = {
        f"{path.relative_to(ROOT.parent)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if any(name == bp or name.startswith(bp + ".") for bp in blueprints)
    }
    assert offending == set()
