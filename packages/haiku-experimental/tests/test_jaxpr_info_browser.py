"""The HTML page of jaxpr_info in a real browser: headless Chromium opens it.

Needs Debian's ``chromium`` package (``.ci/run`` installs it); without a
Chromium the test is skipped, as the page is an optional viewer, except in
CI (``CI`` set), where it fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import shutil
import subprocess
import sys

import jax.numpy as jnp
import pytest

import haiku as hk
from haiku.experimental import jaxpr_info as ji

_spec = importlib.util.spec_from_file_location(
    "png_pixels", pathlib.Path(__file__).parent / "png_pixels.py")
png_pixels = sys.modules.setdefault("png_pixels", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(png_pixels)

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)
# CI (CI=true, .ci/run installs chromium) runs these instead of skipping them.
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="needs Chromium (apt-get install chromium)")


class Dense(hk.Module):
    def __init__(self, output_size, name=None):
        super().__init__(name=name)
        self.output_size = output_size

    def __call__(self, x):
        w = hk.get_parameter("w", [x.shape[-1], self.output_size], init=jnp.ones)
        return x @ w


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size=700,420", *args],
        capture_output=True, timeout=120, check=True,
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    f = hk.transform(lambda x: Dense(2, name="second")(jnp.tanh(Dense(3, name="first")(x))))
    x = jnp.ones([2, 4])
    info = ji.make_model_info(f.apply)(f.init(None, x), None, x)
    path = tmp_path_factory.mktemp("html") / "model.html"
    path.write_text(ji.as_html_page(info, min_flop=0))
    return path


def test_tree_expands_in_the_browser(page, tmp_path):
    closed, opened = tmp_path / "closed.png", tmp_path / "opened.png"
    _chromium(f"--screenshot={closed}", page.as_uri())
    _chromium(f"--screenshot={opened}", page.as_uri() + "#expand-all")
    closed_rows = png_pixels.inked_rows(closed.read_bytes())
    opened_rows = png_pixels.inked_rows(opened.read_bytes())
    # Closed: the toolbar and the root row. Opened: every module and expression
    # (9 lines) under them, so far more of the page holds text.
    assert closed_rows > 10
    assert opened_rows > 3 * closed_rows, (closed_rows, opened_rows)


def test_the_script_opens_every_module(page):
    dom = _chromium("--dump-dom", page.as_uri() + "#expand-all").stdout.decode()
    lists = re.findall(r'<ol style="([^"]*)"', dom)
    assert len(lists) == 3  # apply_fn, first, second
    assert all("none" not in style for style in lists), lists
    # As written, every list is closed: the script opened them.
    assert page.read_text().count("<ol style='display:none'>") == 3
    assert dom.count('class="hk-primitive"') == 3  # dot_general, tanh, dot_general
