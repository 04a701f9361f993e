"""The records :func:`haiku.experimental.eval_summary` returns.

:class:`ArraySpec` stands for an array (its shape and dtype only),
:class:`ModuleDetails` for a module and one of its methods, and
:class:`MethodInvocation` for one call of that method. All three are frozen
dataclasses, so they compare by value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np

import haiku as hk

__all__ = ["ArraySpec", "MethodInvocation", "ModuleDetails", "dtype_short_name", "to_spec_tree"]

_KIND_PREFIX = {"f": "f", "i": "s", "u": "u", "c": "c", "V": "f"}


def dtype_short_name(dtype: Any) -> str:
    """The short name JAX prints for a dtype: ``f32``, ``bf16``, ``s32``, ``bool``.

    >>> dtype_short_name(jnp.float32), dtype_short_name(jnp.bfloat16)
    ('f32', 'bf16')
    >>> dtype_short_name(np.int8), dtype_short_name(np.uint16), dtype_short_name(bool)
    ('s8', 'u16', 'bool')
    """
    try:
        dtype = np.dtype(dtype)
    except TypeError:  # an extended dtype, e.g. key<fry>
        return str(dtype)
    name = dtype.name
    if name == "bool":
        return "bool"
    if name == "bfloat16":
        return "bf16"
    for prefix, short in (("float", "f"), ("uint", "u"), ("int", "s"), ("complex", "c")):
        if name.startswith(prefix):
            return short + name[len(prefix):]
    return name


@dataclasses.dataclass(frozen=True)
class ArraySpec:
    """Shaped and sized specification of an array.

    It prints as JAX prints abstract arrays:

    >>> spec = hk.experimental.ArraySpec((8, 784), jnp.float32)
    >>> spec
    f32[8,784]
    >>> spec.size
    6272
    >>> hk.experimental.ArraySpec.from_array(jnp.zeros([2], jnp.int32))
    s32[2]

    Attributes:
      shape: Shape of the array (a tuple of ints).
      dtype: DType of the array (a ``numpy.dtype``).
    """

    shape: Sequence[int]
    dtype: Any

    def __post_init__(self) -> None:
        try:
            shape = tuple(int(d) for d in self.shape)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"ArraySpec: shape must be a sequence of ints, got {self.shape!r}"
            ) from e
        object.__setattr__(self, "shape", shape)
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:  # an extended dtype, e.g. the key<fry> of jax.random.key
            dtype = self.dtype
        object.__setattr__(self, "dtype", dtype)

    @classmethod
    def from_array(cls, array: Any) -> ArraySpec:
        """The spec of ``array`` (anything with ``shape`` and ``dtype``).

        >>> hk.experimental.ArraySpec.from_array(np.zeros([3, 1], np.float16))
        f16[3,1]
        """
        return cls(array.shape, array.dtype)

    @property
    def size(self) -> int:
        """The number of elements (the product of the shape)."""
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        """The number of bytes of an array with this spec."""
        return self.size * getattr(self.dtype, "itemsize", 0)

    def __repr__(self) -> str:
        return f"{dtype_short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    __str__ = __repr__


def _is_array(x: Any) -> bool:
    return isinstance(x, (jax.Array, np.ndarray, np.generic, jax.ShapeDtypeStruct))


def to_spec_tree(tree: Any) -> Any:
    """``tree`` with every array leaf replaced by its :class:`ArraySpec`.

    >>> to_spec_tree({"x": jnp.ones([2]), "n": 3})
    {'n': 3, 'x': f32[2]}
    """
    return jax.tree_util.tree_map(
        lambda x: ArraySpec.from_array(x) if _is_array(x) else x, tree
    )


def _specs(values: Mapping[str, Any]) -> dict[str, ArraySpec]:
    return {k: ArraySpec.from_array(values[k]) for k in sorted(values)}


@dataclasses.dataclass(frozen=True)
class ModuleDetails:
    """Module and method related information.

    >>> class Scale(hk.Module):
    ...   def __call__(self, x):
    ...     return x * hk.get_parameter("s", [2], init=jnp.ones)
    >>> s = Scale()
    >>> _ = s(jnp.ones([2]))
    >>> hk.experimental.ModuleDetails.of(s, "__call__")
    ModuleDetails(module=Scale(), method_name='__call__', params={'scale/s': f32[2]}, state={})

    Attributes:
      module: The module.
      method_name: The method name that was invoked on the module.
      params: The parameters of the module and of its submodules, by full
        name (``"mlp/~/linear_0/w"``, sorted), as :class:`ArraySpec`.
      state: The state of the module and of its submodules, likewise.
    """

    module: hk.Module
    method_name: str
    params: Mapping[str, ArraySpec]
    state: Mapping[str, ArraySpec]

    @classmethod
    def of(cls, module: hk.Module, method_name: str) -> ModuleDetails:
        """The details of ``module`` now (inside a transformed function)."""
        return cls(
            module=module,
            method_name=method_name,
            params=_specs(module.params_dict()),
            state=_specs(module.state_dict()),
        )


@dataclasses.dataclass(frozen=True)
class MethodInvocation:
    """Record of a method being invoked on a given module.

    :func:`haiku.experimental.eval_summary` returns these, in the order the
    calls start:

    >>> class Scale(hk.Module):
    ...   def __call__(self, x, *, offset=0.):
    ...     return x * hk.get_parameter("s", [2], init=jnp.ones) + offset
    >>> [call] = hk.experimental.eval_summary(lambda x: Scale()(x, offset=1.))(jnp.ones([2]))
    >>> call.args_spec, call.kwargs_spec, call.output_spec
    ((f32[2],), {'offset': 1.0}, f32[2])
    >>> call.module_details.params
    {'scale/s': f32[2]}

    Attributes:
      module_details: Details about which module and method were invoked.
      args_spec: Positional arguments to the method invocation with arrays
        replaced by :class:`ArraySpec`.
      kwargs_spec: Keyword arguments to the method invocation with arrays
        replaced by :class:`ArraySpec` (sorted by name).
      output_spec: The output of the method with arrays replaced by
        :class:`ArraySpec`.
      context: Additional context information for the method call as provided
        by :func:`haiku.intercept_methods`.
      call_stack: The modules (and methods) running when this method was
        called, innermost first: this module itself, then the module that
        called it, and so on. If ``A`` calls ``B`` which calls ``C``, the call
        stack of ``C``'s invocation is ``(C, B, A)`` details. Name scopes
        (:func:`haiku.name_scope`) appear as modules of their own.
    """

    module_details: ModuleDetails
    args_spec: tuple[Any, ...]
    kwargs_spec: dict[str, Any]
    output_spec: Any
    context: hk.MethodContext
    call_stack: Sequence[ModuleDetails]
