"""Builds every haiku distribution and checks what each extra installs.

Usage::

    python tests/extras_check.py [--dist DIR] [--skip-build] [--keep]

Run by ``nox -s extras``. It needs ``uv`` (on PATH or importable as the
``uv`` Python package) and ``packaging``. Steps:

1. ``uv build`` every distribution (the ``haiku`` meta-distribution, the five
   packages and the sample plugin) into one folder. ``uv build`` makes the
   sdist first and the wheel from the sdist, so the sdist is proven complete.
2. Check the artifacts: one wheel and one sdist per distribution at the
   version its pyproject declares, the right files in each wheel (the import
   package with its ``py.typed``; no tests; nothing at all in the meta
   wheel), the ``haiku`` entry points, the extras of the meta-distribution,
   and that every requirement on a local distribution is satisfied by the
   local version.
3. In fresh venvs, install ``haiku``, ``haiku[nets]``, ``haiku[rnn]`` and
   ``haiku[all]`` from the built wheels and check which distributions and
   import packages each one gives, and that a name from a missing extra
   raises an error carrying its install line.
4. Run the first code block of README.md's ``## Install`` section verbatim,
   line by line, in a copy of the repository's files and a fresh venv made
   with ``python -m venv`` (so ``pip`` is pip), and check after each
   ``pip install`` line which distributions (at their local versions) and
   import packages it gave (``--only readme`` runs just this step).

Our distributions always come from the built wheels: each is pinned to its
wheel file with a uv override, so a same-named project on an index never wins.
Third-party dependencies (jax, numpy, ...) come from the configured index,
normally served from uv's cache.
"""

from __future__ import annotations

import argparse
import contextlib
import email.parser
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]

# distribution -> (project folder, import package or None for the meta wheel)
PROJECTS: dict[str, tuple[Path, str | None]] = {
    "haiku": (ROOT, None),
    "haiku-core": (ROOT / "packages" / "haiku-core", "haiku"),
    "haiku-nets": (ROOT / "packages" / "haiku-nets", "haiku_nets"),
    "haiku-rnn": (ROOT / "packages" / "haiku-rnn", "haiku_rnn"),
    "haiku-flax": (ROOT / "packages" / "haiku-flax", "haiku_flax"),
    "haiku-experimental": (ROOT / "packages" / "haiku-experimental", "haiku_experimental"),
    "haiku-contrib-sample": (ROOT / "tests" / "sample_plugin", "haiku_contrib_sample"),
}

# The meta-distribution's extras and the distributions each must pull in.
EXTRAS = {
    "nets": {"haiku-nets"},
    "rnn": {"haiku-rnn"},
    "flax": {"haiku-flax"},
    "experimental": {"haiku-experimental"},
    "all": {"haiku-nets", "haiku-rnn", "haiku-flax", "haiku-experimental"},
}

# Entry points each distribution must declare in the `haiku` group.
ENTRY_POINTS = {
    "haiku-core": {"core": "haiku._src.core_plugin"},
    "haiku-nets": {"nets": "haiku_nets._plugin"},
    "haiku-rnn": {"rnn": "haiku_rnn._plugin"},
    "haiku-flax": {"flax": "haiku_flax._plugin"},
    "haiku-experimental": {"experimental": "haiku_experimental._plugin"},
    "haiku-contrib-sample": {"contrib-sample": "haiku_contrib_sample._plugin"},
}

OPTIONAL_PACKAGES = ["haiku_nets", "haiku_rnn", "haiku_flax", "haiku_experimental"]


