"""Sphinx extension: example outputs captured at build time, and benchmark tables.

- ``haiku_examples`` (conf.py) lists ``(script, arguments)``: when the build
  starts, each ``examples/<script>`` runs with those (short) arguments, two
  at a time; ``.. example-output:: SCRIPT`` shows what it printed. A script
  that fails or times out is a warning, so the docs build fails.
- ``.. misuse-differences::`` tabulates ``DIFFERENCES`` of
  ``tests/test_misuse_catalogue.py``: the mistakes whose error differs from
  dm-haiku's on purpose, with the reason (read from the test, not copied).
- ``.. benchmark-result:: FILE`` shows ``benchmarks/results/FILE``: a
  Markdown table (``.md``) as a table, JSON lines (``.jsonl``) as a table of
  their keys, anything else as a literal block.
"""

from __future__ import annotations

import ast
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
RESULTS = REPO / "benchmarks" / "results"
TIMEOUT_S = 300

_OUTPUTS: dict[str, tuple[list[str], str]] = {}  # script -> (arguments, output)


def _run_example(script: str, arguments: list[str], output_dir: Path) -> tuple[str, float]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    arguments = [a.replace("{output_dir}", str(output_dir / Path(script).stem)) for a in arguments]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *arguments], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"exit status {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout, time.perf_counter() - started


def _run_examples(app: Sphinx) -> None:
    examples: list[tuple[str, list[str]]] = app.config.haiku_examples
    output_dir = Path(tempfile.mkdtemp(prefix="haiku-docs-examples-"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {pool.submit(_run_example, script, list(args), output_dir): (script, list(args))
                   for script, args in examples}
        for future in concurrent.futures.as_completed(futures):
            script, args = futures[future]
            try:
                output, seconds = future.result()
            except Exception as error:  # reported as a build warning below
                logger.warning(f"examples/{script} {' '.join(args)} failed: {error}")
                continue
            logger.info(f"example-output: examples/{script} ran in {seconds:.1f}s")
            # ``{output_dir}`` is a temporary folder: shown as a placeholder.
            _OUTPUTS[script] = ([a.replace("{output_dir}", "OUT") for a in args], output)


class ExampleOutputDirective(SphinxDirective):
    """``.. example-output:: SCRIPT``: the command run at build time and its output."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        script = self.arguments[0]
        if not self.config.haiku_examples:
            return [nodes.paragraph("", "(The examples were not run in this build: "
                                        "HAIKU_DOCS_EXAMPLES=0.)")]
        if script not in _OUTPUTS:
            configured = [s for s, _ in self.config.haiku_examples]
            if script not in configured:
                logger.warning(f"example-output: {script} is not in haiku_examples (conf.py)",
                               location=self.get_location())
            return []  # a failed run was reported already
        arguments, output = _OUTPUTS[script]
        command = " ".join(["python", f"examples/{script}", *arguments])
        intro = nodes.paragraph("", "Output of ")
        intro += nodes.literal(command, command)
        intro += nodes.Text(", run when these pages were built:")
        block = nodes.literal_block(output, output.rstrip())
        block["language"] = "text"
        return [intro, block]


def _inline(text: str) -> list[nodes.Node]:
    """Markdown inline text: `code` spans become literals."""
    parts = text.split("`")
    return [nodes.literal(p, p) if i % 2 else nodes.Text(p) for i, p in enumerate(parts) if p]


def _table(rows: list[list[str]]) -> nodes.table:
    header, body = rows[0], rows[1:]
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)

    def row(cells: list[str]) -> nodes.row:
        r = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph("", "", *_inline(cell))
            r += entry
        return r

    thead = nodes.thead()
    thead += row(header)
    tbody = nodes.tbody()
    for cells in body:
        tbody += row(cells)
    group += thead
    group += tbody
    return table


def _markdown(text: str) -> list[nodes.Node]:
    """Paragraphs and pipe tables, the only Markdown the result files use."""
    out: list[nodes.Node] = []
    table: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                table.append(cells)
            continue
        if table:
            out.append(_table(table))
            table = []
        if stripped:
            out.append(nodes.paragraph("", "", *_inline(stripped.lstrip("# "))))
    return out


class BenchmarkResultDirective(SphinxDirective):
    """``.. benchmark-result:: FILE``: one file of benchmarks/results/."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        path = RESULTS / self.arguments[0]
        if not path.is_file():
            logger.warning(f"benchmark-result: no file {path}", location=self.get_location())
            return []
        self.env.note_dependency(str(path))
        if not hasattr(self.env, "haiku_benchmark_results"):
            self.env.haiku_benchmark_results = set()
        self.env.haiku_benchmark_results.add(path.name)
        text = path.read_text()
        caption = nodes.paragraph("", "From ")
        caption += nodes.literal(f"benchmarks/results/{path.name}", f"benchmarks/results/{path.name}")
        caption += nodes.Text(":")
        if path.suffix == ".md":
            return [caption, *_markdown(text)]
        if path.suffix == ".jsonl":
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
            keys = list(dict.fromkeys(k for record in records for k in record))
            rows = [keys, *([str(record.get(k, "")) for k in keys] for record in records)]
            return [caption, _table(rows)]
        return [caption, nodes.literal_block(text, text.rstrip())]


MISUSE_TEST = REPO / "tests" / "test_misuse_catalogue.py"


def _assigned_literal(path: Path, name: str) -> Any:
    for statement in ast.parse(path.read_text()).body:
        if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name) and statement.targets[0].id == name):
            return ast.literal_eval(statement.value)
    raise LookupError(f"{path} assigns no {name}")


class MisuseDifferencesDirective(SphinxDirective):
    """``.. misuse-differences::``: the misuse catalogue's deliberate differences."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(MISUSE_TEST))
        try:
            differences = _assigned_literal(MISUSE_TEST, "DIFFERENCES")
        except (LookupError, ValueError, SyntaxError) as error:
            logger.warning(f"misuse-differences: {error}", location=self.get_location())
            return []
        rows = [["mistake (catalogue row)", "dm-haiku 0.0.17, and haiku"],
                *([row, why] for row, why in differences.items())]
        return [_table(rows)]


def _check_every_result_is_shown(app: Sphinx, env: Any) -> None:
    shown = getattr(env, "haiku_benchmark_results", set())
    for path in sorted(RESULTS.iterdir()):
        if path.is_file() and path.suffix in (".md", ".txt", ".jsonl") and path.name not in shown:
            logger.warning(f"benchmarks/results/{path.name} is shown on no page "
                           "(add a benchmark-result directive to docs/performance.rst)")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("haiku_examples", [], "env")
    app.add_directive("example-output", ExampleOutputDirective)
    app.add_directive("benchmark-result", BenchmarkResultDirective)
    app.add_directive("misuse-differences", MisuseDifferencesDirective)
    app.connect("builder-inited", _run_examples)
    app.connect("env-check-consistency", _check_every_result_is_shown)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
