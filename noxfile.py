"""CI sessions for the haiku monorepo.

Run ``nox -l`` to list the sessions and ``nox -s <name>`` to run one; what CI
runs is the test command in README.md (``.ci/run`` runs it).

- ``core``, ``nets``, ``rnn``, ``flax``, ``experimental``: one venv per
  distribution holding only that distribution and its declared dependencies
  (installed from the local paths), running its ``tests/`` folder and the
  doctests of its import package. This proves core works without nets, nets
  without rnn, and so on.
- ``integration``: every distribution plus the sample third-party plugin,
  running the cross-package tests in ``tests/``.
- ``matrix-3.X(jax=...)``: core, nets, rnn and experimental on each Python
  from 3.10 to 3.13, with the lowest declared JAX or the newest served;
  ``versions`` queues the cells the test command runs (``CI_MATRIX``).
- ``extras``: builds all wheels and sdists and checks, in fresh venvs, what
  ``haiku`` and its extras install (``tests/extras_check.py``), and that a
  haiku-nets release adding or removing a name works on the unchanged
  haiku-core wheel (``tests/plugin_release_check.py``).
- ``lint`` (ruff) and ``typecheck`` (mypy on every distribution and the
  sample plugin, and on user code against the stubs).
- ``quick`` (not in CI): the inner loop, every distribution's tests but
  the dm-haiku parity ones, in one venv (under 3 minutes warm).
- ``stubs`` (not in CI): regenerates the plugins' public export modules
  from their tables (``tests/export_modules.py``); a test checks freshness.
- ``docs``: builds the documentation site (Sphinx, ``docs/``) and checks it
  in headless Chromium.

Venvs are made with uv when it is available and reused between runs.
Arguments after ``--`` go to pytest (or ruff/mypy/the extras check).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nox
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.error_on_external_run = True
nox.options.sessions = [
    "core",
    "nets",
    "rnn",
    "flax",
    "experimental",
    "integration",
    "compat",
    "versions",
    "examples",
    "extras",
    "lint",
    "typecheck",
]

ROOT = Path(__file__).resolve().parent
PACKAGES = ROOT / "packages"
SAMPLE_PLUGIN = ROOT / "tests" / "sample_plugin"
# The live dm-haiku oracle of the parity tests (tests/oracle/README.md): every
# test session installs it; it builds dm-haiku's own venv outside the repo.
ORACLE = ROOT / "tests" / "oracle"

# Session name -> distribution folder. The import package is read from the
# folder's src/.
DISTRIBUTIONS = {
    "core": PACKAGES / "haiku-core",
    "nets": PACKAGES / "haiku-nets",
    "rnn": PACKAGES / "haiku-rnn",
    "flax": PACKAGES / "haiku-flax",
    "experimental": PACKAGES / "haiku-experimental",
}

# hypothesis: shape properties and fuzzing; pytest-xdist: tests run on every core.
TEST_DEPS = ["pytest>=8.1", "pytest-xdist>=3.5", "hypothesis>=6.100"]
# For the cross-package tests: orbax-checkpoint (tests/test_checkpoints.py
# round-trips params through it) and chex (the spec's hk.testing examples
# with chex, tests/spec/testing_chex.txt); optax, scikit-learn and orbax for
# tests/test_multi_process.py, which trains examples/data_parallel.py and
# examples/model_parallel.py.
INTEGRATION_DEPS = ["orbax-checkpoint>=0.11", "chex>=0.1.89", "optax>=0.2", "scikit-learn>=1.3"]


def _project(path: Path) -> dict:
    with open(path / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _local_projects() -> dict[str, Path]:
    """Maps each local distribution name to its folder."""
    folders = [*DISTRIBUTIONS.values(), SAMPLE_PLUGIN, ORACLE]
    return {_project(folder)["name"]: folder for folder in folders}


def _import_package(folder: Path) -> str:
    (package,) = [p.name for p in (folder / "src").iterdir() if (p / "py.typed").exists()]
    return package


def _local_closure(folder: Path) -> list[Path]:
    """The folder plus the local folders of its declared haiku dependencies."""
    local = _local_projects()
    closure: list[Path] = []
    todo = [folder]
    while todo:
        current = todo.pop()
        if current in closure:
            continue
        closure.append(current)
        for requirement in _project(current).get("dependencies", []):
            name = Requirement(requirement).name
            if name in local:
                todo.append(local[name])
    return closure


def _test_group(folder: Path) -> tuple[list[Path], list[str]]:
    """A distribution's ``test`` dependency group: local folders, other requirements."""
    with open(folder / "pyproject.toml", "rb") as f:
        group = tomllib.load(f).get("dependency-groups", {}).get("test", [])
    local = _local_projects()
    names = [Requirement(requirement).name for requirement in group]
    folders = [local[name] for name in names if name in local]
    return folders, [req for req, name in zip(group, names) if name not in local]


