"""`make install` installs exactly what requirements.lock pins, so every machine runs the same code."""

import re
from importlib import metadata
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)")


def locked_versions() -> dict[str, str]:
    return {
        match[1].lower().replace("_", "-"): match[2]
        for line in LOCK.read_text().splitlines()
        if (match := PIN.match(line))
    }


def test_the_lock_pins_every_package_with_hashes():
    text = LOCK.read_text()
    pins = locked_versions()
    assert {"django", "ruff", "import-linter", "psycopg2-binary"} <= set(pins)
    assert text.count("--hash=sha256:") >= len(pins)
    assert pins["django"].startswith("5.2.")


def test_the_installed_environment_is_the_locked_one():
    installed = {dist.metadata["Name"].lower().replace("_", "-"): dist.version for dist in metadata.distributions()}
    wrong = {
        name: (version, installed.get(name))
        for name, version in locked_versions().items()
        if installed.get(name) != version
    }
    assert wrong == {}


def test_no_declared_dependency_is_left_unlocked():
    """pyproject.toml's dependencies are all in the lock (regenerate it with `make lock`)."""
    import tomllib

    project = tomllib.loads((LOCK.parent / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    names = {re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-") for requirement in declared}
    assert names - set(locked_versions()) == set()
