"""requirements/pi.txt, the exact versions the installed service gets, covers every runtime
dependency of pyproject.toml at a version its range allows, and pins everything exactly."""

from __future__ import annotations

import re

import tomllib
from conftest import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements" / "pi.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = re.fullmatch(r"([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)", line)
        assert found, f"requirements/pi.txt: not an exact pin: {line!r}"
        pins[canonicalize_name(found.group(1))] = found.group(2)
    return pins


def test_every_runtime_dependency_is_pinned_within_its_range():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = lock()
    for text in project["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is a dependency but not in requirements/pi.txt " \
                             f"(run script/lock-requirements)"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"{name}=={pins[name]} is outside {requirement.specifier}"


def test_no_test_tooling_is_pinned_for_the_pi():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = lock()
    for extra in project.get("optional-dependencies", {}).values():
        for text in extra:
            name = canonicalize_name(Requirement(text).name)
            assert name not in pins, f"{name} (an optional extra) is in requirements/pi.txt"
