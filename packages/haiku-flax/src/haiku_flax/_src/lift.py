"""Flax inside Haiku: :func:`lift` runs a Flax module as part of a Haiku transform.

A lifted Flax module is a Haiku module named ``name``. Its Flax variables are
registered with the outer transform through :func:`haiku.transparent_lift_with_state`:
the ``params`` collection becomes Haiku parameters, every other collection
becomes Haiku state, both named as :func:`flatten_flax_to_haiku` names them
(``dense/~`` for a ``Dense`` lifted as ``dense``; ``ws/Dense_0`` for a
sub-module; state as ``ws/batch_stats/BatchNorm_0``). The state the Flax
module returns is written back through a :class:`haiku.LiftWithStateUpdater`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import flax.errors
import flax.linen as nn
import haiku as hk
from flax import nnx

from haiku_flax._src.flatten import TOP_LEVEL, flatten_flax_to_haiku, unflatten_haiku_to_flax

__all__ = ["lift"]

PARAMS = "params"


def lift(mod: nn.Module | nnx.Module, *, name: str) -> Callable[..., Any]:
    """Lifts a Flax module into a Haiku transformed function.

    For a Flax module (e.g. ``mod = nn.Dense(10)``), ``mod = lift(mod, name="dense")``
    lets you run the module's ``__call__`` as if it were a regular Haiku module.
    Its parameters and state are registered with Haiku and become part of the
    params/state dicts returned by ``init``/``apply``:

    >>> import flax.linen as nn
    >>> def f(x):
    ...   x = hk.experimental.flax.lift(nn.Dense(3), name="dense")(x)
    ...   return hk.Linear(1)(jax.nn.relu(x))  # Haiku modules mix in freely.
    >>> f = hk.transform(f)
    >>> params = f.init(jax.random.PRNGKey(42), jnp.ones([1, 2]))
    >>> jax.tree.map(jnp.shape, params)
    {'dense/~': {'bias': (3,), 'kernel': (2, 3)}, 'linear': {'b': (1,), 'w': (3, 1)}}
    >>> f.apply(params, None, jnp.ones([1, 2])).shape
    (1, 1)

    Linen modules. During ``init`` the Flax module is initialised with one key
    from :func:`haiku.next_rng_key` (Flax's ``params`` stream; other streams fall
    back to it), then applied. A call that passes ``rngs={"stream": key, ...}``
    gives Flax those keys instead, in ``init`` and ``apply`` alike (in ``init``
    a missing ``params`` stream is a Haiku key, if the transform has one). Collections other than ``params`` (e.g.
    ``batch_stats``) are Haiku state, so use :func:`haiku.transform_with_state`
    for such modules; they are mutable while the module runs and the new
    values are stored with :func:`haiku.set_state` semantics. A module that
    asks for randomness while it is applied (``nn.Dropout``) gets a key from
    :func:`haiku.next_rng_key`; modules that do not ask use no Haiku key, so the
    keys the surrounding Haiku modules see are the same as without the lift.
    Calling the lifted function twice shares its variables (as calling a Haiku
    module twice does).

    NNX modules. An ``nnx.Module`` already holds its variables, so nothing is
    initialised and no Haiku key is used: ``nnx.split(mod, nnx.Param, ...)``
    gives the parameters, registered as Haiku params, and every other variable
    (``nnx.BatchStat``, the key and counter of the ``nnx.Rngs`` streams the
    module was built with) becomes Haiku state. Each call rebuilds the module
    with ``nnx.merge`` from the values Haiku holds, runs it, and stores its
    variables back as state, so it is a pure function and works under
    ``jax.jit``:

    For randomness drawn from Haiku's keys instead, build the NNX module
    without streams and pass them to the call, as NNX allows:
    ``lift(nnx.Dropout(0.5), name="drop")(x, rngs=nnx.Rngs(dropout=hk.next_rng_key()))``.

    >>> from flax import nnx
    >>> layer = nnx.Linear(2, 3, rngs=nnx.Rngs(0))
    >>> g = hk.transform(lambda x: hk.experimental.flax.lift(layer, name="nnx_linear")(x))
    >>> params = g.init(None, jnp.ones([1, 2]))
    >>> jax.tree.map(jnp.shape, params)
    {'nnx_linear/~': {'bias': (3,), 'kernel': (2, 3)}}

    Args:
      mod: Any Flax ``nn.Module`` (linen) or ``nnx.Module`` instance.
      name: Name scope to prefix entries in the outer params/state dict.

    Returns:
      A function that when applied calls the ``__call__`` method of the given
      Flax module and returns its output. As a side effect of calling it, the
      module's parameters and state variables are registered with Haiku.
    """
    if isinstance(mod, nn.Module):
        runner: _Runner = _LinenRunner(mod)
    elif isinstance(mod, nnx.Module):
        runner = _NnxRunner(mod)
    else:
        raise TypeError(
            "hk.experimental.flax.lift expects a flax.linen.Module or a flax.nnx.Module "
            f"instance as `mod`, got {type(mod).__name__}: {mod!r}"
        )
    if not isinstance(name, str):
        raise TypeError(f"hk.experimental.flax.lift: `name` must be a str, got {name!r}.")
    return LiftedFlaxModule(runner, name=name)


class _Runner:
    """Runs one Flax module as a pure ``init``/``apply`` pair over Haiku dicts."""

    module: Any

    def init_rngs(self, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The randomness ``init`` gets, and the keyword arguments it gets with it."""
        raise NotImplementedError

    def init(self, key: Any, *args: Any, **kwargs: Any) -> tuple[dict, dict]:
        raise NotImplementedError

    def apply(self, params: Mapping, state: Mapping, args: tuple, kwargs: dict) -> tuple[Any, dict]:
        raise NotImplementedError


