"""Sphinx extension: the API reference, generated from the installed distributions.

``.. haiku-api:: PAGE`` expands to the sections of ``api_groups.PAGES[PAGE]``
(autodoc entries, so the text is the docstrings') followed by the public
names no section lists whose namespace ``api_groups.CATCH_ALL`` sends to
PAGE. The build then fails (a warning, and the docs build with ``-W``) if

- a public name (``haiku_names.public_names()``) has no entry,
- a listed name does not exist (a distribution is missing, or it was renamed),
- a public function or class has no docstring, or a public constant or type
  alias has no doc comment (``#:`` or a string after it) where it is defined.

Cross-references to the private home of a public object
(``haiku._src.module.Module`` in a signature) are resolved to its public entry.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import inspect as sphinx_inspect
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.nodes import nested_parse_with_titles

import api_groups
import haiku_names

logger = logging.getLogger(__name__)

OUR_PACKAGES = ("haiku", "haiku_nets", "haiku_rnn", "haiku_flax", "haiku_experimental")


class _Catalogue:
    """Every public name, which page shows it, and the public name of each object."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = dict(haiku_names.public_names())
        self.listed: dict[str, str] = {}  # qualified name -> page
        for page, sections in api_groups.PAGES.items():
            for _, names in sections:
                for name in names:
                    self.listed[f"haiku.{name}"] = page
        # The canonical entry of each object: a listed name first, else the
        # first public name holding it (``haiku`` before its namespaces).
        self.canonical: dict[int, str] = {}
        for qualname in [*self.listed, *self.names]:
            if qualname in self.names:
                self.canonical.setdefault(id(self.names[qualname]), qualname)

    def unlisted(self, page: str) -> dict[str, list[str]]:
        """Namespace -> the unlisted names of it that ``page`` shows."""
        found: dict[str, list[str]] = {}
        for qualname in self.names:
            if qualname in self.listed:
                continue
            namespace = qualname.rsplit(".", 1)[0]
            if _catch_all_page(namespace) == page:
                found.setdefault(namespace, []).append(qualname)
        return found

    def alias_of(self, qualname: str) -> str | None:
        """The canonical name if ``qualname`` re-exports that object under the same name."""
        canonical = self.canonical[id(self.names[qualname])]
        if canonical != qualname and canonical.rsplit(".", 1)[1] == qualname.rsplit(".", 1)[1]:
            return canonical
        return None


def _catch_all_page(namespace: str) -> str:
    while namespace not in api_groups.CATCH_ALL:
        namespace = namespace.rsplit(".", 1)[0]
    return api_groups.CATCH_ALL[namespace]


_CATALOGUE: _Catalogue | None = None


def catalogue() -> _Catalogue:
    global _CATALOGUE
    if _CATALOGUE is None:
        _CATALOGUE = _Catalogue()
    return _CATALOGUE


def _attribute_doc(qualname: str, value: Any) -> list[str]:
    """The doc of a constant or type alias: its own ``__doc__`` or its doc comment."""
    own = getattr(value, "__dict__", {}).get("__doc__")
    if isinstance(own, str) and own.strip():
        return inspect.cleandoc(own).splitlines()
    name = qualname.rsplit(".", 1)[1]
    for module in list(sys.modules.values()):
        module_name = getattr(module, "__name__", "")
        if module_name.split(".")[0] not in OUR_PACKAGES or not isinstance(module, types.ModuleType):
            continue
        if vars(module).get(name) is not value:
            continue
        try:
            docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        except Exception:  # a namespace or a module without source
            continue
        if ("", name) in docs:
            return list(docs[("", name)])
    return []


def _is_routine(value: Any) -> bool:
    return inspect.isroutine(value) or (callable(value) and hasattr(value, "__wrapped__"))


def _entry(qualname: str, value: Any) -> list[str]:
    """The reST of one entry."""
    cat = catalogue()
    canonical = cat.alias_of(qualname)
    if canonical is not None:
        role = "class" if inspect.isclass(value) else "func" if _is_routine(value) else "data"
        directive = "py:class" if role == "class" else "py:function" if role == "func" else "py:data"
        return [f".. {directive}:: {qualname}", "   :no-index-entry:", "",
                f"   The same object as :{role}:`{canonical}`.", ""]
    if inspect.isclass(value):
        if not value.__dict__.get("__doc__"):
            logger.warning(f"public class {qualname} has no docstring")
        kind = "autoexception" if issubclass(value, BaseException) else "autoclass"
        return [f".. {kind}:: {qualname}", ""]
    if _is_routine(value):
        if not inspect.getdoc(value):
            logger.warning(f"public function {qualname} has no docstring")
        return [f".. autofunction:: {qualname}", ""]
    doc = _attribute_doc(qualname, value)
    if not doc:
        logger.warning(f"public name {qualname} has no doc comment where it is defined "
                       "(add `#: ...` above its assignment)")
    shown = repr(value)
    if len(shown) > 120 or "\n" in shown:
        shown = f"<{type(value).__name__}>"
    return [f".. py:data:: {qualname}", f"   :value: {shown}", "",
            *(f"   {line}" for line in doc), ""]


