"""Writes summary_golden.json with dm-haiku 0.0.17 (the oracle): run with /work/.venv-oracle.

    /work/.venv-oracle/bin/python packages/haiku-experimental/tests/golden/make_summary_golden.py
"""

import json
import pathlib
import sys

import haiku as hk

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import summary_scenarios as sc  # noqa: E402

HERE = pathlib.Path(__file__).parent


def main():
    functions = sc.make_functions(hk)
    golden = {"tables": {}, "summaries": {}}
    for label, name, how, kwargs in sc.TABLES:
        f, args = functions[name]
        golden["tables"][label] = hk.experimental.tabulate(sc.wrap(hk, f, how), **kwargs)(*args())
    for name in sc.SUMMARIES:
        f, args = functions[name]
        golden["summaries"][name] = [
            sc.describe_invocation(i) for i in hk.experimental.eval_summary(f)(*args())
        ]
    (HERE / "summary_golden.json").write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
