"""The README documents every setting and every command, so none is a secret."""
from pathlib import Path

import pytest

from webapp import create_app
from webapp.config import ENVIRONMENT

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("variable", sorted(ENVIRONMENT))
def test_docs_environment_variable_documented(variable):
    assert f"`{variable}`" in README


def test_docs_every_command_documented(tmp_path):
    app = create_app({"SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    missing = [name for name in app.cli.commands if f"claimtrack {name}" not in README]
    assert not missing, f"commands missing from README: {missing}"


def test_docs_two_commands():
    assert "make run" in README and "make test" in README
