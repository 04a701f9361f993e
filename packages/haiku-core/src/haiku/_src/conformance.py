"""The conformance kit: checks that a module behaves like every Haiku module.

:func:`check_module` runs a function that builds and calls modules (the
*factory*) through ``hk.transform_with_state`` and checks, on tiny example
inputs, the guarantees Haiku's own modules give: deterministic and pure
``init``/``apply``, ``jax.jit``, ``jax.vmap`` of ``apply``, ``jax.grad``,
``hk.remat``, ``jax.eval_shape``/``hk.eval_shape``, a bfloat16
mixed-precision policy, identity interceptors, and a golden file of the
parameter and state tree (names, order, shapes, dtypes).

Plugins describe their modules as :class:`ModuleExample` objects and return
them from the ``haiku_conformance_examples`` hook (see
:class:`haiku.plugins.HaikuHookSpecs`); :func:`conformance_examples` collects
them from every loaded plugin, so one test can run the kit over every
installed module.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from haiku._src.conformance_checks import CHECKS, UPDATE_GOLDEN_ENV, Run, describe_tree

__all__ = [
    "CONFORMANCE_CHECKS",
    "ConformanceError",
    "ConformanceReport",
    "ModuleExample",
    "check_module",
    "conformance_examples",
    "describe_tree",
]

CONFORMANCE_CHECKS: tuple[str, ...] = (
    "determinism",
    "purity",
    "jit",
    "vmap",
    "grad",
    "remat",
    "scan",
    "layer_stack",
    "eval_shape",
    "mixed_precision",
    "interceptors",
    "golden",
)
"""The names of the checks :func:`check_module` runs, in the order it runs them.

- ``determinism``: ``init`` twice (two transforms of the factory, one key)
  gives bit-identical trees; ``apply`` twice gives bit-identical outputs and
  state.
- ``purity``: no Haiku frame, interceptor or policy is left behind; NumPy
  inputs and the params/state passed to ``apply`` are not mutated; a module
  that does not declare ``apply_rng`` runs with ``rng=None``.
- ``jit``: ``jax.jit`` of ``init`` and ``apply`` agree with eager runs.
- ``vmap``: ``jax.vmap`` of ``apply`` over a stack of two inputs agrees with
  two separate applies (params, state and key shared).
- ``grad``: ``jax.grad`` of the sum of the outputs w.r.t. the params and the
  floating inputs has the params' structure and dtypes and is finite.
- ``remat``: the factory wrapped in ``hk.remat`` creates the same tree and
  gives the same outputs and gradients.
- ``scan``: the factory stepped by ``hk.scan`` over two inputs (in init and
  in apply, state carried from step to step) creates the same tree and gives
  the outputs and final state of two applies in a row.
- ``layer_stack``: the factory as a two-layer ``hk.layer_stack`` (the two
  inputs fed as per-layer inputs) creates every parameter and state entry
  once per layer (stacked on a leading axis, names under
  ``__layer_stack_with_per_layer/``); each layer's outputs and new state
  equal an ``apply`` with that layer's slice of the trees (for modules that
  draw keys in ``apply``: the same shapes and dtypes, the keys differ).
- ``eval_shape``: ``jax.eval_shape`` of ``init``/``apply`` and ``hk.eval_shape``
  of the factory inside a transform give the real shapes and dtypes.
- ``mixed_precision``: with ``params=float32,compute=bfloat16,output=float32``
  pushed for the example's ``policy_classes``, floating params and outputs
  are float32 and the outputs are close to the float32 ones.
- ``interceptors``: an identity ``custom_creator``, ``custom_getter`` (params
  and state) and ``intercept_methods`` leave params, state and outputs
  bit-identical, and each of them runs.
