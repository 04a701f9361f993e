"""Start-up cost of haiku: milliseconds added over ``import jax``.

Each case runs in a fresh interpreter (``python -c``) that first imports jax
(and any setup), then times the case's code; the script prints one JSON line
per case with the median over the repetitions:

``import``
  ``import haiku`` (imports no plugin: names resolve lazily);
``first use``
  ``import haiku`` and the first ``hk.transform`` (plugin discovery: the
  entry points of the ``haiku`` group are read and their plugin modules
  registered; haiku-core's modules are imported);
``first init``
  the above and one ``init`` of a transformed function, which runs two JAX
  operations eagerly;
``plain JAX ops``
  the same two operations in plain JAX (JAX compiles each the first time):
  ``first init`` less this is haiku's share;
``nets``, ``rnn``, ``experimental``
  the cost of one plugin namespace *over* ``first use``: ``hk.Linear``,
  ``hk.LSTM``, ``hk.experimental.tabulate``.

Byte-code is written before timing (a pip install does the same), so the
numbers do not include compiling haiku's sources. Runs in any venv with a
``haiku`` (ours, or dm-haiku 0.0.17 for comparison, which has no plugins)::

    python benchmarks/import_time.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

_TIMED = """
import time
import jax
{setup}
start = time.perf_counter()
{code}
print(1e3 * (time.perf_counter() - start))
"""

_FIRST_USE = "import haiku as hk\nhk.transform"
_FIRST_INIT = (
    _FIRST_USE
    + "\nimport jax.numpy as jnp\n"
    + "hk.transform(lambda x: hk.get_parameter('w', [2], init=jnp.ones) * x).init(None, 1.0)"
)

# name: (code timed after `import jax`, code run before it is timed)
CASES: dict[str, tuple[str, str]] = {
    "import": ("import haiku", ""),
    "first use": (_FIRST_USE, ""),
    "first init": (_FIRST_INIT, ""),
    "plain JAX ops": ("import jax.numpy as jnp\njnp.ones([2], jnp.float32) * 1.0", ""),
    "nets": ("hk.Linear", _FIRST_USE),
    "rnn": ("hk.LSTM", _FIRST_USE),
    "experimental": ("hk.experimental.tabulate", _FIRST_USE),
}


def _run(code: str, setup: str, env: dict[str, str]) -> float:
    """Milliseconds ``code`` takes in a fresh interpreter, after ``import jax`` and ``setup``."""
    out = subprocess.run(
        [sys.executable, "-c", _TIMED.format(setup=setup, code=code)],
        capture_output=True, text=True, check=True, env=env,
    ).stdout
    return float(out)


def _available(code: str, setup: str, env: dict[str, str]) -> bool:
    program = f"import jax\n{setup}\n{code}"
    return subprocess.run([sys.executable, "-c", program], capture_output=True, env=env).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    import haiku

    library = "dm-haiku" if getattr(haiku, "__version__", "").startswith("0.0.") else "haiku"
    for name, (code, setup) in CASES.items():
        if not _available(code, setup, env):  # Also writes the byte-code.
            print(json.dumps({"library": library, "case": name, "available": False}))
            continue
        times = [_run(code, setup, env) for _ in range(args.repeats)]
        print(json.dumps({"library": library, "case": name,
                          "added_ms": round(statistics.median(times), 1),
                          "min_ms": round(min(times), 1), "max_ms": round(max(times), 1)}))


if __name__ == "__main__":
    main()
