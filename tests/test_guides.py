"""The guides' examples run and print what the pages show.

Every page of ``docs/`` with examples at the start of a line (``>>>``, as
``docs/partitioning.rst`` has) is run as a doctest file here, in the
integration venv that has every distribution; an example whose output
changed fails, so the page cannot drift from the code.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDES = sorted(p.name for p in DOCS.glob("*.rst")
                if re.search(r"^>>> ", p.read_text(encoding="utf-8"), re.MULTILINE))


def test_the_partitioning_guide_has_examples():
    assert "partitioning.rst" in GUIDES


@pytest.mark.parametrize("page", GUIDES)
def test_guide_examples_print_what_the_page_shows(page, capsys):
    failed, attempted = doctest.testfile(
        str(DOCS / page), module_relative=False, report=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = capsys.readouterr().out
    assert attempted > 0
    assert failed == 0, f"{failed} of {attempted} examples of docs/{page} failed:\n{report}"
