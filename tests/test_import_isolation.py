"""`constrained` is a library on its own: importing it (every module) must load neither torch nor the upper layers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import REPO_ROOT

BLOCKER = textwrap.dedent(
    """
    import importlib.abc, pkgutil, sys

    BLOCKED = ("torch", "engine", "api", "litestar")

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"blocked import of {name}")
            return None

    sys.meta_path.insert(0, Block())
    import constrained
    names = [m.name for m in pkgutil.walk_packages(constrained.__path__, "constrained.")]
    for name in names:
        __import__(name)
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not leaked, leaked
    print(len(names))
    """
)


def test_constrained_imports_without_torch_or_upper_layers() -> None:
    proc = subprocess.run([sys.executable, "-c", BLOCKER], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 1  # it really walked the package's modules


def test_the_blocker_itself_blocks_torch() -> None:
    """Guard against a blocker that silently lets everything through."""
    code = BLOCKER.replace("import constrained", "import constrained\nimport torch")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode != 0 and "blocked import of torch" in proc.stderr
