"""Real tokenizer vocabularies for the benchmarks, without a model hub.

- ``smollm2``: the tokenizer inside the cached SmolLM2 GGUF (``engine.model_registry.resolve_model``), 49k ids.
- ``llama3``: the Llama-3 BPE vocabulary (128k ids) from ``ggml-vocab-llama-bpe.gguf``, an MIT-licensed
  vocabulary-only file shipped in the ``llama-cpp-python`` source distribution on PyPI. Fetched once with pip and
  cached as ``~/.cache/constrained/vocab/ggml-vocab-llama-bpe.gguf`` (``$CONSTRAINED_CACHE_DIR`` respected).
- a path: a GGUF file or a Hugging Face ``tokenizer.json``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from constrained import Vocabulary

LLAMA3_SDIST = "llama-cpp-python==0.3.36"
LLAMA3_MEMBER = "vendor/llama.cpp/models/ggml-vocab-llama-bpe.gguf"
LLAMA3_FILE = "ggml-vocab-llama-bpe.gguf"
LLAMA3_EOS = (128001, 128009)  # <|end_of_text|>, <|eot_id|>

# (requirement, destination folder) -> the downloaded source archive
SdistDownloader = Callable[[str, Path], Path]


@dataclass(frozen=True)
class BenchVocab:
    """A vocabulary plus the tokenizer that produced it.

    Attributes:
        name: what the user asked for (``smollm2``, ``llama3`` or the path).
        vocab: the constraint-side ``Vocabulary``.
        encode: text -> token ids, as the model's tokenizer splits it (no BOS, control text not parsed).
    """

    name: str
    vocab: Vocabulary
    encode: Callable[[str], list[int]]


def pip_download_sdist(requirement: str, dest: Path) -> Path:
    """Download one source archive (no dependencies, nothing compiled) with this interpreter's pip."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", str(dest), requirement],
        check=True,
    )
    archives = sorted(dest.glob("*.tar.gz"))
    if not archives:
        raise RuntimeError(f"pip downloaded no source archive for {requirement}")
    return archives[0]


def fetch_llama3_vocab(root: Path | None = None, download: SdistDownloader = pip_download_sdist) -> Path:
    """Path of the cached Llama-3 vocabulary GGUF, fetching it from the PyPI source archive on first use."""
    from engine.model_registry import cache_dir

    target = (root or cache_dir()) / "vocab" / LLAMA3_FILE
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"[constrained] fetching {LLAMA3_FILE} from the {LLAMA3_SDIST} source archive (first run only)",
          file=sys.stderr)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        archive = download(LLAMA3_SDIST, Path(tmp))
        partial = Path(tmp) / (LLAMA3_FILE + ".part")
        with tarfile.open(archive) as tf:
            member = next((m for m in tf.getmembers() if m.name.endswith("/" + LLAMA3_MEMBER)), None)
            src = tf.extractfile(member) if member is not None else None
            if src is None:
                raise RuntimeError(f"{archive.name} has no {LLAMA3_MEMBER}")
            with src, partial.open("wb") as dst:
                shutil.copyfileobj(src, dst, length=1 << 20)
        partial.replace(target)  # atomic: an interrupted fetch never leaves a truncated file
    return target


def _from_gguf(name: str, path: Path, extra_eos: tuple[int, ...] = ()) -> BenchVocab:
    from engine.gguf_file import GGUFFile
    from engine.gguf_tokenizer import GGUFTokenizer

    with GGUFFile(path) as gguf:
        tok = GGUFTokenizer.from_gguf(gguf)
    eos = {tok.eos_id, *extra_eos} - {None}
    vocab = Vocabulary.from_tokenizer(tok.plain, eos_token_ids=sorted(i for i in eos if i is not None))
    plain = tok.plain
    return BenchVocab(name, vocab, lambda text: list(plain.encode(text, add_special_tokens=False).ids))


def load_vocab(name: str) -> BenchVocab:
    """``smollm2``, ``llama3``, or a path to a ``.gguf`` / ``tokenizer.json``.

    Raises:
        FileNotFoundError: an unknown name that is not an existing path.
    """
    if name == "smollm2":
        from engine.model_registry import resolve_model

        return _from_gguf(name, resolve_model("smollm2"))
    if name == "llama3":
        return _from_gguf(name, fetch_llama3_vocab(), LLAMA3_EOS)
    path = Path(name).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"--vocab: {name!r} is neither smollm2, llama3 nor an existing file")
    if path.suffix == ".gguf":
        return _from_gguf(name, path)
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    return BenchVocab(
        name, Vocabulary.from_tokenizer(tok), lambda text: list(tok.encode(text, add_special_tokens=False).ids)
    )


def smollm2_cached() -> bool:
    """Whether the SmolLM2 GGUF is already in the cache (tests use its vocabulary only then)."""
    from engine.model_registry import KNOWN_MODELS, cache_dir

    return (cache_dir() / "models" / KNOWN_MODELS["smollm2"].filename).is_file()