def _install_local(session: nox.Session, folders: list[Path], *extra: str) -> None:
    """Installs local distributions editable, all in one resolver call.

    One call lets the local haiku-core satisfy every ``haiku-core>=...``
    requirement, whatever an index holds under that name.
    """
    args: list[str] = []
    for folder in folders:
        args += ["-e", str(folder)]
    if session.venv_backend == "uv":
        # uv caches the metadata of local projects; entry points added to a
        # pyproject.toml must reach a reused venv, so rebuild ours (cheap).
        for folder in folders:
            args += ["--reinstall-package", _project(folder)["name"]]
    session.install(*args, *extra)


def _check_isolation(session: nox.Session, allowed: list[Path]) -> None:
    """Fails if a local import package outside ``allowed`` is importable."""
    allowed_packages = {_import_package(folder) for folder in allowed}
    forbidden = sorted(
        _import_package(folder)
        for folder in _local_projects().values()
        if _import_package(folder) not in allowed_packages
    )
    code = (
        "import importlib.util as u, sys; "
        "leaked = [n for n in sys.argv[1:] if u.find_spec(n)]; "
        "sys.exit(f'packages leaked into this venv: {leaked}' if leaked else 0)"
    )
    session.run("python", "-c", code, *forbidden, silent=True)


def _has_tests(folder: Path) -> bool:
    return any(folder.rglob("test_*.py")) or any(folder.rglob("*_test.py"))


