"""A small parser for the dot text hk.to_dot writes (one statement a line)."""

from __future__ import annotations

import dataclasses
import re

_NODE = re.compile(r'^(\w+) \[label="((?:[^"\\]|\\.)*)"')
_EDGE = re.compile(r"^(\w+) -> (\w+);$")
_LABEL = re.compile(r'^label="((?:[^"\\]|\\.)*)";$')


def _unescape(text: str) -> str:
    return text.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")


@dataclasses.dataclass
class Dot:
    nodes: dict[str, str]  # id -> label
    node_cluster: dict[str, tuple[str, ...]]  # id -> labels of its clusters, outermost first
    edges: list[tuple[str, str]]
    clusters: list[tuple[str, ...]]  # every cluster, as its path of labels

    def ids(self, prefix: str) -> list[str]:
        return [n for n, label in self.nodes.items() if label.startswith(prefix)]

    def label_of(self, node_id: str) -> str:
        return self.nodes[node_id]


def parse(text: str) -> Dot:
    lines = [line.strip() for line in text.strip().splitlines()]
    assert lines[0].startswith("digraph ") and lines[0].endswith("{"), lines[0]
    assert lines[-1] == "}"
    stack: list[str | None] = []
    nodes, node_cluster, edges, clusters = {}, {}, [], []
    for line in lines[1:-1]:
        if line.startswith("subgraph cluster_") and line.endswith("{"):
            stack.append(None)
        elif line == "}":
            stack.pop()
        elif (m := _LABEL.match(line)) and stack:
            stack[-1] = _unescape(m.group(1))
            clusters.append(tuple(stack))
        elif m := _EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        elif m := _NODE.match(line):
            nodes[m.group(1)] = _unescape(m.group(2))
            node_cluster[m.group(1)] = tuple(stack)
    assert not stack
    for a, b in edges:
        assert a in nodes and b in nodes, (a, b)
    return Dot(nodes, node_cluster, edges, clusters)
