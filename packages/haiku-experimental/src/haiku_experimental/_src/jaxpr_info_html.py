"""The interactive HTML view of :mod:`jaxpr_info`'s module tree.

:func:`as_html` writes a module as nested lists: a row per module (name,
FLOPs, parameter and state counts; hovering shows the parameter and state
shapes) whose children are hidden until the row is clicked, and a line per
expression (``c = add a b``; hovering shows the shapes). :func:`css` and
:func:`js` hold the style and the click handling; :func:`as_html_page` puts
the three in a standalone page, which also opens every row when its URL ends
in ``#expand-all``.
"""

from __future__ import annotations

import html

from haiku_experimental._src.jaxpr_info import Module

__all__ = ["as_html", "as_html_page", "css", "js"]

_CSS = """\
.hk-tree { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 14px;
           color: #1f2328; }
.hk-tree, .hk-tree ol { list-style: none; margin: 0; padding-left: 0; }
.hk-tree ol { padding-left: 1.5em; border-left: 1px dotted #8c959f; }
.hk-tree li.hk-last > ol { border-left-color: transparent; }
.hk-row { cursor: pointer; padding: 2px 4px; border-radius: 4px; position: relative; }
.hk-row:hover { background: #ddf4ff; }
.hk-expander { display: inline-block; width: 1em; color: #0969da; }
.hk-name { font-weight: bold; }
.hk-flops { color: #9a6700; margin-left: 0.6em; }
.hk-params { color: #1a7f37; margin-left: 0.6em; }
.hk-state { color: #8250df; margin-left: 0.6em; }
.hk-outvars { color: #57606a; }
.hk-expression { padding: 1px 4px; position: relative; }
.hk-primitive { color: #cf222e; font-weight: bold; }
.hk-tooltip { display: none; position: absolute; left: 2em; top: 1.4em; z-index: 10;
              background: #ffffff; border: 1px solid #8c959f; border-radius: 4px;
              padding: 4px 8px; white-space: nowrap; box-shadow: 0 2px 6px #0003; }
.hk-row:hover > .hk-tooltip, .hk-expression:hover > .hk-tooltip { display: block; }
.hk-tooltip th { text-align: left; }
.hk-toolbar button { margin: 0 0.5em 1em 0; }
"""

_JS = """\
function hkToggle(row, open) {
  var children = row.parentNode.querySelector(':scope > ol');
  if (!children) { return; }
  if (open === undefined) { open = children.style.display === 'none'; }
  children.style.display = open ? '' : 'none';
  row.querySelector(':scope > .hk-expander').textContent = open ? '\\u25be' : '\\u25b8';
}
function hkExpandAll(open) {
  document.querySelectorAll('.hk-row').forEach(function (row) { hkToggle(row, open); });
}
document.addEventListener('DOMContentLoaded', function () {
  if (window.location.hash === '#expand-all') { hkExpandAll(true); }
});
"""


def css() -> str:
    """The CSS for HTML visualization of a Module.

    >>> ".hk-tree" in hk.experimental.jaxpr_info.css()
    True
    """
    return _CSS


def js() -> str:
    """The JavaScript for HTML visualization of a Module.

    It defines ``hkToggle(row)`` (the click handler of a module row) and
    ``hkExpandAll(open)``.

    >>> "function hkToggle" in hk.experimental.jaxpr_info.js()
    True
    """
    return _JS


def _info_table(module: Module) -> str:
    rows = []
    for title, info in (("Param", module.param_info), ("State", module.state_info)):
        if info:
            rows.append(f"<tr><th colspan=2>{title}</th></tr>")
            rows += [
                f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
                for k, v in info.items()
            ]
    if not rows:
        return ""
    return f"<span class='hk-tooltip'><table>{''.join(rows)}</table></span>"


