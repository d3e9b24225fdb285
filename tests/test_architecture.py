"""The code base's shape: no import cycles anywhere (a function-level import cannot hide
one: the graph includes every import statement), and the layers of setup.cfg hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph("iok_saas", exclude_type_checking_imports=True)
    cycles = sorted((module, imported) for module in graph.modules
                    for imported in graph.find_modules_directly_imported_by(module)
                    if graph.chain_exists(importer=imported, imported=module))
    assert cycles == []


def test_the_layer_contracts_hold(repo_root):
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=repo_root, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
