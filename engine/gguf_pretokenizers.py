"""How each byte-level BPE model cuts text into words before merging: ``tokenizer.ggml.pre`` -> split regexes.

A GGUF names its pre-tokenizer only by a short string; the regexes behind each name are fixed by the model's
original ``tokenizer.json`` (llama.cpp keeps the same table). Each regex of a spec splits every piece left by the
previous one, keeping matches and the text between them as separate pieces ("isolated"). The names are the ones
llama.cpp's ``convert_hf_to_gguf`` writes; an unknown name is refused rather than guessed, because a wrong regex
gives plausible but different ids.
"""

from __future__ import annotations

from dataclasses import dataclass

# The GPT-2 word regex; most byte-level BPE models reuse it, some after splitting digits apart first.
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# Qwen3.5: like Qwen2, but combining marks (\p{M}) stay attached to the letters they modify.
QWEN35 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}"
    r"| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_CJK = r"[一-龥ࠀ-一가-퟿]+"


@dataclass(frozen=True)
class PreTokenizerSpec:
    """One model family's word splitting.

    Attributes:
        splits: regexes applied in order, each splitting the pieces the previous one left.
        nfc: normalize the text to NFC first (Qwen2).
        ignore_merges: a piece that is a whole vocabulary token is taken as is, without merging (Llama-3).
    """

    splits: tuple[str, ...]
    nfc: bool = False
    ignore_merges: bool = False


_GPT2 = PreTokenizerSpec((GPT2,))
_DIGITS = PreTokenizerSpec((r"\p{N}", GPT2))
_LLAMA3 = PreTokenizerSpec((LLAMA3,), ignore_merges=True)
_QWEN2 = PreTokenizerSpec((QWEN2,), nfc=True)

PRE_TOKENIZERS: dict[str, PreTokenizerSpec] = {
    "default": _GPT2,
    "gpt-2": _GPT2,
    "gpt2": _GPT2,
    "mpt": _GPT2,
    "olmo": _GPT2,
    "smollm": _DIGITS,
    "starcoder": _DIGITS,
    "refact": _DIGITS,
    "codeshell": _DIGITS,
    "command-r": _DIGITS,
    "llama-bpe": _LLAMA3,
    "llama3": _LLAMA3,
    "llama-v3": _LLAMA3,
    "smaug-bpe": _LLAMA3,
    "dbrx": _LLAMA3,
    "falcon3": _LLAMA3,
    "qwen2": _QWEN2,
    "deepseek-r1-qwen": _QWEN2,
    "qwen35": PreTokenizerSpec((QWEN35,)),  # no normalizer: decomposed marks stay decomposed
    "falcon": PreTokenizerSpec((r"[\p{P}\$\+<=>\^~\|`]+", GPT2, r"[0-9][0-9][0-9]")),
    "deepseek-coder": PreTokenizerSpec((r"[\r\n]", r"\s?\p{L}+", r"\s?\p{P}+", _CJK, r"\p{N}")),
}
