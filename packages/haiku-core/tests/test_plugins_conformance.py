"""The conformance kit (hk.testing.check_module) and its plugin hook.

Each check is shown to pass on a well-behaved module and to fail, with a
message saying what differed, on a module that breaks its guarantee. Only
the checks a test is about run (``checks=``), to keep compilations few.
"""

from __future__ import annotations

import json
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
import haiku.plugins
from haiku._src import base, interception, mixed_precision

X = np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(2, 3)


class Scale(hk.Module):
    """A well-behaved module with one parameter and one state counter."""

    def __call__(self, x):
        count = hk.get_state("count", [], jnp.int32, init=jnp.zeros)
        hk.set_state("count", count + 1)
        return x * hk.get_parameter("scale", [x.shape[-1]], x.dtype, init=jnp.ones) + 0.5


def scale_fn(x):
    return Scale()(x)


@pytest.fixture(autouse=True)
def _nothing_left_behind():
    yield
    assert base._FRAMES.get() == ()
    assert interception.interceptors.get() == ()
    assert mixed_precision.current_policy() is None


def test_checks_are_listed_in_order():
    assert hk.testing.CONFORMANCE_CHECKS == (
        "determinism", "purity", "jit", "vmap", "grad", "remat", "scan", "layer_stack",
        "eval_shape", "mixed_precision", "interceptors", "golden")


def test_a_good_stateful_module_passes_every_check(tmp_path):
    golden = tmp_path / "golden" / "Scale.json"
    report = hk.testing.check_module(scale_fn, X, name="Scale", golden=golden,
                                     policy_classes=(Scale,), update_golden=True)
    assert report.passed == hk.testing.CONFORMANCE_CHECKS
    assert json.loads(golden.read_text()) == {
        "params": {"scale": {"scale": "float32[3]"}},
        "state": {"scale": {"count": "int32[]"}},
    }
    # Compared, not rewritten, the second time.
    report = hk.testing.check_module(scale_fn, X, name="Scale", golden=golden,
                                     policy_classes=(Scale,), update_golden=False)
    assert report.passed == hk.testing.CONFORMANCE_CHECKS
    assert report.not_applicable == {} and report.not_run == {}


def test_golden_mismatch_and_missing_file(tmp_path):
    golden = tmp_path / "Scale.json"
    golden.write_text(json.dumps({"params": {"scale": {"scale": "float32[4]"}}, "state": {}}))
    with pytest.raises(hk.testing.ConformanceError) as info:
        hk.testing.check_module(scale_fn, X, name="Scale", golden=golden, checks=["golden"])
    message = str(info.value)
    assert "'Scale' failed 1 conformance check(s)" in message
    assert "golden: params tree differs" in message and "float32[3]" in message
    assert info.value.failures.keys() == {"golden"}
    with pytest.raises(hk.testing.ConformanceError, match="no golden file .*missing.json"):
        hk.testing.check_module(scale_fn, X, golden=tmp_path / "missing.json",
                                checks=["golden"], update_golden=False)


def test_golden_written_when_the_environment_asks(tmp_path, monkeypatch):
    monkeypatch.setenv("HAIKU_CONFORMANCE_UPDATE_GOLDEN", "1")
    hk.testing.ModuleExample("Scale", scale_fn, (X,)).check(tmp_path, checks=["golden"])
    assert json.loads((tmp_path / "Scale.json").read_text())["state"] == {
        "scale": {"count": "int32[]"}}


def test_describe_tree_keeps_order_and_reads_shape_structs():
    params = {"b": {"w": jnp.zeros([2, 1], jnp.bfloat16)},
              "a": {"z": jax.ShapeDtypeStruct((3,), jnp.float32), "y": np.zeros([], np.int8)}}
    described = hk.testing.describe_tree(params)
    assert described == {"params": {"b": {"w": "bfloat16[2, 1]"},
                                    "a": {"z": "float32[3]", "y": "int8[]"}}, "state": {}}
    assert list(described["params"]) == ["b", "a"]


