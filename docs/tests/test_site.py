"""The built documentation site, opened in headless Chromium.

Run by ``nox -s docs`` after the build (``HAIKU_DOCS_HTML`` names the built
folder; default ``docs/_build/html``). Chromium (Debian's ``chromium``
package, which ``.ci/run`` installs) renders the index and two API pages;
the screenshots land in the build folder's ``_screenshots/``.
"""

from __future__ import annotations

import functools
import html
import html.parser
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import haiku as hk

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("HAIKU_DOCS_HTML", REPO / "docs" / "_build" / "html"))
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)

_spec = importlib.util.spec_from_file_location(
    "png_pixels", REPO / "packages" / "haiku-experimental" / "tests" / "png_pixels.py")
png_pixels = sys.modules.setdefault("png_pixels", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(png_pixels)


class _Links(html.parser.HTMLParser):
    """The ids a page defines and the URLs it refers to."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.ids.add(value)
            elif name in ("href", "src") and tag in ("a", "link", "img", "script"):
                self.urls.append(value)


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _chromium(*args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM, "these tests need Chromium on PATH (apt-get install chromium)"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size=1280,1600", *args],
        capture_output=True, timeout=120, check=True)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.fixture(scope="module")
def pages() -> list[Path]:
    assert (BUILD / "index.html").is_file(), f"no built site in {BUILD}: run nox -s docs"
    # _static/ holds the theme's files, some of them Jinja templates named .html.
    return sorted(p for p in BUILD.rglob("*.html") if "_static" not in p.relative_to(BUILD).parts)


def test_every_internal_link_has_a_target(pages):
    parsed = {page: _parse(page) for page in pages}
    missing = []
    for page, links in parsed.items():
        for url in links.urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith("#") and not parts.fragment:
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                missing.append(f"{page.relative_to(BUILD)}: {url} (no file)")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    missing.append(f"{page.relative_to(BUILD)}: {url} (no such anchor)")
    checked = sum(len(links.urls) for links in parsed.values())
    assert checked > 1000, checked  # the API pages link to each other a lot
    assert not missing, "\n".join(missing[:50])


def _signature_text(dom: str, qualname: str) -> str:
    match = re.search(rf'<dt[^>]* id="{re.escape(qualname)}"[^>]*>(.*?)</dt>', dom, re.DOTALL)
    assert match, f"no entry with id {qualname}"
    return " ".join(_text(match.group(1)).split())


def _parameters(obj) -> list[str]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    names = list(inspect.signature(target).parameters)
    return names[1:] if inspect.isclass(obj) else names


# page, its heading, the entries whose signature it must show
PAGES = [
    ("index.html", "haiku", []),
    ("api/modules.html", "Common modules", ["haiku.Linear", "haiku.Conv2D", "haiku.LSTM"]),
    ("api/fundamentals.html", "Haiku fundamentals", ["haiku.transform", "haiku.get_parameter"]),
]


@pytest.mark.parametrize("path, heading, entries", PAGES, ids=[p for p, _, _ in PAGES])
def test_page_renders_in_chromium(pages, path, heading, entries):
    page = BUILD / path
    shots = BUILD / "_screenshots"
    shots.mkdir(exist_ok=True)
    shot = shots / (path.replace("/", "_").removesuffix(".html") + ".png")
    shot.unlink(missing_ok=True)
    _chromium(f"--screenshot={shot}", page.as_uri())
    # The theme's layout drew text over much of the window, not a blank page.
    assert png_pixels.inked_rows(shot.read_bytes()) > 300
    dom = _chromium("--dump-dom", page.as_uri()).stdout.decode()
    title = _text(re.search(r"<title>(.*?)</title>", dom, re.DOTALL).group(1)).strip()
    assert title == f"{heading} — haiku {hk.__version__}", title
    assert re.search(rf"<h1>{re.escape(heading)}<a", dom), f"no heading {heading!r}"
    for qualname in entries:
        shown = _signature_text(dom, qualname)
        obj = functools.reduce(getattr, qualname.split(".")[1:], hk)
        # "class haiku.Linear(output_size: int, ...)" with Python's own parameter list.
        assert re.match(rf"(class )?{re.escape(qualname)}\(", shown), shown
        listed = re.findall(r"[(,] ?\*{0,2}(\w+)(?=[:=,)])", shown.split("[source]")[0])
        assert listed == _parameters(obj), (shown, _parameters(obj))
