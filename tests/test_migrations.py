from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_a_committed_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


PROJECT_APPS = ("core", "sources", "boroughs", "pilots", "datasets", "officers", "portal", "bench")


def test_no_migration_imports_project_code():
    """A migration is history: if it imported live code, a later change to that code would rewrite
    what the migration does on a new database. Migrations may import only Django, libraries, and
    other migrations."""
    import ast
    from pathlib import Path

    offenders = []
    for path in Path(__file__).resolve().parent.parent.glob("*/migrations/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            offenders += [
                f"{path.parent.parent.name}/migrations/{path.name}: {name}"
                for name in names
                if name.split(".")[0] in PROJECT_APPS and ".migrations" not in name
            ]
    assert offenders == []