def test_declared_checks_are_reported_with_their_reason():
    report = hk.testing.check_module(
        scale_fn, X, checks=["determinism", "mixed_precision"],
        not_applicable={"mixed_precision": "no policy wanted here"})
    assert report.passed == ("determinism",)
    assert report.not_applicable == {"mixed_precision": "no policy wanted here"}
    assert report.not_run["jit"] == "not requested"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"checks": ["speed"]}, "unknown conformance check 'speed'"),
        ({"not_applicable": {"vmap": ""}}, "'vmap' is declared not applicable without a reason"),
        ({"not_applicable": {"jitt": "typo"}}, "unknown conformance check 'jitt'"),
    ],
)
def test_bad_declarations(kwargs, message):
    with pytest.raises(ValueError, match=message):
        hk.testing.check_module(scale_fn, X, name="Scale", **kwargs)


def test_mixed_precision_needs_policy_classes_or_a_declaration():
    with pytest.raises(hk.testing.ConformanceError, match="no policy_classes given"):
        hk.testing.check_module(scale_fn, X, checks=["mixed_precision"])


# -- each check catches the fault it is about ---------------------------------------


class Noisy(hk.Module):
    """Draws from NumPy's global generator: neither deterministic nor traceable."""

    def __call__(self, x):
        w = hk.get_parameter("w", [], init=lambda *_: jnp.asarray(np.random.rand(), jnp.float32))
        return x * w


def test_determinism_catches_hidden_randomness():
    with pytest.raises(hk.testing.ConformanceError,
                       match=r"determinism: init params \(second transform\)\['noisy'\]\['w'\]"):
        hk.testing.check_module(lambda x: Noisy()(x), X, checks=["determinism"])


def test_purity_catches_an_input_mutated_in_place():
    def fn(x):
        if isinstance(x, np.ndarray):
            x += 1.0  # writes into the caller's array
        return Scale()(jnp.asarray(x))

    with pytest.raises(hk.testing.ConformanceError, match=r"purity: inputs after init/apply"):
        hk.testing.check_module(fn, X.copy(), checks=["purity"])


def test_purity_catches_a_module_that_needs_an_undeclared_key():
    def fn(x):
        return x + jax.random.uniform(hk.next_rng_key(), x.shape)

    with pytest.raises(hk.testing.ConformanceError, match=r"init/apply: MissingRNGError: .*declare apply_rng=True"):
        hk.testing.check_module(fn, X, checks=["purity"])
    report = hk.testing.check_module(fn, X, apply_rng=True, checks=["determinism", "purity"])
    assert report.passed == ("determinism", "purity")


def test_jit_vmap_grad_catch_a_concrete_value():
    class Concrete(hk.Module):
        def __call__(self, x):
            return x * float(jnp.sum(x))  # needs a concrete value

    with pytest.raises(hk.testing.ConformanceError) as info:
        hk.testing.check_module(lambda x: Concrete()(x), X,
                                checks=["jit", "vmap", "grad", "eval_shape"])
    assert set(info.value.failures) == {"jit", "vmap", "grad", "eval_shape"}
    assert "ConcretizationTypeError" in info.value.failures["jit"]


def test_vmap_catches_a_module_that_mixes_examples():
    class BatchDependent(hk.Module):
        """Reads a Python-side counter: the second call differs from the first."""

        calls = 0

        def __call__(self, x):
            BatchDependent.calls += 1
            return x * (BatchDependent.calls % 2)

    with pytest.raises(hk.testing.ConformanceError, match=r"vmap: vmap\(apply\)"):
        hk.testing.check_module(lambda x: BatchDependent()(x), X, checks=["vmap"])


def test_grad_catches_non_finite_gradients():
    class Sqrt(hk.Module):
        def __call__(self, x):
            return jnp.sqrt(jnp.abs(x) * 0.0)

    with pytest.raises(hk.testing.ConformanceError, match=r"grad: grad.* is not finite"):
        hk.testing.check_module(lambda x: Sqrt()(x), X, checks=["grad"])


def test_mixed_precision_catches_an_output_in_the_wrong_dtype():
    def fn(x):
        return Scale()(x).astype(jnp.bfloat16)

    with pytest.raises(hk.testing.ConformanceError,
                       match="output .* is bfloat16, the policy says float32"):
        hk.testing.check_module(fn, X, policy_classes=(Scale,), checks=["mixed_precision"])


def test_interceptors_catch_parameters_read_around_the_getter():
    class Sneaky(hk.Module):
        def __call__(self, x):
            if hk.running_init():
                hk.get_parameter("w", [], init=jnp.ones)
                return x
            # Reads its parameter from hk.get_params(), bypassing the getters.
            return x * hk.get_params()["sneaky"]["w"]

    with pytest.raises(hk.testing.ConformanceError, match="the custom getter ran 1 times for 2 params"):
        hk.testing.check_module(lambda x: Sneaky()(x) + Scale()(x), X, checks=["interceptors"])


