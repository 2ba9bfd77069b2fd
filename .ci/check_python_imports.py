"""Fails when a Python file in the repository imports a module that no package of scripts/setup.sh provides.

A user's machine has only what the set-up script installs, so every third-party import (in tools/, bench/,
experiments/, scripts/, anywhere) must resolve, on this machine, to a file owned by a Debian package named in
setup.sh's `packages=(...)` list. Modules of the standard library and the repository's own files pass.
"""
import ast
import importlib.util
import os
import re
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
setup = open(os.path.join(root, "scripts", "setup.sh"), encoding="utf-8").read()
listed = set(re.search(r"packages=\(([^)]*)\)", setup).group(1).split())

local, imports = set(), {}
for folder, dirs, files in os.walk(root):
    dirs[:] = [d for d in dirs if d not in (".git", "bin", "obj", "node_modules")]
    for name in files:
        if not name.endswith(".py"):
            continue
        local.add(name[:-3])
        path = os.path.join(folder, name)
        tree = ast.parse(open(path, encoding="utf-8").read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            else:
                continue
            for module in modules:
                imports.setdefault(module.split(".")[0], os.path.relpath(path, root))

problems = []
for module, where in sorted(imports.items()):
    if module in sys.stdlib_module_names or module in local or module == "__future__":
        continue
    spec = importlib.util.find_spec(module)
    origin = getattr(spec, "origin", None) if spec else None
    if not origin:
        problems.append(f"{where}: imports '{module}', which is not installed (add its Debian package to setup.sh)")
        continue
    owner = subprocess.run(["dpkg", "-S", origin], capture_output=True, text=True).stdout.split(":")[0]
    if owner not in listed:
        problems.append(f"{where}: imports '{module}' from Debian package '{owner or '?'}', which setup.sh does not install")

for line in problems:
    print("error: " + line, file=sys.stderr)
sys.exit(1 if problems else 0)