def as_html(module: Module, min_flop: int = 1000, outvars: str = "", last: bool = False) -> str:
    """Formats a Module as a tree of interactive HTML elements.

    When embedding this in a page, the outputs of :func:`css` and :func:`js`
    must be embedded too for the visualization to work (inside an element of
    class ``hk-tree``). To only visualize a single module directly, see
    :func:`as_html_page`.

    >>> m = hk.experimental.jaxpr_info.Module(name="root", flops=3, expressions=[
    ...     hk.experimental.jaxpr_info.Expression("add", "a b", "c", flops=3)])
    >>> print(hk.experimental.jaxpr_info.as_html(m, min_flop=0))
    <li class='hk-module'><div class='hk-row' onclick='hkToggle(this)'>...root...
    ...c = <span class='hk-primitive'>add</span> a b...

    Args:
      module: The module to visualize, as an interactive HTML tree.
      min_flop: Minimum number of flops for an operation to be shown
        (modules are always shown).
      outvars: For internal use, the outputs of this module.
      last: For internal use, whether this module is the last of its
        siblings.

    Returns:
      HTML representation of module (an ``<li>`` element).
    """
    stats = []
    if module.flops is not None:
        stats.append(f"<span class='hk-flops'>{module.flops:,} flops</span>")
    if module.total_param_size:
        stats.append(f"<span class='hk-params'>{module.total_param_size:,} params</span>")
    if module.total_state_size:
        stats.append(f"<span class='hk-state'>{module.total_state_size:,} state</span>")
    out = f"<span class='hk-outvars'>{html.escape(outvars)} = </span>" if outvars else ""
    children = []
    shown = [
        e for e in module.expressions
        if e.submodule is not None or e.flops is None or e.flops >= min_flop
    ]
    for i, e in enumerate(shown):
        is_last = i == len(shown) - 1
        if e.submodule is not None:
            children.append(as_html(e.submodule, min_flop, e.outvars, is_last))
            continue
        flops = f"<span class='hk-flops'>{e.flops:,} flops</span>" if e.flops is not None else ""
        tooltip = f"<span class='hk-tooltip'>{html.escape(e.details)}</span>" if e.details else ""
        lhs = f"{html.escape(e.outvars)} = " if e.outvars else ""
        children.append(
            f"<li class='hk-expression{' hk-last' if is_last else ''}'>"
            f"<div class='hk-expression'>{tooltip}{lhs}"
            f"<span class='hk-primitive'>{html.escape(e.primitive)}</span> "
            f"{html.escape(e.invars)}{flops}</div></li>"
        )
    hidden = len(module.expressions) - len(shown)
    if hidden:
        children.append(
            f"<li class='hk-expression hk-hidden'>({hidden} expression"
            f"{'s' if hidden > 1 else ''} under {min_flop:,} flops)</li>"
        )
    return (
        f"<li class='hk-module{' hk-last' if last else ''}'>"
        f"<div class='hk-row' onclick='hkToggle(this)'>"
        f"<span class='hk-expander'>&#9656;</span>{out}"
        f"<span class='hk-name'>{html.escape(module.name)}</span>{''.join(stats)}"
        f"{_info_table(module)}</div>"
        f"<ol style='display:none'>{''.join(children)}</ol></li>"
    )


def as_html_page(module: Module, min_flop: int = 1000) -> str:
    """Formats the output of make_model_info as an interactive HTML page.

    Save it to a file and open it in a browser: click a module to open or
    close it, hover for shapes; open it with ``#expand-all`` at the end of
    the URL to see every module opened.

    >>> m = hk.experimental.jaxpr_info.Module(name="root", flops=3)
    >>> page = hk.experimental.jaxpr_info.as_html_page(m)
    >>> page.startswith("<!DOCTYPE html>") and "<script>" in page
    True

    Args:
      module: The module to show (the root of the tree).
      min_flop: Minimum number of flops for an operation to be shown.

    Returns:
      A complete HTML document.
    """
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{html.escape(module.name)}</title>\n"
        f"<style>\n{css()}</style>\n<script>\n{js()}</script>\n</head>\n<body>\n"
        "<div class='hk-toolbar'><button onclick='hkExpandAll(true)'>Expand all</button>"
        "<button onclick='hkExpandAll(false)'>Collapse all</button></div>\n"
        f"<ol class='hk-tree'>{as_html(module, min_flop=min_flop, last=True)}</ol>\n"
        "</body>\n</html>\n"
    )