def _keep_compiled_programs(session: nox.Session) -> None:
    """Turns on JAX's persistent compilation cache for what the session runs next.

    Most of a test session's time is XLA compiling small programs, the same
    ones on every run; JAX can keep them on disk and load them instead. The
    folder is outside the repository (``$HAIKU_JAX_CACHE``, else
    ``$XDG_CACHE_HOME/haiku-jax`` or ``~/.cache/haiku-jax``), one subfolder
    per jaxlib version, capped at 2 GiB (JAX evicts the least recently used
    entries). ``HAIKU_JAX_CACHE=off`` turns it off. Every program is cached,
    however fast it compiled: test programs are small, and loading one is
    still several times faster than compiling it.
    """
    base = os.environ.get("HAIKU_JAX_CACHE")
    if base == "off":
        return
    if not base:
        base = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "haiku-jax")
    jaxlib = session.run(
        "python", "-c", "import importlib.metadata as m; print(m.version('jaxlib'))",
        silent=True,
    ).strip()
    session.env.update({
        "JAX_COMPILATION_CACHE_DIR": str(Path(base) / f"jaxlib-{jaxlib}"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
        "JAX_COMPILATION_CACHE_MAX_SIZE": str(2 * 1024**3),
    })


def _pytest(
    session: nox.Session, cwd: Path, *paths: str, allow_empty: bool, parallel: bool = True
) -> None:
    """Runs pytest; exit code 5 (no tests collected) passes only if ``allow_empty``.

    With ``parallel``, tests are spread over one worker per core (pytest-xdist).
    Compiled programs are kept between runs (:func:`_keep_compiled_programs`).
    """
    success_codes = [0, 5] if allow_empty else [0]
    _keep_compiled_programs(session)
    with session.chdir(cwd):
        session.run(
            "pytest",
            "-p",
            "no:cacheprovider",
            *(["-n", "auto"] if parallel else []),
            *paths,
            *session.posargs,
            success_codes=success_codes,
        )


def _test_closure(folders: list[Path]) -> tuple[list[Path], list[str]]:
    """What testing ``folders`` installs: local folders and other requirements.

    The folders' local closures, their ``test`` groups' (closures included)
    and the oracle's.
    """
    closure: list[Path] = []
    requirements: list[str] = []
    for folder in [*folders, ORACLE]:
        test_folders, test_requirements = _test_group(folder)
        requirements += test_requirements
        for local in [folder, *test_folders]:
            closure += [f for f in _local_closure(local) if f not in closure]
    return closure, requirements


def _package_session(name: str) -> None:
    folder = DISTRIBUTIONS[name]

    @nox.session(name=name)
    def session_(session: nox.Session) -> None:
        closure, test_requirements = _test_closure([folder])
        _install_local(session, closure, *TEST_DEPS, *test_requirements)
        _check_isolation(session, closure)
        package = _import_package(folder)
        _pytest(
            session,
            folder,
            "tests",
            "--doctest-modules",
            f"src/{package}",
            # A package whose tests/ is still empty may collect nothing.
            allow_empty=not _has_tests(folder / "tests"),
        )

    session_.__doc__ = (
        f"Tests {folder.name} in a venv holding only it and its declared dependencies."
    )


for _name in DISTRIBUTIONS:
    _package_session(_name)


@nox.session
def integration(session: nox.Session) -> None:
    """Tests everything together, with the sample third-party plugin installed.

    ``tests/`` includes the oracle harness's own tests (``tests/oracle/tests``).
    """
    _install_local(session, [*DISTRIBUTIONS.values(), SAMPLE_PLUGIN, ORACLE], *TEST_DEPS,
                   *INTEGRATION_DEPS)
    _pytest(session, ROOT, "tests", allow_empty=not _has_tests(ROOT / "tests"))
    # The sample plugin's docstring examples go through hk.contrib and
    # hk.initializers, so they exercise its registration end to end; the
    # oracle harness's show its encoding and comparison.
    _pytest(
        session,
        ROOT,
        "--doctest-modules",
        "tests/sample_plugin/src/haiku_contrib_sample",
        "tests/oracle/src/haiku_oracle",
        allow_empty=False,
        parallel=False,
    )


def _install_everything(session: nox.Session) -> None:
    """Every distribution, the sample plugin and the oracle, with all their test needs."""
    test_requirements = [r for folder in DISTRIBUTIONS.values() for r in _test_group(folder)[1]]
    _install_local(session, [*DISTRIBUTIONS.values(), SAMPLE_PLUGIN, ORACLE], *TEST_DEPS,
                   *INTEGRATION_DEPS, *test_requirements)


# The cross-package tests ``quick`` runs: the plugin machinery end to end.
QUICK_ROOT_TESTS = [
    "tests/test_lazy_imports.py",
    "tests/test_sample_plugin.py",
    "tests/test_fault_isolation.py",
    "tests/test_conformance.py",
]


@nox.session
def quick(session: nox.Session) -> None:
    """The inner loop: every distribution's tests but the dm-haiku parity ones, in one venv.

    Skips what the full sessions add for confidence rather than for a quick
    signal: the tests comparing with dm-haiku (``-m oracle``, they need its
    venv), the doctests, and each distribution's isolation in its own venv.
    With the compilation cache warm it finishes in under 3 minutes on 2
    cores. Arguments after ``--`` go to every pytest run (``-x``, ``-k``).
    """
    _install_everything(session)
    for folder in DISTRIBUTIONS.values():
        _pytest(session, folder, "tests", "-m", "not oracle", allow_empty=False)
    _pytest(session, ROOT, *QUICK_ROOT_TESTS, "-m", "not oracle", allow_empty=False)


@nox.session
def portability(session: nox.Session) -> None:
    """Reruns the float-sensitive tests on other CPU code paths of this machine.

    ``haiku_oracle.portability`` first checks that each setting (XLA's CPU
    code capped at AVX, another OpenBLAS kernel) changes numbers here, then
    every test comparing with dm-haiku (``-m oracle``) and every doctest run
    under those settings; the oracle recomputes dm-haiku's side under them.
    """
    _install_everything(session)
    lines = session.run("python", "-m", "haiku_oracle.portability", silent=True).splitlines()
    for line in lines:
        if line.startswith("#"):
            session.log(line.removeprefix("#").strip())
    env = dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    session.log(f"portability settings: {env}")
    for folder in DISTRIBUTIONS.values():
        package = _import_package(folder)
        with session.chdir(folder):
            session.run("pytest", "-p", "no:cacheprovider", "-n", "auto", "-m", "oracle", "tests",
                        *session.posargs, env=env, success_codes=[0, 5])
            session.run("pytest", "-p", "no:cacheprovider", "-n", "auto", "--doctest-modules",
                        f"src/{package}", *_spec_folders(folder), *session.posargs, env=env)
    with session.chdir(ROOT):
        session.run("pytest", "-p", "no:cacheprovider", "-n", "auto", "-m", "oracle", "tests",
                    *session.posargs, env=env)
        session.run("pytest", "-p", "no:cacheprovider", "-n", "auto", "tests/spec",
                    *session.posargs, env=env)


@nox.session
def compat(session: nox.Session) -> None:
    """Runs dm-haiku 0.0.17's own test files and docstring examples against haiku.

    ``python -m haiku_oracle.compat`` (tests/oracle/src/haiku_oracle/compat):
    dm-haiku's tests come from the oracle's venv (the one dm-haiku download,
    in the cache outside the repository), one pytest process per file, on
    dm-haiku (cached baseline) and on ours through an import shim that serves
    each ``haiku._src`` name from our public API. Fails on any test or example
    that passes on dm-haiku only. After ``--``: ``-k SUBSTRING`` picks files,
    ``--internal`` also runs (informational) the files that test dm-haiku's
    internals.
    """
    _install_local(session, [*DISTRIBUTIONS.values(), ORACLE], *TEST_DEPS, *INTEGRATION_DEPS,
                   "absl-py", "dm-tree", "dill", "cloudpickle", "flax", "jmp", "optax")
    _keep_compiled_programs(session)
    with session.chdir(session.create_tmp()):
        session.run("python", "-m", "haiku_oracle.compat", *session.posargs)


# The JAX/Python matrix (``nox -s matrix``): every Python the distributions
# declare, each on the lowest JAX they declare and on the newest the registry
# serves for that Python (0.6.2 on 3.10, 0.12 on 3.12 and 3.13 here). The
# suites of the distributions that use JAX beyond jax.numpy run there
# (haiku-flax needs a Flax release that needs a newer JAX than our floor).
MATRIX_PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
MATRIX_DISTRIBUTIONS = ["core", "nets", "rnn", "experimental"]
# The cells the test command runs (session ``versions``), with their pytest
# arguments: the newest JAX on the newest Python (new JAX releases are where
# Haiku can break), the newest JAX on the oldest Python and the lowest
# declared JAX on another, each without the dm-haiku parity tests (most of a
# cell's time; they run on the main JAX in the package sessions). Each cell
# passes in full when run by name (``nox -s "matrix-3.13(jax='newest')"``).
CI_MATRIX = {
    "matrix-3.13(jax='newest')": ["-m", "not oracle"],
    "matrix-3.10(jax='newest')": ["-m", "not oracle"],
    "matrix-3.11(jax='lowest')": ["-m", "not oracle"],
}


def _let_pyenv_run_every_matrix_python() -> None:
    """Makes pyenv's ``python3.X`` shims run its installed matrix Pythons.

    nox finds each session's interpreter as ``python3.X`` on PATH; pyenv's
    shims run only the versions ``PYENV_VERSION`` names (pyenv sets it to the
    current version for the programs it runs, nox included), so add the newest
    installed version of each matrix Python it lacks. Without pyenv nothing
    changes.
    """
    if shutil.which("pyenv") is None:
        return

    def pyenv(*args: str) -> str:
        return subprocess.run(["pyenv", *args], capture_output=True, text=True).stdout

    names = [n for n in os.environ.get("PYENV_VERSION", pyenv("version-name")).split(":") if n]
    installed = pyenv("versions", "--bare").split()
    for python in MATRIX_PYTHONS:
        if any(name == python or name.startswith(python + ".") for name in names):
            continue
        matching = [v for v in installed if re.fullmatch(rf"{re.escape(python)}\.\d+", v)]
        if matching:
            names.append(max(matching, key=lambda v: int(v.rsplit(".", 1)[1])))
    if names:
        os.environ["PYENV_VERSION"] = ":".join(names)


_let_pyenv_run_every_matrix_python()


def jax_floor() -> str:
    """The lowest JAX haiku-core declares (its ``jax>=X`` requirement)."""
    for requirement in map(Requirement, _project(DISTRIBUTIONS["core"])["dependencies"]):
        if requirement.name == "jax":
            (floor,) = [s.version for s in requirement.specifier if s.operator == ">="]
            return floor
    raise LookupError("haiku-core does not declare jax")


@nox.session(python=MATRIX_PYTHONS)
@nox.parametrize("jax", ["lowest", "newest"])
def matrix(session: nox.Session, jax: str) -> None:
    """Runs the core, nets, rnn and experimental suites and doctests on one Python and JAX.

    ``jax="lowest"`` installs the floor haiku-core declares (``jax>=X``);
    ``jax="newest"`` the newest JAX the registry serves for this Python. The
    oracle builds a dm-haiku venv on the same versions. Each Python must be
    on PATH as ``python3.X``; pyenv's installed versions are found
    (:func:`_let_pyenv_run_every_matrix_python`). Run one cell with e.g.
    ``nox -s "matrix-3.13(jax='newest')"``; ``nox -s versions`` runs the
    cells the test command runs.
    """
    folders = [DISTRIBUTIONS[name] for name in MATRIX_DISTRIBUTIONS]
    closure, requirements = _test_closure(folders)
    pin = [f"jax=={jax_floor()}"] if jax == "lowest" else ["--upgrade", "jax", "jaxlib"]
    _install_local(session, closure, *TEST_DEPS, *requirements, *pin)
    session.run("python", "-c", "import jax, sys; print('matrix cell: python', "
                "sys.version.split()[0], 'jax', jax.__version__)")
    for folder in folders:
        _pytest(session, folder, "tests", "--doctest-modules", f"src/{_import_package(folder)}",
                allow_empty=False)


@nox.session(python=False)
def versions(session: nox.Session) -> None:
    """Queues the matrix cells the test command runs (``CI_MATRIX``)."""
    for cell, pytest_args in CI_MATRIX.items():
        session.notify(cell, [*pytest_args, *session.posargs])


def _spec_folders(folder: Path) -> list[str]:
    """``tests/spec`` if the distribution has spec doctest files there."""
    return ["tests/spec"] if (folder / "tests" / "spec").is_dir() else []


@nox.session
def examples(session: nox.Session) -> None:
    """Runs the README's main job and the examples on short schedules.

    Installed the README's way (``pip install -r examples/requirements.txt``);
    checks train_digits.py's summary, checkpoint restore and accuracy line,
    that examples/data_parallel.py's three loss curves agree, and smoke-runs
    the other examples (``SMOKE_EXAMPLES``) checking their key output lines.
    """
    with session.chdir(ROOT):
        session.install("-r", "examples/requirements.txt")
        _keep_compiled_programs(session)
        output_dir = Path(session.create_tmp()) / "digits"
        output = session.run(
            "python", "examples/train_digits.py", "--epochs", "2", "--no-progress",
            "--output-dir", str(output_dir), *session.posargs, silent=True)
        print(output)
        for expected in (r"\| Module\s+\|", r"checkpoint saved to .* and restored: same held-out accuracy",
                         r"^held-out accuracy 0\.\d{4} \(360 images\)"):
            if not re.search(expected, output, re.MULTILINE):
                session.error(f"examples/train_digits.py printed no line matching {expected!r}")
        if not (output_dir / "curves.png").is_file():
            session.error("examples/train_digits.py wrote no curves.png")
        # Data-parallel training on 8 host devices: fails unless the single-device,
        # sharded-jit and pmap loss curves agree.
        session.run("python", "examples/data_parallel.py", "--steps", "3", "--cpu-devices", "8")
        # The other examples, with tiny models and a few steps each.
        for script, args, expected_lines in SMOKE_EXAMPLES:
            output = session.run("python", f"examples/{script}", *args, silent=True)
            print(output)
            for expected in expected_lines:
                if not re.search(expected, output, re.MULTILINE):
                    session.error(f"examples/{script} printed no line matching {expected!r}")


# (script, arguments, regular expressions its output must match), run by the
# examples session: tiny models and step counts, to check each still runs.
SMOKE_EXAMPLES = [
    ("lstm_sequence.py", ["--steps", "5", "--hidden-size", "16", "--log-every", "5"],
     [r"^step\s+5  loss \d+\.\d{4}  held-out accuracy 0\.\d{3}$",
      r"^final held-out accuracy 0\.\d{4} \(360 sequences of 8 steps\)"]),
    ("transformer_lm.py", ["--steps", "5", "--d-model", "16", "--heads", "2", "--seq-len", "16",
                           "--log-every", "5", "--sample-length", "10"],
     [r"^  blocks/multi_head_attention/query/w: \(2, 16, 16\)$", r"^step\s+5  loss \d+\.\d{4}$",
      r"^greedy sample:\nBeautiful is[\s\S]{10}\nfinal loss \d+\.\d{4}"]),
    ("vqvae_digits.py", ["--steps", "5", "--log-every", "5", "--num-embeddings", "8"],
     [r"^step\s+5  recon loss \d+\.\d{4}  perplexity \d+\.\d$",
      r"^held-out recon loss \d+\.\d{4} \(mean-image baseline \d\.\d{4}\), "
      r"perplexity \d+\.\d of 8 codes"]),
    ("mixed_precision.py", ["--epochs", "1", "--batch-size", "479"],
     [r"^  digits_classifier/conv2_d \(Conv2D\): bf16\[479,8,8,1\] -> bf16\[479,8,8,32\]$",
      r"^logits returned by apply: float32\[2, 10\]$", r"^parameters after training: float32$",
      r"^held-out accuracy 0\.\d{4} with bfloat16 compute"]),
    # 8 host devices, a data=2 x model=4 mesh, restored onto 4 x 2 half-way; fails
    # itself unless the loss curve equals the one-device run.
    ("model_parallel.py", ["--steps", "4", "--d-model", "16", "--heads", "4", "--seq-len", "16",
                           "--batch-size", "8", "--layers", "1"],
     [r"^restored onto mesh \{'data': 4, 'model': 2\}: attention query w \(1, 16, 16\), "
      r"spec \(None, 'data', 'model'\), shard \(1, 4, 8\)$",
      r"^loss curves agree within 0\.0001"]),
    ("flax_interop.py", ["--steps", "5", "--log-every", "5"],
     [r"^  \['flax_block/Conv_0'\]\['kernel'\]: \(3, 3, 1, 32\)$",
      r"^  \['params'\]\['Module_0'\]\['mlp'\]\['~'\]\['linear_0'\]\['w'\]: \(512, 64\)$",
      r"^\[haiku\] held-out accuracy 0\.\d{4}$", r"^\[flax\] held-out accuracy 0\.\d{4}$"]),
]


@nox.session
def extras(session: nox.Session) -> None:
    """Builds every wheel and sdist and checks what each extra of haiku installs.

    Then releases haiku-nets twice against haiku-core's unchanged wheel, adding
    a name and removing one (``tests/plugin_release_check.py``).
    """
    session.install("uv", "packaging")
    session.run("python", str(ROOT / "tests" / "extras_check.py"), *session.posargs)
    session.run("python", str(ROOT / "tests" / "plugin_release_check.py"))


# Sphinx and the theme JAX, optax and dm-haiku use for their docs.
DOCS_DEPS = ["sphinx>=8.1", "sphinx-book-theme>=1.1", "pytest>=8.1"]


@nox.session
def docs(session: nox.Session) -> None:
    """Builds the documentation site (docs/) into docs/_build/html, then checks it.

    Every distribution and the examples' requirements are installed: the API
    reference is generated from the installed docstrings, and the examples
    run (briefly) to show their output. Any Sphinx warning fails the build
    (``-W -n``: a broken cross-reference, a public name without a docstring
    or an entry). ``docs/tests`` then opens pages in headless Chromium
    (screenshots in docs/_build/html/_screenshots) and checks every internal
    link. Arguments after ``--`` go to sphinx-build.
    """
    with session.chdir(ROOT):
        session.install("-r", "examples/requirements.txt", *DOCS_DEPS)
        html = ROOT / "docs" / "_build" / "html"
        session.run("sphinx-build", "-b", "html", "-E", "-n", "-W", "--keep-going",
                    *session.posargs, "docs", str(html))
        session.run("pytest", "-p", "no:cacheprovider", "docs/tests",
                    env={"HAIKU_DOCS_HTML": str(html)})


@nox.session
def stubs(session: nox.Session) -> None:
    """Regenerates each official plugin's public export modules from its ``EXPORTS`` table.

    haiku-core's ``.pyi`` stubs re-export these modules (``haiku_nets/hk.py``,
    ...); tests/test_export_modules.py fails while one is stale. Pass
    ``-- --check`` to only report stale modules.
    """
    _install_local(session, list(DISTRIBUTIONS.values()))
    with session.chdir(ROOT):
        session.run("python", "tests/export_modules.py", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Runs ruff over the repository (``nox -s lint -- --fix`` to fix imports)."""
    session.install("ruff>=0.6")
    with session.chdir(ROOT):
        session.run("ruff", "check", ".", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-checks every distribution's sources and the sample plugin's, and user code, with mypy.

    Once as Python 3.10 and once as Python 3.13 (the matrix's ends). User
    code is checked against haiku-core's stubs of the lazy namespaces, which
    re-export the other distributions' public export modules.
    """
    _install_local(session, [*DISTRIBUTIONS.values(), SAMPLE_PLUGIN], "mypy>=1.10", *TEST_DEPS)
    packages = [_import_package(f) for f in [*DISTRIBUTIONS.values(), SAMPLE_PLUGIN]]
    with session.chdir(ROOT):
        # For the oldest and the newest Python the distributions support.
        for python in (MATRIX_PYTHONS[0], MATRIX_PYTHONS[-1]):
            session.run("mypy", "--python-version", python,
                        *(session.posargs or [a for p in packages for a in ("-p", p)]))
            # User code type-checks against the stubs of the lazy namespaces.
            session.run("mypy", "--python-version", python, "tests/typecheck/user_code.py")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks (not part of CI): haiku's costs as ratios to plain JAX.

    trace_overhead.py (tracing cost; takes the posargs), step_time.py (compile,
    jitted train step, eager init/apply of the MLP, LSTM and Transformers),
    transformer_layer_norm.py (XLA fusions of LayerNorm formulations; Flax rows
    if Flax is installed), writing to benchmarks/results/; then
    partitioning.py (per-device memory and step time of replicated, FSDP and
    FSDP + tensor-parallel parameters on 8 devices), writing there too; then
    layer_stack_compile.py (compile time against depth), stateful_tracing.py
    (tracing cost inside hk.scan/hk.cond against model size) and import_time.py
    (start-up over import jax), which print.
    """
    _install_local(session, [DISTRIBUTIONS["core"], DISTRIBUTIONS["nets"], DISTRIBUTIONS["rnn"]],
                   "optax")
    with session.chdir(ROOT):
        session.run("python", "benchmarks/trace_overhead.py", *session.posargs)
        session.run("python", "benchmarks/step_time.py", "--out", "benchmarks/results/step_time_haiku")
        session.run("python", "benchmarks/transformer_layer_norm.py",
                    "--json", "benchmarks/results/transformer_layer_norm_haiku.json")
        session.run("python", "benchmarks/partitioning.py", "--out", "benchmarks/results/partitioning")
        session.run("python", "benchmarks/layer_stack_compile.py")
        session.run("python", "benchmarks/stateful_tracing.py")
        session.run("python", "benchmarks/import_time.py")


@nox.session(name="bench-peers")
def bench_peers(session: nox.Session) -> None:
    """The benchmark models in Flax (Linen) and Equinox against the same plain JAX."""
    _install_local(session, [DISTRIBUTIONS["core"], DISTRIBUTIONS["nets"], DISTRIBUTIONS["rnn"]],
                   "flax", "equinox")
    with session.chdir(ROOT):
        session.run("python", "benchmarks/peers.py", "--out", "benchmarks/results/step_time_peers")


@nox.session(name="bench-dm-haiku")
def bench_dm_haiku(session: nox.Session) -> None:
    """The same benchmarks against dm-haiku 0.0.17 (in its own venv), for comparison."""
    session.install("dm-haiku==0.0.17", "jax")
    with session.chdir(ROOT):
        session.run("python", "benchmarks/trace_overhead.py", *session.posargs)
        session.run("python", "benchmarks/import_time.py")
        session.run("python", "benchmarks/step_time.py", "--out", "benchmarks/results/step_time_dm_haiku")
        session.run("python", "benchmarks/transformer_layer_norm.py", "--only", "haiku",
                    "--json", "benchmarks/results/transformer_layer_norm_dm_haiku.json")
