"""Sphinx configuration of haiku's documentation (built by ``nox -s docs``).

The API reference is generated from the installed distributions' docstrings
(``_ext/haiku_api.py``); the build runs with ``-W --keep-going -n``, so any
warning (a broken cross-reference, a public name without a docstring or an
entry) fails it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import haiku  # noqa: E402

project = "haiku"
author = "the haiku authors"
copyright = "the haiku authors"
release = haiku.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "haiku_api",
    "haiku_pages",
]

exclude_patterns = ["_build", "tests"]
templates_path: list[str] = []

# Docstrings are Google style (Args:, Returns:).
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# An "Attributes:" section becomes fields of the class, not second entries
# beside the attributes autodoc documents.
napoleon_use_ivar = True
autodoc_default_options = {"members": True, "special-members": "__call__"}
autoclass_content = "both"
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
add_module_names = True

# Every reference must resolve. Names outside haiku (jax, numpy, typing,
# builtins) have no docs in this build (no network for intersphinx), so they
# are plain text; a reference to a haiku name that does not exist is an error.
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(?!haiku)(?!_src)\S+")]

html_theme = "sphinx_book_theme"
html_title = f"haiku {release}"
html_theme_options = {
    "show_toc_level": 2,
}
html_static_path: list[str] = []

# The examples run when the pages are built (``.. example-output::``), with
# the short arguments the ``examples`` test session smoke-runs them with
# (``SMOKE_EXAMPLES`` in noxfile.py, read from there).
from haiku_pages import REPO, _assigned_literal  # noqa: E402

# HAIKU_DOCS_EXAMPLES=0 skips them (a quicker build while editing pages; the
# ``docs`` session always runs them).
haiku_examples = [] if os.environ.get("HAIKU_DOCS_EXAMPLES") == "0" else [
    ("train_digits.py", ["--epochs", "2", "--no-progress", "--output-dir", "{output_dir}"]),
    ("data_parallel.py", ["--steps", "3", "--cpu-devices", "8"]),
    *((script, args) for script, args, _ in _assigned_literal(REPO / "noxfile.py", "SMOKE_EXAMPLES")),
]