def test_interceptors_need_a_module_method():
    fn = lambda x: x * hk.get_parameter("w", [], init=jnp.ones)  # noqa: E731
    with pytest.raises(hk.testing.ConformanceError, match="saw no module method call"):
        hk.testing.check_module(fn, X, checks=["interceptors"])


def test_a_failing_module_reports_every_failed_check():
    with pytest.raises(hk.testing.ConformanceError) as info:
        hk.testing.check_module(lambda x: Noisy()(x), X, checks=["determinism", "jit"])
    assert list(info.value.failures) == ["determinism", "jit"]
    assert str(info.value).startswith("'<lambda>' failed 2 conformance check(s):\n- determinism")


# -- the plugin hook ----------------------------------------------------------------


def _example_plugin(examples):
    plugin = types.ModuleType("conformance_demo")
    plugin.HAIKU_PLUGIN_API_VERSION = 1

    @haiku.plugins.hookimpl
    def haiku_conformance_examples():
        return examples

    plugin.haiku_conformance_examples = haiku_conformance_examples
    return plugin


@pytest.fixture
def register():
    names = []

    def register(examples, name="conformance_demo"):
        haiku.plugins.register(_example_plugin(examples), name=name)
        names.append(name)

    yield register
    for name in names:
        haiku.plugins.unregister(name)


def test_haiku_conformance_examples_hook_collects_examples(register):
    hook = haiku.plugins.plugin_manager().hook.haiku_conformance_examples
    assert hook.spec is not None and hook.spec.argnames == ()
    example = hk.testing.ModuleExample("Scale", scale_fn, (X,), policy_classes=(Scale,))
    register([example])
    (collected,) = hk.testing.conformance_examples(plugins=["conformance_demo"])
    assert collected.plugin == "conformance_demo"
    assert collected.name == "Scale" and collected.fn is scale_fn
    assert collected.check(checks=["determinism"]).passed == ("determinism",)
    assert "conformance_demo" in {e.plugin for e in hk.testing.conformance_examples()}


@pytest.mark.parametrize(
    "examples, message",
    [
        ([object()], "haiku_conformance_examples returned <object"),
        ([hk.testing.ModuleExample("A", scale_fn, (X,))] * 2, "two conformance examples named 'A'"),
    ],
)
def test_haiku_conformance_examples_hook_validates_results(register, examples, message):
    register(examples)
    with pytest.raises(ValueError, match=f"plugin 'conformance_demo': {message}"):
        hk.testing.conformance_examples(plugins=["conformance_demo"])


def test_haiku_conformance_examples_hook_that_raises_names_its_plugin(register):
    register([hk.testing.ModuleExample("A", scale_fn, (X,))], name="fine")

    def broken():
        raise KeyError("no such module")

    plugin = _example_plugin(None)
    plugin.haiku_conformance_examples = haiku.plugins.hookimpl(broken)
    haiku.plugins.register(plugin, name="conformance_demo")
    try:
        with pytest.raises(RuntimeError, match="plugin 'conformance_demo': its "
                           "haiku_conformance_examples hook raised KeyError") as info:
            hk.testing.conformance_examples()
        assert isinstance(info.value.__cause__, KeyError)
        # The other plugins' examples are still reachable.
        (example,) = hk.testing.conformance_examples(plugins=["fine"])
        assert example.plugin == "fine"
    finally:
        haiku.plugins.unregister("conformance_demo")


class PythonCounter(hk.Module):
    """Counts its calls in Python, not in Haiku state: loops trace it once."""

    calls = 0

    def __call__(self, x):
        PythonCounter.calls += 1
        return x * PythonCounter.calls


@pytest.mark.parametrize("check, message", [
    ("scan", r"scan: hk.scan outputs vs. two applies in a row"),
    ("layer_stack", r"layer_stack: layer 0 outputs vs. apply with its params"),
])
def test_loop_checks_catch_state_kept_outside_haiku(check, message):
    with pytest.raises(hk.testing.ConformanceError, match=message):
        hk.testing.check_module(lambda x: PythonCounter()(x), X, checks=[check])
    # A module carrying its count in Haiku state passes (its parameter and
    # counter are stacked per layer and each layer's slice is compared).
    assert hk.testing.check_module(scale_fn, X, checks=[check]).passed == (check,)