- ``golden``: the tree's names, order, shapes and dtypes equal a JSON file.
"""


class ConformanceError(AssertionError):
    """A module failed one or more conformance checks.

    The message names the example and, for each failed check, what differed.
    ``failures`` maps each failed check to its message.
    """

    def __init__(self, name: str, failures: Mapping[str, str]):
        self.failures = dict(failures)
        lines = [f"{name!r} failed {len(failures)} conformance check(s):"]
        lines += [f"- {check}: {message}" for check, message in failures.items()]
        super().__init__("\n".join(lines))


@dataclasses.dataclass(frozen=True)
class ConformanceReport:
    """What :func:`check_module` did for one module (returned when all passed).

    Attributes:
      name: The example's name.
      passed: The checks that ran and passed, in order.
      not_applicable: ``{check: reason}`` for the checks the example declared
        not applicable.
      not_run: ``{check: reason}`` for checks left out for another reason
        (not requested, or no golden file given).
    """

    name: str
    passed: tuple[str, ...]
    not_applicable: Mapping[str, str]
    not_run: Mapping[str, str]


@dataclasses.dataclass(frozen=True)
class ModuleExample:
    """One module (or small network) to run through the conformance kit.

    Attributes:
      name: A unique name within its plugin, used for the golden file
        (``<golden_dir>/<name>.json``), e.g. ``"Conv2D"`` or ``"LSTM_unroll"``.
      fn: The factory: builds modules and calls them on ``*inputs``; run
        inside ``hk.transform_with_state``. Close over constructor arguments
        and call options such as ``is_training``.
      inputs: Example inputs (arrays; keep them tiny). Each gets a leading
        axis of two for the ``vmap`` check.
      policy_classes: Module classes that get the bfloat16 policy in the
        ``mixed_precision`` check (usually the class under test).
      apply_rng: Whether ``apply`` needs a key (e.g. dropout). If false,
        ``apply`` runs with ``rng=None``.
      not_applicable: ``{check: reason}`` for checks that do not apply to
        this module; the reason is required and reported.
      rtol: Relative tolerance of the ``jit``, ``vmap`` and ``remat`` checks.
      atol: Absolute tolerance of those checks.
      bf16_tolerance: Largest error of the bfloat16 outputs relative to the
        largest float32 output (``mixed_precision`` check).
      plugin: The plugin that registered the example (set by
        :func:`conformance_examples`).

    Example:

    >>> import numpy as np
    >>> ex = hk.testing.ModuleExample(
    ...     "Scale", lambda x: x * hk.get_parameter("s", [], init=jnp.ones),
    ...     (np.ones([2], np.float32),),
    ...     not_applicable={"mixed_precision": "no module class",
    ...                     "interceptors": "no module method to intercept"})
    >>> ex.check().passed
    ('determinism', 'purity', 'jit', 'vmap', 'grad', 'remat', 'scan', 'layer_stack', 'eval_shape')
    """

    name: str
    fn: Callable[..., Any]
    inputs: tuple[Any, ...]
    policy_classes: tuple[type, ...] = ()
    apply_rng: bool = False
    not_applicable: Mapping[str, str] = dataclasses.field(default_factory=dict)
    rtol: float = 1e-5
    atol: float = 1e-5
    bf16_tolerance: float = 0.1
    plugin: str | None = None

    def check(
        self,
        golden_dir: str | os.PathLike[str] | None = None,
        *,
        checks: Sequence[str] | None = None,
        update_golden: bool | None = None,
    ) -> ConformanceReport:
        """Runs :func:`check_module` on this example.

        Args:
          golden_dir: Folder of the golden files; this example's is
            ``<golden_dir>/<name>.json``. None: no golden check.
          checks: Only these checks (default: all of
            :data:`CONFORMANCE_CHECKS`).
          update_golden: Write the golden file instead of comparing (default:
            ``HAIKU_CONFORMANCE_UPDATE_GOLDEN=1`` in the environment).

        Returns:
          The :class:`ConformanceReport`.
        """
        golden = None if golden_dir is None else Path(golden_dir) / f"{self.name}.json"
        return check_module(
            self.fn,
            *self.inputs,
            name=self.name,
            golden=golden,
            policy_classes=self.policy_classes,
            apply_rng=self.apply_rng,
            not_applicable=self.not_applicable,
            checks=checks,
            update_golden=update_golden,
            rtol=self.rtol,
            atol=self.atol,
            bf16_tolerance=self.bf16_tolerance,
        )


def check_module(
    fn: Callable[..., Any],
    *inputs: Any,
    name: str | None = None,
    golden: str | os.PathLike[str] | None = None,
    policy_classes: Sequence[type] = (),
    apply_rng: bool = False,
    not_applicable: Mapping[str, str] | None = None,
    checks: Sequence[str] | None = None,
    update_golden: bool | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-5,
    bf16_tolerance: float = 0.1,
    seed: int = 0,
) -> ConformanceReport:
    """Checks that a module factory behaves like every Haiku module.

    ``fn`` builds modules and calls them on ``*inputs``; it is transformed
    with ``hk.transform_with_state``, so stateful modules (``hk.BatchNorm``)
    and modules that need a key in ``apply`` (``apply_rng=True``) work. The
    checks are listed in :data:`CONFORMANCE_CHECKS`; every check runs, and
    all failures are reported together.

    >>> import numpy as np
    >>> class Scale(hk.Module):
    ...   def __call__(self, x):
    ...     return x * hk.get_parameter("scale", [], x.dtype, init=jnp.ones)
    >>> report = hk.testing.check_module(
    ...     lambda x: Scale()(x), np.ones([3], np.float32), policy_classes=(Scale,))
    >>> report.passed[:3], report.not_run
    (('determinism', 'purity', 'jit'), {'golden': 'no golden file given'})

    A check that cannot apply is declared, with the reason, never skipped
    silently:

    >>> report = hk.testing.check_module(
    ...     lambda x: Scale()(x), np.ones([3], np.float32),
    ...     not_applicable={"mixed_precision": "tested elsewhere"})
    >>> report.not_applicable
    {'mixed_precision': 'tested elsewhere'}

    Args:
      fn: The factory, run inside ``hk.transform_with_state``.
      *inputs: Tiny example inputs (arrays).
      name: The name used in messages (default: ``fn``'s name).
      golden: Path of the JSON golden file of the params/state tree. None: no
        golden check.
      policy_classes: Module classes that get a
        ``params=float32,compute=bfloat16,output=float32`` policy in the
        ``mixed_precision`` check.
      apply_rng: Whether ``apply`` needs a key; if false it gets ``None``.
      not_applicable: ``{check: reason}`` for checks that do not apply.
      checks: Run only these checks (default: all).
      update_golden: Write the golden file instead of comparing with it
        (default: whether ``HAIKU_CONFORMANCE_UPDATE_GOLDEN=1``).
      rtol: Relative tolerance of the jit/vmap/remat comparisons.
      atol: Absolute tolerance of those comparisons.
      bf16_tolerance: Largest bfloat16 output error, relative to the largest
        float32 output.
      seed: Seed of the init (and apply) keys.

    Returns:
      A :class:`ConformanceReport` when every check passed.

    Raises:
      ConformanceError: Listing every failed check and what differed.
      ValueError: For an unknown check name or a declaration without a reason.
    """
    name = str(name or getattr(fn, "__name__", None) or repr(fn))
    not_applicable = dict(not_applicable or {})
    requested = tuple(CONFORMANCE_CHECKS if checks is None else checks)
    for check in (*requested, *not_applicable):
        if check not in CONFORMANCE_CHECKS:
            raise ValueError(f"{name}: unknown conformance check {check!r}; "
                             f"known: {', '.join(CONFORMANCE_CHECKS)}")
    for check, reason in not_applicable.items():
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{name}: check {check!r} is declared not applicable without a reason")
    if update_golden is None:
        update_golden = os.environ.get(UPDATE_GOLDEN_ENV, "") == "1"
    options = {
        "rtol": rtol,
        "atol": atol,
        "bf16_tolerance": bf16_tolerance,
        "policy_classes": tuple(policy_classes),
        "golden": None if golden is None else Path(golden),
        "update_golden": update_golden,
    }
    not_run = {c: "not requested" for c in CONFORMANCE_CHECKS if c not in requested}
    if golden is None and "golden" in requested and "golden" not in not_applicable:
        not_run["golden"] = "no golden file given"
    to_run = [c for c in requested if c not in not_applicable and c not in not_run]
    try:
        run = Run(fn, inputs, apply_rng, seed, options, to_run)
    except Exception as e:
        message = f"{type(e).__name__}: {e}"
        if not apply_rng and "rng" in message.lower():
            message += " (apply runs with rng=None: declare apply_rng=True if it needs a key)"
        raise ConformanceError(name, {"init/apply": message}) from e
    passed: list[str] = []
    failures: dict[str, str] = {}
    for check in to_run:
        try:
            CHECKS[check](run, options)
        except Exception as e:  # every check runs; all failures are reported
            message = str(e) if isinstance(e, AssertionError) else f"{type(e).__name__}: {e}"
            failures[check] = message
        else:
            passed.append(check)
    if failures:
        raise ConformanceError(name, failures)
    return ConformanceReport(name, tuple(passed), not_applicable, not_run)


def conformance_examples(plugins: Iterable[str] | None = None) -> list[ModuleExample]:
    """The :class:`ModuleExample` objects of every loaded plugin.

    Calls each plugin's ``haiku_conformance_examples`` hook (see
    :class:`haiku.plugins.HaikuHookSpecs`), in plugin registration order, and
    sets each example's ``plugin``.

    >>> examples = hk.testing.conformance_examples()
    >>> all(isinstance(e, hk.testing.ModuleExample) for e in examples)
    True

    Args:
      plugins: Only the examples of these plugin names (default: all).

    Returns:
      The examples.

    Raises:
      ValueError: If a hook returns something that is not a ``ModuleExample``
        or one plugin returns two examples with one name.
      haiku.plugins.PluginHookError: A ``RuntimeError``, if a hook raises
        (naming the plugin; the original error is chained). Pass ``plugins``
        to leave that plugin out.
    """
    from haiku.plugins import call_each, plugin_manager

    hook = plugin_manager().hook.haiku_conformance_examples
    examples: list[ModuleExample] = []
    for plugin, results in call_each(hook, plugins=None if plugins is None else set(plugins)):
        seen: set[str] = set()
        for example in results:
            if not isinstance(example, ModuleExample):
                raise ValueError(
                    f"plugin {plugin!r}: haiku_conformance_examples returned "
                    f"{example!r}, not a haiku.testing.ModuleExample")
            if example.name in seen:
                raise ValueError(
                    f"plugin {plugin!r}: two conformance examples named {example.name!r}")
            seen.add(example.name)
            examples.append(dataclasses.replace(example, plugin=plugin))
    return examples
