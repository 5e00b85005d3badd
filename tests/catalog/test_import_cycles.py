"""No import cycle between the package's modules, function-level imports included, TYPE_CHECKING ones
aside (grimp, the graph library of import-linter; the layers contract between folders is in
pyproject.toml)."""

from __future__ import annotations

import grimp


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycles_finds_a_loop_and_only_a_loop() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph("instantly_mcp", exclude_type_checking_imports=True)  # run-time imports only
    edges = {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    found = cycles(edges)
    details = [
        f"{importer} -> {imported} (line {d['line_number']}: {d['line_contents']})"
        for component in found
        for importer in component
        for imported in sorted(edges[importer] & set(component))
        for d in graph.get_import_details(importer=importer, imported=imported)
    ]
    assert not found, "import cycles:\n" + "\n".join(details)
