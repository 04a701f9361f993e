"""dm-haiku 0.0.17's docstring examples, run against our haiku as dm-haiku runs them.

dm-haiku's doctest runner (its ``integration/doctest_test.py``) walks its
public modules; for each name of a module's ``__all__`` it gathers the
docstring of the object and, for a class, of each function attribute
(inherited ones too), and runs them with ``ELLIPSIS | NORMALIZE_WHITESPACE``
inside one ``hk.transform_with_state`` ``init`` (key ``PRNGKey(42)``), with
the module's names and a few libraries (:data:`EXTRA_GLOBALS`) as globals.

Here the examples are collected from dm-haiku in the oracle's venv (``python
-I doctests.py collect OUT``), then the same file runs them (``run IN OUT``)
under dm-haiku, as the baseline, and under our haiku, each with the public
module of the same name as globals. This file imports nothing of the harness
at module level, so the oracle's interpreter can run it by path.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXTRA_GLOBALS = {"itertools": "itertools", "chex": "chex", "collections": "collections",
                 "contextlib": "contextlib", "unittest": "unittest", "hk": "haiku",
                 "jnp": "jax.numpy", "jax": "jax", "jmp": "jmp", "nn": "flax.linen"}
SKIPPED = {"flatten_flax_to_haiku": "dm-haiku's runner skips it as a broken test"}


def _public_modules():
    import importlib
    import inspect

    root = importlib.import_module("haiku")
    found, pending = {root.__name__: root}, [root]
    while pending:
        module = pending.pop()
        for name in dir(module):
            value = getattr(module, name)
            if (inspect.ismodule(value) and value.__name__.startswith("haiku")
                    and value.__name__ not in found):
                found[value.__name__] = value
                pending.append(value)
    return [found[name] for name in sorted(found)]


def collect() -> list[dict[str, object]]:
    """Under dm-haiku: ``[{module, name, docstrings: [[label, text], ...]}]``."""
    import inspect
    import types

    groups = []
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if inspect.ismodule(value) or hasattr(value, "__origin__") or name in SKIPPED:
                continue
            docs = [(name, getattr(value, "__doc__", None))]
            if inspect.isclass(value) and not isinstance(value, types.GenericAlias):
                docs += [(f"{name}.{attr}", getattr(value, attr).__doc__) for attr in dir(value)
                         if inspect.isfunction(getattr(value, attr))]
            docs = [[label, doc] for label, doc in docs if isinstance(doc, str) and ">>>" in doc]
            if docs:
                groups.append({"module": module.__name__, "name": name, "docstrings": docs})
    return groups


def run_examples(groups: list[dict]) -> dict[str, str]:
    """Runs each group in its own ``init``; ``{"module:name": failure report or ""}``."""
    import doctest
    import importlib
    import io

    import haiku as hk
    import jax

    extra = {k: importlib.import_module(v) for k, v in EXTRA_GLOBALS.items()}
    results = {}
    for group in groups:
        module = importlib.import_module(group["module"])
        out = io.StringIO()
        runner = doctest.DocTestRunner(
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)

        def run_test(group=group, module=module, runner=runner, out=out):
            for label, text in group["docstrings"]:
                test = doctest.DocTestParser().get_doctest(
                    text, {**vars(module), **extra}, f"{group['module']}.{label}",
                    group["module"], 0)
                runner.run(test, out=out.write)

        try:
            hk.transform_with_state(run_test).init(jax.random.PRNGKey(42))
        except Exception as e:  # noqa: BLE001 - reported as this group's failure.
            out.write(f"{type(e).__name__}: {e}\n")
        # The runner writes nothing for an example that passes.
        results[f"{group['module']}:{group['name']}"] = out.getvalue()
    return results


def run(package: Path) -> list[str]:
    """The examples that pass under dm-haiku and not under ours, with the doctest report.

    Prints the counts. ``package``: dm-haiku's package folder, whose
    contents key the cache of collected examples and of dm-haiku's outcomes.
    """
    from haiku_oracle import environment
    from haiku_oracle.compat import TOOLS, sources

    python, versions = environment.oracle_python(TOOLS)
    key = sources.files_digest(package, sorted(package.rglob("*.py")),
                               Path(__file__).read_bytes() + json.dumps(versions).encode())
    cache = environment.cache_dir() / "compat" / f"doctests-{key}"
    cache.mkdir(parents=True, exist_ok=True)
    examples, theirs = cache / "examples.json", cache / "dm_haiku.json"
    env = environment.worker_environment()
    if not examples.exists():
        subprocess.run([str(python), "-I", __file__, "collect", str(examples)], env=env,
                       check=True)
    if not theirs.exists():
        subprocess.run([str(python), "-I", __file__, "run", str(examples), str(theirs)], env=env,
                       check=True)
    ours = cache / "haiku.json"
    subprocess.run([sys.executable, __file__, "run", str(examples), str(ours)], check=True)
    theirs_results, ours_results = json.loads(theirs.read_text()), json.loads(ours.read_text())
    passing = [k for k, v in theirs_results.items() if not v]
    lost = [k for k in passing if ours_results.get(k) != ""]
    print(f"\ndocstring examples: {len(passing) - len(lost)} of {len(passing)} groups that pass "
          f"on dm-haiku pass on haiku ({len(theirs_results) - len(passing)} fail on dm-haiku "
          f"too: {', '.join(k for k in theirs_results if theirs_results[k]) or 'none'})")
    return [f"docstring examples of {k}:\n{ours_results.get(k)}" for k in lost]


def main(argv: list[str]) -> None:
    mode, *paths = argv
    if mode == "collect":
        Path(paths[0]).write_text(json.dumps(collect(), indent=1))
    else:
        groups = json.loads(Path(paths[0]).read_text())
        Path(paths[1]).write_text(json.dumps(run_examples(groups), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
