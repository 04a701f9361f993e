"""The API reference's own checks fail the build when a name has no entry.

A small Sphinx project in a temporary folder uses the docs' extension with
one API page: every public name not on that page must be reported, and a
listed name that does not exist too. (The real build runs with ``-W``, where
each of these warnings is an error.)
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from sphinx.application import Sphinx

DOCS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(DOCS / "_ext"))

import api_groups  # noqa: E402
import haiku_api  # noqa: E402
import haiku_names  # noqa: E402


# Sphinx 9's own napoleon uses the autodoc options in a way Sphinx 9 deprecates.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The mapping interface for autodoc options objects is deprecated")


def _build(tmp_path: Path, page: str) -> str:
    (tmp_path / "conf.py").write_text(
        "extensions = ['sphinx.ext.autodoc', 'sphinx.ext.napoleon', 'haiku_api']\n")
    (tmp_path / "index.rst").write_text(f"API\n===\n\n.. haiku-api:: {page}\n")
    warnings = io.StringIO()
    app = Sphinx(str(tmp_path), str(tmp_path), str(tmp_path / "out"), str(tmp_path / "doctrees"),
                 "html", status=io.StringIO(), warning=warnings, freshenv=True)
    app.build()
    return warnings.getvalue()


@pytest.fixture(autouse=True)
def fresh_catalogue(monkeypatch):
    monkeypatch.setattr(haiku_api, "_CATALOGUE", None)


def test_names_without_an_entry_are_reported(tmp_path):
    warnings = _build(tmp_path, "config")
    names = dict(haiku_names.public_names())
    reported = {line.split("public name ", 1)[1].split(" ", 1)[0]
                for line in warnings.splitlines() if "has no entry in the API reference" in line}
    on_page = {q for q in names if q.startswith("haiku.config.")}
    assert on_page == {"haiku.config.context", "haiku.config.set"}
    assert reported == set(names) - on_page


def test_a_listed_name_that_does_not_exist_is_reported(tmp_path, monkeypatch):
    sections = [("Configuration", ["config.context", "config.set", "config.no_such_option"])]
    monkeypatch.setitem(api_groups.PAGES, "config", sections)
    warnings = _build(tmp_path, "config")
    assert ("API page 'config' lists haiku.config.no_such_option, which is not a public name "
            "of the installed distributions") in warnings
