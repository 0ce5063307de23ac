"""The README's library example is a test: it must run as written (with a tiny trained tokenizer file)."""

from __future__ import annotations

import re
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from tests.conftest import REPO_ROOT


def _library_example() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## As a library", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README lost its library example"
    return match.group(1)


def _tiny_tokenizer_file(tmp_path: Path) -> Path:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = ['{"name": "Ada", "age": 36}', '{"name":"Grace"}', "hello world", "</s>"] * 20
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(corpus, trainer)
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    return path


def test_readme_library_example_runs(tmp_path: Path) -> None:
    code = _library_example()
    assert 'Tokenizer.from_file("tokenizer.json")' in code
    code = code.replace('"tokenizer.json"', repr(str(_tiny_tokenizer_file(tmp_path))))
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    mask = namespace["mask"]
    assert mask.any()  # type: ignore[attr-defined]  # the first mask allows something
