"""``python -m haiku_oracle.compat``: dm-haiku 0.0.17's own tests against our haiku.

Runs each test file of dm-haiku 0.0.17 that uses only its public API twice,
one pytest process per file: as dm-haiku ships it, in the oracle's venv (the
baseline, cached), and against the haiku installed here through
:mod:`haiku_oracle.compat.shim`.
Then dm-haiku's docstring examples (:mod:`haiku_oracle.compat.doctests`).
Prints a table per file and exits 1 if a test of a public-API file, or a
docstring example, passes on dm-haiku and not here. Tests that fail on
dm-haiku too are listed with dm-haiku's error as the reason for leaving them
out. Files that use dm-haiku's internals do not decide the exit status; with
``--internal`` they are run and reported too (they double the run's time:
``integration/hk_transforms_test.py`` alone takes four minutes on 2 cores).

Options: ``-k SUBSTRING`` (repeatable) runs only the files whose path has one
of them; ``--internal`` runs the internal files too; ``--jobs N`` runs N files
at a time (default: one per CPU).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import filelock

from haiku_oracle import environment, runner
from haiku_oracle.compat import TOOLS, doctests, running, sources


def _baseline(root: Path, package: Path, files: list[str], jobs: int | None
              ) -> dict[str, running.FileRun]:
    """dm-haiku's outcomes for ``files``, cached under everything that decides them."""
    python, versions = environment.oracle_python(TOOLS)
    key = hashlib.sha256(json.dumps([root.name, versions, runner.cpu_fingerprint(),
                                     runner.steering_environment(),
                                     running.STANDINS.read_text()]).encode()).hexdigest()[:16]
    cache = environment.cache_dir() / "compat" / f"baseline-{key}.json"
    with filelock.FileLock(f"{cache}.lock"):  # Concurrent runs compute each file once.
        known = json.loads(cache.read_text()) if cache.exists() else {}
        missing = [f for f in files if f not in known]
        if missing:
            env = running.theirs_environment()
            for name, result in running.run_files(python, package, missing, env,
                                                  running.THEIRS_ARGS, jobs).items():
                known[name] = {"outcomes": result.outcomes, "messages": result.messages}
            cache.write_text(json.dumps(known, indent=1, sort_keys=True))
    return {f: running.FileRun(known[f]["outcomes"], known[f]["messages"]) for f in files}


def _passed(outcome: str | None) -> bool:
    return outcome in ("passed", "skipped")


def compare_outcomes(theirs: running.FileRun, ours: running.FileRun
                     ) -> tuple[list[str], list[str], list[str]]:
    """``(passing on dm-haiku, of those not passing here, run by dm-haiku and failing)``.

    Only the tests dm-haiku's run collected count: a test that exists only in
    our run (a parameterisation over our own module names, say) is neither
    lost nor "failing on dm-haiku too".
    """
    tests = sorted(theirs.outcomes)
    passing = [n for n in tests if _passed(theirs.outcomes[n])]
    lost = [n for n in passing if not _passed(ours.outcomes.get(n))]
    failing = [n for n in tests if not _passed(theirs.outcomes[n])]
    return passing, lost, failing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m haiku_oracle.compat", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", action="append", default=[], metavar="SUBSTRING")
    parser.add_argument("--internal", action="store_true",
                        help="also run the files that use dm-haiku's internals (informational)")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)

    package = sources.locate()
    root, files = sources.materialise(package)
    files = [f for f in files if (args.internal or f.public)
             and (not args.k or any(k in f.path for k in args.k))]
    paths = [f.path for f in files]
    theirs = _baseline(root, package, paths, args.jobs)
    ours = running.run_files(Path(sys.executable), root, paths, running.ours_environment(package),
                             running.OURS_ARGS, args.jobs)

    regressions: list[str] = []
    internal_lost: list[str] = []  # Informational: tests of files that use internals.
    excluded: list[str] = []
    rows = []
    for f in files:
        t, o = theirs[f.path], ours[f.path]
        theirs_pass, lost, failing = compare_outcomes(t, o)
        excluded += [f"{f.path}::{n}: fails on dm-haiku too: {t.messages.get(n, '')}"
                     for n in failing]
        if f.public:
            regressions += [f"{f.path}::{n}: {o.messages.get(n, o.outcomes.get(n, 'not run'))}"
                            for n in lost]
        else:
            internal_lost += [f"{f.path}::{n}" for n in lost]
        rows.append((f.path, "public" if f.public else "internal", len(theirs_pass),
                     len(theirs_pass) - len(lost), len(lost)))

    width = max(len(r[0]) for r in rows)
    print(f"{'file':<{width}}  kind      dm-haiku passes  haiku passes  lost")
    for path, kind, t_pass, o_pass, lost in rows:
        print(f"{path:<{width}}  {kind:<8}  {t_pass:>15}  {o_pass:>12}  {lost:>4}")
    for kind in ("public", "internal"):
        chosen = [r for r in rows if r[1] == kind]
        if chosen:
            print(f"{kind}: {len(chosen)} files, {sum(r[3] for r in chosen)} of "
                  f"{sum(r[2] for r in chosen)} tests that pass on dm-haiku pass on haiku")
    if excluded:
        print(f"\nleft out, failing on dm-haiku 0.0.17 itself ({len(excluded)}):")
        print("\n".join(f"  {line}" for line in excluded))
    if not args.internal:
        print("\ninternal files not run (--internal runs them, informational)")
    if internal_lost:
        print(f"\ninternal files, informational ({len(internal_lost)} tests need dm-haiku's "
              "internals or fail here):")
        print("\n".join(f"  {line}" for line in internal_lost))

    if not args.k:
        doc_failures = doctests.run(package)
        regressions += doc_failures

    if regressions:
        print(f"\nFAILED: {len(regressions)} pass on dm-haiku 0.0.17 but not on haiku:")
        print("\n".join(f"  {line}" for line in regressions))
        return 1
    print("\nevery public-API test and docstring example that passes on dm-haiku 0.0.17 passes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
