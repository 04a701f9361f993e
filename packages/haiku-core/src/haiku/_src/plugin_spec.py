"""The plugin contract: markers, constants and hook specifications.

Everything here is re-exported by :mod:`haiku.plugins`, which is the public
home of these names; plugin authors import them from there.
"""

from __future__ import annotations

import pluggy

from haiku._src.plugin_exports import ExportRegistry

PROJECT_NAME = "haiku"
"""The pluggy project name: markers of any other project are ignored."""

ENTRY_POINT_GROUP = "haiku"
"""The entry point group in which distributions announce their plugins."""

PLUGIN_API_VERSION = 1
"""The plugin API version this haiku-core implements.

Every plugin module must define ``HAIKU_PLUGIN_API_VERSION``; a plugin whose
value differs is not loaded, and using its names says why.
"""

API_VERSION_ATTRIBUTE = "HAIKU_PLUGIN_API_VERSION"

DISABLE_AUTOLOAD_ENV = "HAIKU_DISABLE_PLUGIN_AUTOLOAD"
"""Set to ``1`` to load no entry-point plugin (haiku-core itself stays on)."""

ALLOW_LIST_ENV = "HAIKU_PLUGINS"
"""Comma-separated entry-point names: autoload only these plugins."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marks a hook specification of the ``haiku`` project (pluggy marker)."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a hook implementation in a haiku plugin (pluggy marker).

Example, in the module named by your ``haiku`` entry point:

>>> from haiku.plugins import hookimpl
>>> HAIKU_PLUGIN_API_VERSION = 1
>>> @hookimpl
... def haiku_register_exports(registry):
...     registry.add("haiku.contrib", "Scale", "my_pkg._src.scale:Scale")
"""


class HaikuHookSpecs:
    """The hooks a haiku plugin may implement.

    A plugin is a module (or any object) with functions named after these
    hooks and decorated with :data:`hookimpl`. Implementations may accept
    any subset of a hook's arguments, by name.
    """

    @hookspec(historic=True)
    def haiku_add_hookspecs(self, plugin_manager: pluggy.PluginManager) -> None:
        """Adds the hook specifications that a plugin brings for other plugins to implement.

        Called when the plugin registers, before its other hooks are
        checked, so plugins that implement the new hooks may load in any
        order. Pending hooks are checked once, after every plugin has loaded:
        an implementation of a hook that no plugin specifies makes its plugin
        fail, unless it is marked ``@hookimpl(optionalhook=True)`` (for a hook
        of a distribution that may not be installed). haiku-experimental adds
        its ``tabulate`` and FLOP hooks this way.

        Args:
          plugin_manager: haiku's :class:`pluggy.PluginManager`; call its
            ``add_hookspecs`` with a class or module of specifications
            marked with :data:`hookspec`.

        Example, in a plugin module:

        >>> from haiku.plugins import hookimpl, hookspec
        >>> class MyHookSpecs:
        ...     @hookspec
        ...     def my_pkg_losses(self):
        ...         "Returns ``{name: loss_fn}`` for my_pkg's trainer."
        >>> @hookimpl
        ... def haiku_add_hookspecs(plugin_manager):
        ...     plugin_manager.add_hookspecs(MyHookSpecs)
        """

    @hookspec
    def haiku_register_exports(self, registry: ExportRegistry) -> None:
        """Adds lazy names and namespaces to ``haiku``.

        Called once per plugin, the first time any ``haiku`` namespace is
        used (or when the plugin is registered with
        :func:`haiku.plugins.register`). Only record names here: targets are
        import strings, imported the first time the name is used, so that
        ``import haiku`` stays cheap.

        Args:
          registry: Records this plugin's names.
            ``registry.add(namespace, name, target)`` adds one lazy name;
            ``registry.add_namespace(namespace, doc="")`` declares a
            namespace, which may be new (``"haiku.contrib"``) and nested
            (``"haiku.experimental.flax"``).

        Two plugins adding the same name is an error that names both, raised
        when the name is used. A plugin that raises here is not loaded, and
        the names it would have added raise with its error chained.

        Example: a plugin module named by the entry point
        ``[project.entry-points.haiku] contrib = "my_pkg._plugin"``:

        >>> from haiku.plugins import hookimpl
        >>> HAIKU_PLUGIN_API_VERSION = 1
        >>> @hookimpl
        ... def haiku_register_exports(registry):
        ...     registry.add_namespace("haiku.contrib", "Community modules.")
        ...     registry.add("haiku.contrib", "Scale", "my_pkg._src.scale:Scale")
        ...     registry.add("haiku.initializers", "Half", "my_pkg._src.init:Half")

        With it installed, ``hk.contrib.Scale`` and
        ``from haiku.contrib import Scale`` import ``my_pkg._src.scale`` on
        first use.
        """

    @hookspec
    def haiku_conformance_examples(self) -> list:
        """Returns the plugin's modules as conformance-kit examples.

        Each item is a :class:`haiku.testing.ModuleExample`: a factory that
        builds and calls the module, tiny inputs, and the checks that do not
        apply (with the reason). :func:`haiku.testing.conformance_examples`
        collects them from every loaded plugin, so one test can run
        :func:`haiku.testing.check_module` over every installed module. Import
        jax and your modules inside the hook, not at the top of the plugin
        module, so that ``import haiku`` stays cheap.

        Example, in a plugin module:

        >>> from haiku.plugins import hookimpl
        >>> @hookimpl
        ... def haiku_conformance_examples():
        ...     import haiku as hk
        ...     import numpy as np
        ...     from my_pkg._src.scale import Scale
        ...     return [hk.testing.ModuleExample(
        ...         "Scale", lambda x: Scale()(x), (np.ones([2], np.float32),),
        ...         policy_classes=(Scale,))]
        """
        raise NotImplementedError  # a specification: plugins implement it