class Checker:
    """Collects failures so that one run reports all of them."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail and not ok else ""))
        if not ok:
            self.failures.append(what + (f": {detail}" if detail else ""))
        return ok

    def summary(self, what: str) -> int:
        """Prints every failure (or that all passed); the exit code."""
        if self.failures:
            print(f"\n{len(self.failures)} check(s) failed:")
            for failure in self.failures:
                print(f"  - {failure}")
            return 1
        print(f"\nall {what} passed")
        return 0


@contextlib.contextmanager
def scratch_folder(prefix: str, keep: bool) -> Iterator[Path]:
    """A temporary folder, removed afterwards unless ``keep``."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        if keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def uv_command() -> list[str]:
    exe = shutil.which("uv")
    if exe:
        return [exe]
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found]
    except ImportError:
        sys.exit("extras_check: uv is required (pip install uv)")
    return [find_uv_bin()]


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX"):
        env.pop(var, None)
    return env


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    shown = ["<probe>" if c == PROBE else str(c) for c in cmd]
    print("  $ " + " ".join(shown), flush=True)
    return subprocess.run(cmd, env=clean_env(), check=True, text=True, **kwargs)


def declared_version(name: str) -> Version:
    folder, _ = PROJECTS[name]
    with open(folder / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    if "version" in project:
        return Version(project["version"])
    with open(folder / "pyproject.toml", "rb") as f:
        path = tomllib.load(f)["tool"]["hatch"]["version"]["path"]
    namespace: dict = {}
    exec((folder / path).read_text(), namespace)
    return Version(namespace["__version__"])


def build(uv: list[str], dist: Path) -> None:
    print(f"== building into {dist}")
    for name, (folder, _) in PROJECTS.items():
        run([*uv, "build", "--quiet", "--out-dir", str(dist), str(folder)])


def looks_like_test(path: str) -> bool:
    parts = path.split("/")
    base = parts[-1]
    return (
        "tests" in parts[:-1]
        or base == "conftest.py"
        or base.endswith("_test.py")
        or (base.startswith("test_") and base.endswith(".py") and base != "test_utils.py")
    )


def artifact(dist: Path, name: str, version: Version, suffix: str) -> Path | None:
    stem = f"{canonicalize_name(name).replace('-', '_')}-{version}"
    matches = sorted(dist.glob(stem + suffix))
    return matches[0] if len(matches) == 1 else None


def check_artifacts(dist: Path, c: Checker) -> dict[str, Path]:
    """Checks every wheel and sdist; returns distribution -> wheel path."""
    wheels: dict[str, Path] = {}
    versions = {name: declared_version(name) for name in PROJECTS}
    for name, (_, package) in PROJECTS.items():
        version = versions[name]
        print(f"== {name} {version}")
        wheel = artifact(dist, name, version, "-py3-none-any.whl")
        sdist = artifact(dist, name, version, ".tar.gz")
        if not (c.check(wheel is not None, f"{name}: one pure wheel at {version}")
                and c.check(sdist is not None, f"{name}: one sdist at {version}")):
            continue
        assert wheel is not None and sdist is not None
        wheels[name] = wheel
        with zipfile.ZipFile(wheel) as zf:
            files = zf.namelist()
            dist_info = f"{wheel.name.split('-py3')[0]}.dist-info"
            metadata = email.parser.Parser().parsestr(zf.read(f"{dist_info}/METADATA").decode())
            entry_points = (
                zf.read(f"{dist_info}/entry_points.txt").decode()
                if f"{dist_info}/entry_points.txt" in files
                else ""
            )
        payload = [f for f in files if not f.startswith(dist_info + "/")]
        if package is None:
            c.check(not payload, f"{name}: wheel ships no files", f"found {payload[:5]}")
        else:
            tops = {f.split("/")[0] for f in payload}
            c.check(tops == {package}, f"{name}: wheel holds only {package}/", f"top level {tops}")
            for required in ("__init__.py", "py.typed", "_version.py"):
                c.check(f"{package}/{required}" in files, f"{name}: wheel has {package}/{required}")
            tests = [f for f in payload if looks_like_test(f)]
            c.check(not tests, f"{name}: wheel holds no tests", f"found {tests[:5]}")
        for ep_name, target in ENTRY_POINTS.get(name, {}).items():
            c.check(
                f"{ep_name} = {target}" in entry_points and "[haiku]" in entry_points,
                f"{name}: entry point haiku:{ep_name} = {target}",
                entry_points or "no entry_points.txt",
            )
        # Requirements on our own distributions must accept the local versions.
        for line in metadata.get_all("Requires-Dist") or []:
            requirement = Requirement(line)
            other = canonicalize_name(requirement.name)
            if other in versions:
                c.check(
                    requirement.specifier.contains(versions[other], prereleases=True),
                    f"{name}: requirement {requirement} accepts local {other} {versions[other]}",
                )
        if name == "haiku":
            check_meta_extras(metadata, c)
        with tarfile.open(sdist) as tf:
            members = [m.split("/", 1)[1] for m in tf.getnames() if "/" in m]
        for required in ("pyproject.toml", "PKG-INFO", "README.md"):
            c.check(required in members, f"{name}: sdist has {required}")
        if package is None:
            strays = [m for m in members if m.startswith(("packages/", "tests/", "src/"))]
            c.check(not strays, f"{name}: sdist holds no monorepo files", f"found {strays[:5]}")
        else:
            c.check(
                any(m.endswith(f"src/{package}/__init__.py") for m in members),
                f"{name}: sdist has src/{package}/__init__.py",
            )
    return wheels


def check_meta_extras(metadata, c: Checker) -> None:
    requirements = [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]
    base = {canonicalize_name(r.name) for r in requirements if r.marker is None}
    c.check(base == {"haiku-core"}, "haiku: depends on haiku-core only", f"got {base}")
    provided = set(metadata.get_all("Provides-Extra") or [])
    c.check(provided == set(EXTRAS), "haiku: extras are " + ", ".join(EXTRAS), f"got {provided}")
    for extra, expected in EXTRAS.items():
        got = {
            canonicalize_name(r.name)
            for r in requirements
            if r.marker is not None and r.marker.evaluate({"extra": extra})
        }
        c.check(got == expected, f"haiku[{extra}] requires {sorted(expected)}", f"got {sorted(got)}")


# Runs inside a fresh venv; prints a JSON report of what is installed and
# what the `haiku` namespace gives for a few names.
PROBE = r"""
import importlib.metadata as md, importlib.util, inspect, json, sys
report = {"dists": {d.metadata["Name"].lower(): d.version for d in md.distributions()
                   if d.metadata["Name"].lower().startswith("haiku")},
          "importable": {}, "names": {}}
for package in sys.argv[1].split(","):
    report["importable"][package] = importlib.util.find_spec(package) is not None
try:
    import haiku as hk
except Exception as e:
    report["import_error"] = f"{type(e).__name__}: {e}"
else:
    for name in sys.argv[2].split(","):
        try:
            value = hk
            for part in name.split("."):
                value = getattr(value, part)
            try:
                where = inspect.getfile(value)
            except TypeError:
                where = None
            report["names"][name] = {"ok": True, "file": where}
        except Exception as e:
            report["names"][name] = {"ok": False, "error": f"{type(e).__name__}: {e}"}
print(json.dumps(report))
"""

# requirement -> (distributions installed, packages importable, names that
# must resolve -> import package defining them, names that must fail -> text
# of the error). A name that an optional distribution provides is only
# required to resolve once that distribution's _plugin.py registers it.
SCENARIOS = {
    "haiku": (
        {"haiku", "haiku-core"},
        {"haiku"},
        {"transform": "haiku", "Module": "haiku"},
        {"Linear": 'pip install "haiku[nets]"', "LSTM": 'pip install "haiku[rnn]"'},
    ),
    "haiku[nets]": (
        {"haiku", "haiku-core", "haiku-nets"},
        {"haiku", "haiku_nets"},
        {"transform": "haiku", "Linear": "haiku_nets"},
        {"LSTM": 'pip install "haiku[rnn]"'},
    ),
    "haiku[rnn]": (
        {"haiku", "haiku-core", "haiku-nets", "haiku-rnn"},
        {"haiku", "haiku_nets", "haiku_rnn"},
        {"Linear": "haiku_nets", "LSTM": "haiku_rnn"},
        {},
    ),
    "haiku[all]": (
        {"haiku", "haiku-core", "haiku-nets", "haiku-rnn", "haiku-flax", "haiku-experimental"},
        {"haiku", *OPTIONAL_PACKAGES},
        {"Linear": "haiku_nets", "LSTM": "haiku_rnn"},
        {},
    ),
}


def registered(package: str, name: str) -> bool:
    """Whether the package's plugin module mentions ``name`` (i.e. registers it)."""
    for folder, pkg in PROJECTS.values():
        if pkg == package:
            plugin = folder / "src" / package / "_plugin.py"
            return plugin.exists() and f'"{name}"' in plugin.read_text()
    return False


def check_install(uv: list[str], wheels: dict[str, Path], workdir: Path, c: Checker,
                  only: list[str] | None) -> None:
    overrides = workdir / "overrides.txt"
    overrides.write_text(
        "".join(f"{name} @ {wheel.as_uri()}\n" for name, wheel in wheels.items() if name != "haiku")
    )
    for requirement, (dists, importable, resolves, fails) in SCENARIOS.items():
        if only and requirement not in only:
            continue
        print(f"== pip install {requirement!r} (from the built wheels)")
        venv = workdir / f"venv-{len(list(workdir.glob('venv-*')))}"
        run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
        python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        extras = requirement[len("haiku"):]
        run([*uv, "pip", "install", "--quiet", "--python", str(python),
             "--override", str(overrides), f"haiku{extras} @ {wheels['haiku'].as_uri()}"])
        names = {**resolves, **fails}
        result = run(
            [str(python), "-c", PROBE, ",".join(["haiku", *OPTIONAL_PACKAGES]), ",".join(names)],
            capture_output=True,
        )
        report = json.loads(result.stdout)
        got = set(report["dists"])
        c.check(got == dists, f"{requirement}: installs {sorted(dists)}", f"got {sorted(got)}")
        for name, version in report["dists"].items():
            if name in PROJECTS:
                c.check(
                    Version(version) == declared_version(name),
                    f"{requirement}: {name} is the local {declared_version(name)}",
                    f"got {version}",
                )
        for package in ["haiku", *OPTIONAL_PACKAGES]:
            want = package in importable
            c.check(
                report["importable"][package] == want,
                f"{requirement}: {package} {'importable' if want else 'not importable'}",
            )
        if not c.check("import_error" not in report, f"{requirement}: import haiku",
                       report.get("import_error", "")):
            continue
        for name, package in resolves.items():
            entry = report["names"][name]
            if package != "haiku" and not registered(package, name):
                print(f"  skip hk.{name}: {package}/_plugin.py does not register it yet")
                continue
            c.check(
                entry["ok"] and f"/{package}/" in (entry["file"] or ""),
                f"{requirement}: hk.{name} comes from {package}",
                entry.get("error") or f"defined in {entry.get('file')}",
            )
        for name, text in fails.items():
            entry = report["names"][name]
            c.check(
                not entry["ok"] and text in entry["error"],
                f"{requirement}: hk.{name} raises, saying {text}",
                entry.get("error") or "it resolved",
            )


# The requirements the README's install block must show (issue 21).
README_REQUIREMENTS = ["haiku", "haiku[nets]", "haiku[nets,rnn]", "haiku[all]"]


def readme_install_block(readme: Path) -> list[str]:
    """The command lines of the first fenced block under ``## Install``."""
    section = readme.read_text().split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    return [line.strip() for line in block.splitlines()[1:] if line.strip()]


def local_dependencies(name: str) -> set[str]:
    """Our distributions that ``name``'s pyproject.toml declares as dependencies."""
    with open(PROJECTS[name][0] / "pyproject.toml", "rb") as f:
        declared = tomllib.load(f)["project"].get("dependencies", [])
    return {canonicalize_name(Requirement(r).name) for r in declared} & set(PROJECTS)


def expected_dists(requirements: list[str]) -> set[str]:
    """The distributions ``pip install`` of these ``haiku[...]`` requirements gives.

    The extras' distributions and, transitively, the ones they depend on
    (haiku-rnn needs haiku-nets).
    """
    todo = {"haiku"}
    for requirement in map(Requirement, requirements):
        for extra in requirement.extras:
            todo |= EXTRAS[extra]
    dists: set[str] = set()
    while todo:
        name = todo.pop()
        dists.add(name)
        todo |= local_dependencies(name) - dists
    return dists


def haiku_requirements(line: str) -> list[str]:
    """The ``haiku[...]`` requirements a ``pip install`` line names."""
    words = shlex.split(line, comments=True)
    if words[:2] != ["pip", "install"]:
        return []
    requirements = []
    for word in words[2:]:
        try:
            if Requirement(word).name == "haiku":
                requirements.append(word)
        except InvalidRequirement:  # an option's value such as a folder
            pass
    return requirements


def copy_sources(destination: Path) -> None:
    """Copies the repository's files (tracked and untracked, not ignored), as a clone has."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def check_readme_install(workdir: Path, c: Checker) -> None:
    lines = readme_install_block(ROOT / "README.md")
    print("== README.md's install lines, verbatim, in a fresh venv")
    named = [r for line in lines for r in haiku_requirements(line)]
    c.check(set(README_REQUIREMENTS) <= set(named),
            "README: the install block installs " + ", ".join(README_REQUIREMENTS), f"got {named}")
    clone = workdir / "clone"
    copy_sources(clone)
    venv = workdir / "venv-readme"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], env=clean_env(), check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = clean_env()
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{python.parent}{os.pathsep}{env['PATH']}"
    installed: list[str] = []
    for line in lines:
        print(f"  $ {line}", flush=True)
        done = subprocess.run(["bash", "-c", line], cwd=clone, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if not c.check(done.returncode == 0, f"README line runs: {line}", done.stdout[-2000:]):
            return
        requirements = haiku_requirements(line)
        if not requirements:
            continue
        installed += requirements
        dists = expected_dists(installed)
        packages = ["haiku", *OPTIONAL_PACKAGES]
        result = subprocess.run([str(python), "-c", PROBE, ",".join(packages), "transform"],
                                env=env, capture_output=True, text=True, check=True)
        report = json.loads(result.stdout)
        c.check(set(report["dists"]) == dists, f"after it, installed {sorted(dists)}",
                f"got {sorted(report['dists'])}")
        for name, version in report["dists"].items():
            c.check(name in PROJECTS and Version(version) == declared_version(name),
                    f"after it, {name} is the local {version}")
        wanted = {PROJECTS[d][1] for d in dists if PROJECTS[d][1]}
        got = {package for package, ok in report["importable"].items() if ok}
        c.check(got == wanted, f"after it, importable: {sorted(wanted)}", f"got {sorted(got)}")
        c.check(report["names"].get("transform", {}).get("ok", False), "after it, hk.transform works",
                report.get("import_error", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, help="folder for the built artifacts (default: temp)")
    parser.add_argument("--skip-build", action="store_true", help="use the artifacts in --dist")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--only", action="append", help="run only this install scenario")
    args = parser.parse_args(argv)
    if args.skip_build and not args.dist:
        parser.error("--skip-build needs --dist")

    uv = uv_command()
    c = Checker()
    with scratch_folder("haiku-extras-", args.keep) as workdir:
        dist = args.dist.resolve() if args.dist else workdir / "dist"
        if not args.skip_build and args.only != ["readme"]:
            if dist.exists():
                shutil.rmtree(dist)
            build(uv, dist)
        if args.only != ["readme"]:
            wheels = check_artifacts(dist, c)
            if set(wheels) == set(PROJECTS):
                check_install(uv, wheels, workdir, c, args.only)
            else:
                c.check(False, "install checks", "skipped: some artifacts are missing")
        if not args.only or "readme" in args.only:
            check_readme_install(workdir, c)
    return c.summary("extras checks")


if __name__ == "__main__":
    sys.exit(main())