def _heading(title: str, underline: str) -> list[str]:
    return [title, underline * len(title), ""]


class HaikuApiDirective(SphinxDirective):
    """``.. haiku-api:: PAGE``: the entries of one API page."""

    required_arguments = 1
    option_spec = {"noindex": directives.flag}

    def run(self) -> list[nodes.Node]:
        page = self.arguments[0]
        if page not in api_groups.PAGES:
            raise self.error(f"unknown API page {page!r}; pages: {sorted(api_groups.PAGES)}")
        cat = catalogue()
        sections = api_groups.PAGES[page]
        lines: list[str] = []
        for title, names in sections:
            lines += _heading(title, "-")
            for name in names:
                qualname = f"haiku.{name}"
                if qualname not in cat.names:
                    logger.warning(f"API page {page!r} lists {qualname}, which is not a public "
                                   "name of the installed distributions",
                                   location=self.get_location())
                    continue
                lines += _entry(qualname, cat.names[qualname])
        for namespace, qualnames in cat.unlisted(page).items():
            lines += _heading(f"More in {namespace}", "-")
            for qualname in qualnames:
                lines += _entry(qualname, cat.names[qualname])
        container = nodes.section()
        container.document = self.state.document
        source = self.get_source_info()[0]
        content = StringList()
        for number, line in enumerate(lines):
            content.append(line, f"{source}<haiku-api {page}>", number)
        nested_parse_with_titles(self.state, content, container)
        return list(container.children)


def _resolve_private(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Points a reference to the private home of a public object at its entry.

    A reference to an object of ours that has no public name (a ``TypeVar``,
    a private alias in a signature) becomes plain text; one to a haiku path
    that does not import stays a broken reference (a warning).
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    if target.split(".")[0] not in OUR_PACKAGES:
        return None
    value = _import_path(target)
    if value is _MISSING:
        return None
    public = catalogue().canonical.get(id(value))
    if public is None:
        return contnode
    if public == target:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], public, node,
                               contnode)


class _QualifyShortNames(SphinxPostTransform):
    """Qualifies a short name (``Module`` in a signature) by the entry's namespace.

    ``Module`` in ``hk.mixed_precision.set_policy`` is ``haiku.Module``; in
    ``hk.experimental.jaxpr_info.format_module`` it is that namespace's own
    ``Module``: the nearest enclosing namespace defining the name wins.
    """

    default_priority = 5  # before the references are resolved

    def run(self, **kwargs: Any) -> None:
        cat = catalogue()
        for node in self.document.findall(addnodes.pending_xref):
            target = node.get("reftarget", "")
            if node.get("refdomain") != "py" or not target or "." in target:
                continue
            context = node.get("py:module") or ""
            parts = context.split(".") if context.split(".")[0] == "haiku" else ["haiku"]
            for end in range(len(parts), 0, -1):
                qualname = ".".join([*parts[:end], target])
                if qualname in cat.names:
                    node["reftarget"] = cat.canonical[id(cat.names[qualname])]
                    node["refspecific"] = False
                    break


_MISSING = object()


def _import_path(target: str) -> Any:
    """The object a dotted path names, or ``_MISSING``."""
    parts = target.split(".")
    for split in range(len(parts), 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:split]))
        except Exception:
            continue
        try:
            for part in parts[split:]:
                value = getattr(value, part)
        except AttributeError:
            return _MISSING
        return value
    return _MISSING


def _constructor_signature(app: Sphinx, what: str, name: str, obj: Any, options: Any,
                           signature: str | None, return_annotation: str | None) -> Any:
    """A module class's signature is its ``__init__``'s, not ``(*args, **kwargs)``.

    ``hk.Module``'s metaclass defines ``__call__`` (it names the module and
    runs ``__init__`` in its name scope), which autodoc would show instead.
    """
    if what != "class" or type.__call__ is getattr(type(obj), "__call__", type.__call__):
        return None
    init = obj.__dict__.get("__init__") or next(
        (vars(base)["__init__"] for base in obj.__mro__ if "__init__" in vars(base)), None)
    if init is None:
        return None
    found = sphinx_inspect.signature(init, bound_method=True,
                                     type_aliases=app.config.autodoc_type_aliases)
    return sphinx_inspect.stringify_signature(found, show_return_annotation=False), None


def _check_every_name_has_an_entry(app: Sphinx, env: Any) -> None:
    documented = set(env.get_domain("py").objects)
    missing = sorted(set(catalogue().names) - documented)
    for qualname in missing:
        logger.warning(f"public name {qualname} has no entry in the API reference")
    logger.info(f"haiku-api: {len(catalogue().names)} public names, "
                f"{len(missing)} without an entry")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("haiku-api", HaikuApiDirective)
    app.connect("missing-reference", _resolve_private)
    app.add_post_transform(_QualifyShortNames)
    app.connect("autodoc-process-signature", _constructor_signature)
    app.connect("env-check-consistency", _check_every_name_has_an_entry)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
