"""The house's layout rules (issue 18), checked on the source: the shipped packages import
neither the workers (they reach them through ``ocr_service.handover``) nor the development tools,
and every document the code cites is in the repository."""

from __future__ import annotations

import ast
import re
import subprocess
import tomllib
from pathlib import Path

from setuptools import find_namespace_packages

from ocr_service.config import REPO_ROOT


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_ocr_service_imports_neither_workers_nor_dev_tools() -> None:
    offenders = {str(path.relative_to(REPO_ROOT)): sorted(name for name in _imports(path)
                                                         if name.split(".")[0] in
                                                         {"workers", "sohoa_dev"})
                 for path in (REPO_ROOT / "ocr_service").rglob("*.py")}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_shipped_packages_hold_no_generator_evaluation_or_test_server() -> None:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    shipped = find_namespace_packages(str(REPO_ROOT), include=include)
    assert "ocr_service" in shipped and "workers" in shipped
    assert not [name for name in shipped if "synth" in name or name.startswith("sohoa_dev")]
    modules = {path.stem for package in shipped
               for path in (REPO_ROOT / package.replace(".", "/")).glob("*.py")}
    assert not modules & {"evaluation", "postgres", "synth"}


def test_every_document_the_code_cites_is_in_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    cited: dict[str, set[str]] = {}
    for name in tracked:
        if not name.endswith((".py", ".md", ".toml", ".yaml", ".sh")):
            continue
        text = (REPO_ROOT / name).read_text(encoding="utf-8", errors="replace")
        for document in re.findall(r"(?<![\w./-])((?:docs/)?[\w-]+\.md)\b", text):
            cited.setdefault(document, set()).add(name)
    missing = {document: sorted(where) for document, where in cited.items()
               if not any(path == document or path.endswith("/" + document) for path in tracked)}
    assert missing == {}
