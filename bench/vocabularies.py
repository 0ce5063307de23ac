"""Real tokenizer vocabularies for the benchmarks, without a model hub.

- ``smollm2``: the tokenizer inside the cached SmolLM2 GGUF (``engine.model_registry.resolve_model``), 49k ids.
- ``llama3``: the Llama-3 BPE vocabulary (128k ids) from ``ggml-vocab-llama-bpe.gguf``, an MIT-licensed
  vocabulary-only file shipped in the ``llama-cpp-python`` source distribution on PyPI. Fetched once with pip and
  cached as ``~/.cache/constrained/vocab/ggml-vocab-llama-bpe.gguf`` (``$CONSTRAINED_CACHE_DIR`` respected).
  The other vocabularies there, with llama.cpp's tokenizer test texts and ids, come from the same archive
  (``fetch_vocab_conformance``, used by the tokenizer conformance test).
- a path: a GGUF file or a Hugging Face ``tokenizer.json``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from constrained import Vocabulary

LLAMA3_SDIST = "llama-cpp-python==0.3.36"
MODELS_DIR = "vendor/llama.cpp/models"
LLAMA3_MEMBER = f"{MODELS_DIR}/ggml-vocab-llama-bpe.gguf"
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
    return fetch_sdist_models([LLAMA3_FILE], root, download)[0]


def fetch_vocab_conformance(
    names: Sequence[str], root: Path | None = None, download: SdistDownloader = pip_download_sdist
) -> dict[str, tuple[Path, Path, Path]]:
    """llama.cpp's tokenizer test files for each vocabulary name (``gpt-2``, ``llama-spm``, ...), cached.

    Returns:
        name -> (``ggml-vocab-NAME.gguf``, its ``.gguf.inp`` test texts, its ``.gguf.out`` expected ids).
    """
    files = [f"ggml-vocab-{n}.gguf{suffix}" for n in names for suffix in ("", ".inp", ".out")]
    paths = fetch_sdist_models(files, root, download)
    return {n: (paths[3 * i], paths[3 * i + 1], paths[3 * i + 2]) for i, n in enumerate(names)}


def fetch_sdist_models(
    filenames: Sequence[str], root: Path | None = None, download: SdistDownloader = pip_download_sdist
) -> list[Path]:
    """Cached copies of files from the sdist's ``vendor/llama.cpp/models/``; one download fetches all missing.

    Raises:
        RuntimeError: the archive lacks one of the files (nothing partial is left behind).
    """
    from engine.model_registry import cache_dir

    folder = (root or cache_dir()) / "vocab"
    targets = [folder / name for name in filenames]
    missing = {t.name: t for t in targets if not t.is_file()}
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
        print(
            f"[constrained] fetching {', '.join(missing)} from the {LLAMA3_SDIST} source archive (first run only)",
            file=sys.stderr,
        )
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            _extract_models(download(LLAMA3_SDIST, Path(tmp)), missing, Path(tmp))
    return targets


def _extract_models(archive: Path, wanted: dict[str, Path], scratch: Path) -> None:
    with tarfile.open(archive) as tf:
        members = {m.name.rsplit("/", 1)[-1]: m for m in tf.getmembers() if f"/{MODELS_DIR}/" in m.name}
        absent = sorted(set(wanted) - set(members))
        if absent:
            raise RuntimeError(f"{archive.name} has no {', '.join(MODELS_DIR + '/' + a for a in absent)}")
        for name, target in wanted.items():
            src = tf.extractfile(members[name])
            if src is None:
                raise RuntimeError(f"{archive.name}: {name} is not a regular file")
            partial = scratch / (name + ".part")
            with src, partial.open("wb") as dst:
                shutil.copyfileobj(src, dst, length=1 << 20)
            partial.replace(target)  # atomic: an interrupted fetch never leaves a truncated file


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
