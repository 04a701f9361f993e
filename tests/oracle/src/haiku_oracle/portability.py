"""Other CPU code paths on this machine, to prove the tests do not depend on one.

``python -m haiku_oracle.portability`` checks that each setting of
:data:`SETTINGS` really changes numbers that JAX computes here (it runs a
probe in fresh interpreters with and without it, and compares the bytes) and
prints the environment that applies them all, one ``NAME=value`` a line. The
``portability`` nox session runs it, then reruns the float-sensitive suites
in that environment: the oracle recomputes dm-haiku's results under the same
settings (they are part of its cache key), so both sides must still agree.
A setting that changes nothing proves nothing, and the check fails on it.
"""

from __future__ import annotations

import os
import subprocess
import sys

# Name -> (value, why it changes the numbers).
SETTINGS = {
    "XLA_FLAGS": (
        "--xla_cpu_max_isa=AVX",
        "XLA's CPU compiler generates code without FMA and AVX2: products and sums round "
        "separately, so transcendental kernels, reductions and matmuls change in the last bits",
    ),
    "OPENBLAS_CORETYPE": (
        "Sandybridge",
        "OpenBLAS (behind jax's LAPACK calls, such as the QR of initializers.Orthogonal) runs "
        "another kernel",
    ),
}

_PROBE = """
import hashlib, jax, jax.numpy as jnp, numpy as np
key = jax.random.PRNGKey(0)
x = jax.random.normal(key, (64, 64))
values = {
    "truncated_normal": jax.random.truncated_normal(key, -2.0, 2.0, (256,)),
    "exp": jnp.exp(x), "matmul": x @ x.T, "qr": jnp.linalg.qr(x)[0],
}
for name, value in values.items():
    print(name, hashlib.sha256(np.asarray(value).tobytes()).hexdigest())
"""


def _probe(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | extra
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          env=env, check=True)
    return dict(line.split() for line in done.stdout.splitlines())


def check_settings() -> dict[str, str]:
    """The environment of :data:`SETTINGS`, after checking each changes some numbers."""
    baseline = _probe({})
    for name, (value, why) in SETTINGS.items():
        changed = [k for k, digest in _probe({name: value}).items() if digest != baseline[k]]
        if not changed:
            raise SystemExit(f"{name}={value} changes none of {sorted(baseline)} on this machine, "
                             f"so a run under it proves nothing (expected: {why})")
        print(f"# {name}={value} changes {', '.join(changed)}: {why}", file=sys.stderr)
    return {name: value for name, (value, _) in SETTINGS.items()}


if __name__ == "__main__":
    for name, value in check_settings().items():
        print(f"{name}={value}")
