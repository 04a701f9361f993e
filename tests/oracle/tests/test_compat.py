"""The compat harness on a made-up dm-haiku package: names, rewriting, the shim."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

from haiku_oracle.compat import __main__ as compat_main
from haiku_oracle.compat import running, shim, sources


@pytest.fixture
def package(tmp_path):
    """A package laid out like dm-haiku's: public modules re-exporting ``_src`` names."""
    root = tmp_path / "haiku"
    (root / "_src").mkdir(parents=True)
    (root / "__init__.py").write_text(
        "from haiku._src.base import get_parameter\nfrom haiku._src.basic import Linear as Dense\n")
    (root / "nets.py").write_text("from haiku._src.mlp import MLP\n")
    (root / "_src" / "basic.py").write_text("class hk:\n  Module = object\n")
    (root / "_src" / "test_utils.py").write_text(
        "from haiku._src import base\nGET = base.get_parameter\n")
    return root


def test_public_names_map_private_names_to_their_public_home(package):
    assert sources.public_names(package) == {
        "base": {"get_parameter": "haiku:get_parameter"},
        "basic": {"Linear": "haiku:Dense", "hk": "haiku"},
        "mlp": {"MLP": "haiku.nets:MLP"},
    }


def test_rewrite_changes_only_private_imports_and_keeps_lines():
    source = "from haiku._src import base\nimport haiku as hk\n  from haiku._src.nets import mlp\n"
    rewritten = sources.rewrite(source)
    assert rewritten == (f"from {sources.SHIM_PACKAGE} import base\nimport haiku as hk\n"
                         f"  from {sources.SHIM_PACKAGE}.nets import mlp\n")


def test_internals_names_what_has_no_public_home(package):
    source = textwrap.dedent("""
        from haiku._src import base
        from haiku._src import test_utils
        base.get_parameter
        base.current_frame
    """)
    assert sources.internals(source, sources.public_names(package), package) == (
        "base.current_frame",)
    by_name = 'import importlib\nimportlib.import_module("haiku._src.nets")\n'
    assert sources.internals(by_name, sources.public_names(package), package) == (
        "haiku._src.nets (named in a string)",)


def test_shim_serves_public_names_and_fails_loudly_on_internal_ones(package, monkeypatch):
    # Imported first: importing haiku adds its own finder to sys.meta_path, which
    # must not be lost when monkeypatch puts the list back.
    import haiku as hk

    monkeypatch.setattr(sys, "meta_path", [shim.Finder(package), *sys.meta_path])
    for name in [n for n in sys.modules if n.startswith(sources.SHIM_PACKAGE)]:
        monkeypatch.delitem(sys.modules, name)

    base = __import__(f"{sources.SHIM_PACKAGE}.base", fromlist=["x"])
    assert base.get_parameter is hk.get_parameter
    with pytest.raises(AttributeError, match=r"haiku\._src\.base\.current_frame is internal"):
        base.current_frame  # noqa: B018
    basic = __import__(f"{sources.SHIM_PACKAGE}.basic", fromlist=["x"])
    assert basic.hk is hk
    with pytest.raises(AttributeError, match=r"public haiku\.Dense, which this haiku lacks"):
        basic.Linear  # noqa: B018 - hk has no Dense.
    test_utils = __import__(f"{sources.SHIM_PACKAGE}.test_utils", fromlist=["x"])
    assert test_utils.GET is hk.get_parameter  # dm-haiku's helper, run through the shim.


def test_junit_outcomes_are_read_per_test(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(textwrap.dedent("""\
        <testsuites><testsuite>
          <testcase classname="_src.bias_test.BiasTest" name="test_ok"/>
          <testcase classname="_src.bias_test.BiasTest" name="test_bad">
            <failure message="AssertionError: no">trace</failure></testcase>
          <testcase classname="_src.bias_test.BiasTest" name="test_skip">
            <skipped message="needs tf"/></testcase>
        </testsuite></testsuites>"""))
    run = running._read_junit(junit)
    assert run.outcomes == {"BiasTest::test_ok": "passed", "BiasTest::test_bad": "failed",
                            "BiasTest::test_skip": "skipped"}
    assert run.messages["BiasTest::test_bad"] == "AssertionError: no"


def test_only_tests_dm_haiku_ran_are_compared():
    theirs = running.FileRun({"T::a": "passed", "T::b": "passed", "T::c": "failed",
                              "T::d": "skipped"}, {"T::c": "ModuleNotFoundError: tensorflow"})
    ours = running.FileRun({"T::a": "passed", "T::b": "failed", "T::c": "failed",
                            "T::d": "skipped", "T::ours_only": "failed"}, {})
    passing, lost, failing = compat_main.compare_outcomes(theirs, ours)
    assert passing == ["T::a", "T::b", "T::d"]
    assert lost == ["T::b"]
    # T::ours_only exists only in our run: neither lost nor failing on dm-haiku.
    assert failing == ["T::c"]
    # A test our run never collected counts as lost.
    _, lost, _ = compat_main.compare_outcomes(theirs, running.FileRun({"T::a": "passed"}, {}))
    assert lost == ["T::b", "T::d"]


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is not None,
                    reason="stand-ins are only installed where TensorFlow is not")
def test_tensorflow_stand_ins_let_a_file_collect_and_fail_only_the_tests_using_it(tmp_path):
    (tmp_path / "tf_test.py").write_text(textwrap.dedent("""\
        import tensorflow as tf
        from jax.experimental import jax2tf

        def test_without_tf():
            assert 1 + 1 == 2

        def test_convert():
            jax2tf.convert(abs)

        def test_tensor():
            tf.constant(1)
        """))
    run = running.run_file(Path(sys.executable), tmp_path, "tf_test.py",
                           running.theirs_environment(), running.THEIRS_ARGS)
    assert run.outcomes == {"tf_test::test_without_tf": "passed",
                            "tf_test::test_convert": "failed", "tf_test::test_tensor": "failed"}
    assert run.messages["tf_test::test_convert"] == (
        "ModuleNotFoundError: jax.experimental.jax2tf.convert: TensorFlow is not installed "
        "(the compat session does not install it)")
    assert run.messages["tf_test::test_tensor"].startswith(
        "ModuleNotFoundError: tensorflow.constant: TensorFlow is not installed")
