"""Exceptions of the plugin system.

A name can be unavailable for plugin reasons (its distribution is missing,
blocked, broken or fighting with another one). Attribute access
(``hk.Linear``) raises an :class:`AttributeError` subclass, so ``hasattr`` and
``getattr(hk, name, default)`` keep working; import statements
(``import haiku.nets``, ``from haiku import Linear``) raise
:class:`PluginImportError`, a :class:`ModuleNotFoundError`. Both carry the same
message, and the cause of a broken plugin is chained (``__cause__``).
"""

from __future__ import annotations


class PluginError(Exception):
    """Base class of every error raised by haiku's plugin system.

    Example:

    >>> import haiku.plugins
    >>> try:
    ...     haiku.plugins.unregister("no-such-plugin")
    ... except haiku.plugins.PluginError as e:
    ...     print(e)
    no haiku plugin named 'no-such-plugin' is registered
    """


class MissingPluginError(PluginError, AttributeError):
    """A name is part of haiku, but what provides it is unavailable.

    Raised on attribute access, e.g. ``hk.Linear`` when haiku-nets is not
    installed, not loaded (see ``HAIKU_PLUGINS``), or failed to load. The
    message says what to do, e.g.
    ``hk.Linear is provided by the haiku-nets distribution: pip install "haiku[nets]"``.
    """


class PluginConflictError(PluginError, AttributeError):
    """Two or more plugins export the same name; the message names them all."""


class PluginTargetError(PluginError, AttributeError):
    """A registered name could not be imported from its target.

    The message names the plugin and the target; ``__cause__`` is the
    original exception.
    """


class PluginHookError(PluginError, RuntimeError):
    """A plugin's hook implementation raised; the message names the plugin and the hook.

    ``plugin`` and ``hook`` say which; ``__cause__`` is the original exception.

    Example:

    >>> err = PluginHookError("demo", "haiku_conformance_examples", KeyError("x"))
    >>> print(err)
    plugin 'demo': its haiku_conformance_examples hook raised KeyError: 'x'
    """

    def __init__(self, plugin: str, hook: str, error: BaseException):
        self.plugin, self.hook = plugin, hook
        self.reason = f"its {hook} hook raised {type(error).__name__}: {error}"
        super().__init__(f"plugin {plugin!r}: {self.reason}")


class PluginImportError(PluginError, ModuleNotFoundError):
    """An import statement asked for a name that a plugin problem hides.

    The import-statement twin of :class:`MissingPluginError`,
    :class:`PluginConflictError` and :class:`PluginTargetError`, e.g. for
    ``import haiku.nets`` when haiku-nets is not installed.
    """


def display(qualname: str) -> str:
    """``"haiku.nets.MLP"`` -> ``"hk.nets.MLP"``, the way users write it."""
    if qualname == "haiku":
        return "hk"
    if qualname.startswith("haiku."):
        return "hk." + qualname[len("haiku.") :]
    return qualname
