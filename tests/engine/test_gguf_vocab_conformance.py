"""Our GGUF tokenizer against llama.cpp's own tokenizer tests, on the vocabulary-only GGUFs it ships.

Each ``ggml-vocab-NAME.gguf`` in the ``llama-cpp-python`` source archive comes with ``.gguf.inp`` (test texts
separated by a marker line) and ``.gguf.out`` (one line of expected ids per text, no BOS), generated from the
model's original Hugging Face tokenizer. The files are fetched once into ``~/.cache/constrained/vocab/``
(``bench.vocabularies.fetch_vocab_conformance``); a failed download fails these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.vocabularies import fetch_vocab_conformance
from engine.gguf_file import GGUFFile
from engine.gguf_tokenizer import GGUFTokenizer

# (vocabulary, tokenizer.ggml.model / tokenizer.ggml.pre it exercises)
VOCABULARIES = {
    "gpt-2": "gpt2 / gpt-2",
    "llama-bpe": "gpt2 / llama-bpe (Llama-3)",
    "llama-spm": "llama (SentencePiece, Llama-2)",
    "qwen2": "gpt2 / qwen2",
    "qwen35": "gpt2 / qwen35",
    "phi-3": "llama (SentencePiece)",
    "starcoder": "gpt2 / starcoder",
    "refact": "gpt2 / refact",
    "command-r": "gpt2 / command-r",
    "mpt": "gpt2 / mpt",
    "falcon": "gpt2 / falcon",
    "deepseek-coder": "gpt2 / deepseek-coder",
}
SEPARATOR = "\n__ggml_vocab_test__\n"


def read_cases(inp: Path, out: Path) -> list[tuple[str, list[int]]]:
    """(text, expected ids) pairs; texts keep their exact bytes (``\\r``, trailing spaces)."""
    texts = inp.read_bytes().decode("utf-8").split(SEPARATOR)
    if texts and texts[-1] == "":
        texts.pop()  # the file ends with a separator
    lines = out.read_bytes().decode("utf-8").split("\n")
    assert len(lines) >= len(texts), f"{out.name}: {len(lines)} id lines for {len(texts)} texts"
    return [(text, [int(x) for x in line.split()]) for text, line in zip(texts, lines, strict=False)]


@pytest.fixture(scope="module")
def conformance_files() -> dict[str, tuple[Path, Path, Path]]:
    return fetch_vocab_conformance(list(VOCABULARIES))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(VOCABULARIES))
def test_tokenizer_matches_llama_cpp_expected_ids(
    name: str, conformance_files: dict[str, tuple[Path, Path, Path]]
) -> None:
    gguf_path, inp, out = conformance_files[name]
    with GGUFFile(gguf_path) as gguf:
        tok = GGUFTokenizer.from_gguf(gguf)
    cases = read_cases(inp, out)
    assert len(cases) >= 40, f"{inp.name}: only {len(cases)} cases"
    wrong = [(text, want, got) for text, want in cases if (got := tok.encode(text, add_bos=False)) != want]
    detail = "\n".join(f"  {text!r}: want {want} got {got}" for text, want, got in wrong[:5])
    assert not wrong, f"{name}: {len(cases) - len(wrong)}/{len(cases)} cases agree; first differences:\n{detail}"


def test_case_reader_keeps_exact_text(tmp_path: Path) -> None:
    inp, out = tmp_path / "v.gguf.inp", tmp_path / "v.gguf.out"
    inp.write_bytes(SEPARATOR.join(["a\r\n", "", " \t"]).encode() + SEPARATOR.encode())
    out.write_text(" 1 2\n\n 3\n")
    assert read_cases(inp, out) == [("a\r\n", [1, 2]), ("", []), (" \t", [3])]