class LiftedFlaxModule(hk.Module):
    """The Haiku module :func:`lift` returns (its ``__call__`` runs the Flax module)."""

    def __init__(self, runner: _Runner, *, name: str):
        super().__init__(name=name)
        self._runner = runner

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Runs the Flax module on ``args``/``kwargs``, registering its variables."""
        # Transparent: the variables go to this module's scope ("dense/~"),
        # not to the scope of the lifting module inside it.
        init_fn, updater = hk.transparent_lift_with_state(self._runner.init, allow_reuse=True)
        key, init_kwargs = self._runner.init_rngs(kwargs) if hk.running_init() else (None, kwargs)
        params, state = init_fn(key, *args, **init_kwargs)
        out, state = self._runner.apply(params, state, args, kwargs)
        updater.update(state)
        return out


def _split_collections(variables: Mapping[str, Any]) -> tuple[dict, dict]:
    """Flax variables -> Haiku ``(params, state)``; state names start with the collection."""
    params = dict(flatten_flax_to_haiku(variables.get(PARAMS, {})))
    state: dict[str, Any] = {}
    for collection, tree in variables.items():
        if collection == PARAMS:
            continue
        for module_name, bundle in flatten_flax_to_haiku(tree).items():
            state[f"{collection}/{module_name}"] = bundle
    return params, state


def _merge_collections(params: Mapping, state: Mapping) -> dict[str, Any]:
    """Haiku ``(params, state)`` -> Flax variables (the inverse of ``_split_collections``)."""
    variables: dict[str, Any] = {}
    if params:
        variables[PARAMS] = unflatten_haiku_to_flax(params)
    by_collection: dict[str, dict[str, Any]] = {}
    for name, bundle in state.items():
        collection, _, module_name = name.partition("/")
        by_collection.setdefault(collection, {})[module_name or TOP_LEVEL] = bundle
    for collection, flat in by_collection.items():
        variables[collection] = unflatten_haiku_to_flax(flat)
    return variables


class _LinenRunner(_Runner):
    def __init__(self, module: nn.Module):
        self.module = module

    def init_rngs(self, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """One Haiku key, or the ``rngs`` dict the call passes (keyed by stream).

        An explicit ``rngs`` dict is Flax's ``init`` randomness; its ``params``
        stream, if missing, is a Haiku key when the transform has one.
        """
        if "rngs" not in kwargs:
            return hk.next_rng_key(), kwargs
        init_kwargs = dict(kwargs)
        rngs = init_kwargs.pop("rngs")
        if not isinstance(rngs, Mapping):
            raise flax.errors.InvalidRngError(
                "rngs should be a dictionary mapping strings to `jax.PRNGKey`. "
                f"hk.experimental.flax.lift({type(self.module).__name__}) got "
                f"{type(rngs).__name__}; pass e.g. rngs={{'params': key, 'dropout': key}}."
            )
        rngs = dict(rngs)
        if PARAMS not in rngs:
            key = hk.maybe_next_rng_key()
            if key is not None:
                rngs[PARAMS] = key
        return rngs, init_kwargs

    def init(self, key: Any, *args: Any, **kwargs: Any) -> tuple[dict, dict]:
        return _split_collections(self.module.init(key, *args, **kwargs))

    def apply(self, params: Mapping, state: Mapping, args: tuple, kwargs: dict) -> tuple[Any, dict]:
        variables = _merge_collections(params, state)
        mutable = [c for c in variables if c != PARAMS]
        if "rngs" in kwargs:  # The caller's randomness: Flax takes it as given.
            kwargs = dict(kwargs)
            return self._apply(variables, mutable, kwargs.pop("rngs"), args, kwargs)
        try:
            return self._apply(variables, mutable, None, args, kwargs)
        except flax.errors.InvalidRngError as error:
            # The module asked for randomness: give it a Haiku key (Flax's
            # other streams fall back to "params").
            key = hk.maybe_next_rng_key()
            if key is None:
                raise ValueError(
                    f"hk.experimental.flax.lift: the Flax module {type(self.module).__name__} "
                    "needs a random key while it runs; pass a PRNG key to the Haiku "
                    "`init`/`apply` that calls it."
                ) from error
            return self._apply(variables, mutable, {PARAMS: key}, args, kwargs)

    def _apply(self, variables, mutable, rngs, args, kwargs) -> tuple[Any, dict]:
        if not mutable:
            return self.module.apply(variables, *args, rngs=rngs, **kwargs), {}
        out, updated = self.module.apply(variables, *args, rngs=rngs, mutable=mutable, **kwargs)
        _, state = _split_collections({c: v for c, v in updated.items() if c != PARAMS})
        return out, state


class _NnxRunner(_Runner):
    def __init__(self, module: nnx.Module):
        self.module = module

    def init_rngs(self, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """No key: an NNX module is initialised when it is built."""
        return None, kwargs

    def _split(self, module: nnx.Module) -> tuple[Any, Any, Any]:
        graphdef, params, *rest = nnx.split(module, nnx.Param, ...)
        return graphdef, params, rest[0]

    def init(self, key: Any, *args: Any, **kwargs: Any) -> tuple[dict, dict]:
        del key, args, kwargs  # An NNX module is initialised when it is built.
        _, params, rest = self._split(self.module)
        return (
            dict(flatten_flax_to_haiku(nnx.to_pure_dict(params))),
            dict(flatten_flax_to_haiku(nnx.to_pure_dict(rest))),
        )

    def apply(self, params: Mapping, state: Mapping, args: tuple, kwargs: dict) -> tuple[Any, dict]:
        graphdef, params_tpl, rest_tpl = self._split(self.module)
        nnx.replace_by_pure_dict(params_tpl, _like(nnx.to_pure_dict(params_tpl), params))
        nnx.replace_by_pure_dict(rest_tpl, _like(nnx.to_pure_dict(rest_tpl), state))
        module = nnx.merge(graphdef, params_tpl, rest_tpl)
        out = module(*args, **kwargs)
        _, _, rest = self._split(module)
        return out, dict(flatten_flax_to_haiku(nnx.to_pure_dict(rest)))


def _like(template: Mapping[Any, Any], flat: Mapping[str, Mapping[str, Any]]) -> dict[Any, Any]:
    """The values of the Haiku dict ``flat``, nested as ``template`` (keys may be ints)."""

    def build(node: Mapping[Any, Any], path: tuple[str, ...]) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key, value in node.items():
            if isinstance(value, Mapping):
                out[key] = build(value, (*path, str(key)))
            else:
                module_name = "/".join(path) or TOP_LEVEL
                try:
                    out[key] = flat[module_name][str(key)]
                except KeyError:
                    raise ValueError(
                        f"hk.experimental.flax.lift: the Haiku values lack {module_name!r}/"
                        f"{key!r} of the NNX module; available: {sorted(flat)}"
                    ) from None
        return out

    return build(template, ())
