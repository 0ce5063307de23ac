"""Build a ``tokenizers.Tokenizer`` from the vocabulary a GGUF file carries in its metadata.

Supported ``tokenizer.ggml.model`` values:
- ``gpt2``: byte-level BPE (tokens already spelled in the GPT-2 byte alphabet, merges listed). The
  pre-tokenizer comes from ``tokenizer.ggml.pre`` (see ``engine.gguf_pretokenizers``): SmolLM2 (``smollm``)
  splits every digit apart, Llama-3 (``llama-bpe``) takes whole words when they are in the vocabulary
  (``ignore_merges``), Qwen2 applies NFC first.
- ``llama``: SentencePiece BPE with per-token scores and ``<0xNN>`` byte fallback; merges are rebuilt from
  the scores when the file has none.

An unknown ``pre`` is refused rather than guessed: a wrong split regex gives plausible but different ids.
Control tokens (``token_type`` 3) become special added tokens; user-defined ones (4) plain added tokens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

from engine.chat_template import Segment
from engine.gguf_file import GGUFFile
from engine.gguf_pretokenizers import PRE_TOKENIZERS

# llama.cpp token types (llama-vocab.h: LLAMA_TOKEN_TYPE_*)
CONTROL, USER_DEFINED, BYTE = 3, 4, 6


class UnsupportedTokenizer(ValueError):
    """The GGUF describes a tokenizer this module cannot rebuild exactly."""


@dataclass(frozen=True)
class GGUFTokenizer:
    """A GGUF model's tokenizer with its special ids and chat template.

    Attributes:
        tokenizer: parses control-token text (``<|im_start|>``) into single ids; use it for template text only.
        plain: the same vocabulary, but control-token text is encoded as ordinary characters (for user text).
        bos_id: beginning-of-sequence id, if any.
        eos_id: end-of-sequence id, if any.
        pad_id: padding id, if any.
        add_bos: whether the model expects BOS before a prompt.
        chat_template: the Jinja chat template from ``tokenizer.chat_template``, if any.
        special_ids: ids of control tokens.
    """

    tokenizer: Tokenizer
    plain: Tokenizer
    bos_id: int | None
    eos_id: int | None
    pad_id: int | None
    add_bos: bool
    chat_template: str | None
    special_ids: frozenset[int]

    @property
    def vocab_size(self) -> int:
        """Number of ids, added tokens included."""
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    def id_to_token(self, token_id: int) -> str | None:
        """The token's spelling in the model vocabulary (byte-level alphabet / ``▁`` for SentencePiece)."""
        return self.tokenizer.id_to_token(token_id)

    def token_string(self, token_id: int | None) -> str | None:
        """The spelling of a special id such as ``bos_id`` (None passes through)."""
        return None if token_id is None else self.tokenizer.id_to_token(token_id)

    def encode(self, text: str, *, allow_special: bool = False, add_bos: bool | None = None) -> list[int]:
        """Token ids of ``text``.

        Args:
            text: the text to encode.
            allow_special: parse control-token spellings (``<|im_end|>``) into their ids. Only for text the
                application wrote (a rendered chat template); user text must use the default so that it can
                never smuggle a control token into a prompt.
            add_bos: prepend BOS; defaults to the file's ``tokenizer.ggml.add_bos_token``.
        """
        tok = self.tokenizer if allow_special else self.plain
        ids = tok.encode(text, add_special_tokens=False).ids
        if (self.add_bos if add_bos is None else add_bos) and self.bos_id is not None:
            ids = [self.bos_id, *ids]
        return ids

    def encode_segments(self, segments: Iterable[Segment], *, add_bos: bool | None = None) -> list[int]:
        """Encode a rendered chat prompt: control tokens parsed only in template-written (trusted) segments.

        Args:
            segments: from ``ChatTemplate.render_segments``.
            add_bos: as for ``encode``; a template that writes BOS itself wants False.
        """
        ids: list[int] = []
        for seg in segments:
            ids.extend(self.encode(seg.text, allow_special=seg.trusted, add_bos=False))
        if (self.add_bos if add_bos is None else add_bos) and self.bos_id is not None:
            ids = [self.bos_id, *ids]
        return ids

    def control_tokens(self) -> list[str]:
        """Spellings of the control tokens (for ``ChatTemplate.render_segments``)."""
        return [t for i in sorted(self.special_ids) if (t := self.tokenizer.id_to_token(i))]

    def decode(self, ids: Sequence[int], *, skip_special: bool = False) -> str:
        """Text of ``ids`` (partial UTF-8 at the end becomes U+FFFD; stream with care)."""
        return self.tokenizer.decode(list(ids), skip_special_tokens=skip_special)

    @classmethod
    def from_gguf(cls, gguf: GGUFFile) -> GGUFTokenizer:
        """Rebuild the tokenizer described by ``gguf``'s ``tokenizer.*`` metadata.

        Raises:
            UnsupportedTokenizer: unknown ``tokenizer.ggml.model`` or ``tokenizer.ggml.pre``.
        """
        kind = gguf.get_str("tokenizer.ggml.model")
        tokens = gguf.get_list("tokenizer.ggml.tokens")
        types = gguf.get_list("tokenizer.ggml.token_type", [1] * len(tokens))
        if kind == "gpt2":
            tok = _byte_level_bpe(
                tokens, gguf.get_list("tokenizer.ggml.merges"), gguf.get_str("tokenizer.ggml.pre", "default")
            )
            add_bos_default = False
        elif kind == "llama":
            merges = gguf.get("tokenizer.ggml.merges")
            scores = gguf.get_list("tokenizer.ggml.scores", [0.0] * len(tokens))
            tok = _sentencepiece_bpe(
                tokens, scores, types, merges, gguf.get_bool("tokenizer.ggml.add_space_prefix", True)
            )
            add_bos_default = True
        else:
            raise UnsupportedTokenizer(f"tokenizer.ggml.model {kind!r} not supported (supported: gpt2, llama)")
        special = [i for i, t in enumerate(types) if t == CONTROL]
        tok.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False) for i in special])
        user = [
            AddedToken(tokens[i], special=False, normalized=False) for i, t in enumerate(types) if t == USER_DEFINED
        ]
        if user:
            tok.add_tokens(user)
        plain = Tokenizer.from_str(tok.to_str())
        plain.encode_special_tokens = True  # control-token text is split like any other text

        def opt_id(key: str) -> int | None:
            value = gguf.get(key)
            return None if value is None else int(value)

        return cls(
            tokenizer=tok,
            plain=plain,
            bos_id=opt_id("tokenizer.ggml.bos_token_id"),
            eos_id=opt_id("tokenizer.ggml.eos_token_id"),
            pad_id=opt_id("tokenizer.ggml.padding_token_id"),
            add_bos=gguf.get_bool("tokenizer.ggml.add_bos_token", add_bos_default),
            chat_template=gguf.get("tokenizer.chat_template"),
            special_ids=frozenset(special),
        )


# --- builders -----------------------------------------------------------------------------------------


def _byte_level_bpe(tokens: list[str], merges: list[str], pre: str) -> Tokenizer:
    spec = PRE_TOKENIZERS.get(pre)
    if spec is None:
        raise UnsupportedTokenizer(f"tokenizer.ggml.pre {pre!r} not supported (supported: {sorted(PRE_TOKENIZERS)})")
    vocab = {t: i for i, t in enumerate(tokens)}
    pairs = [_pair(m) for m in merges]
    tok = Tokenizer(models.BPE(vocab, pairs, ignore_merges=spec.ignore_merges))
    splits: list[pre_tokenizers.PreTokenizer] = [
        pre_tokenizers.Split(Regex(pattern), behavior="isolated") for pattern in spec.splits
    ]
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [*splits, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
    )
    if spec.nfc:
        tok.normalizer = normalizers.NFC()
    tok.decoder = decoders.ByteLevel()
    return tok


def _sentencepiece_bpe(
    tokens: list[str], scores: list[float], types: list[int], merges: list[str] | None, add_space_prefix: bool
) -> Tokenizer:
    vocab = {t: i for i, t in enumerate(tokens)}
    pairs: list[tuple[str, str]]
    if merges is not None:
        pairs = [_pair(m) for m in merges]
    else:
        pairs = _merges_from_scores(tokens, scores, types)
    unk = next((t for t in tokens if t == "<unk>"), None)
    tok = Tokenizer(models.BPE(vocab, pairs, unk_token=unk, byte_fallback=True, fuse_unk=True))
    steps: list[normalizers.Normalizer] = [normalizers.Replace(" ", "\u2581")]
    if add_space_prefix:
        steps.insert(0, normalizers.Prepend("\u2581"))
    tok.normalizer = normalizers.Sequence(steps)
    dec: list[decoders.Decoder] = [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()]
    if add_space_prefix:
        dec.append(decoders.Strip(" ", 1, 0))
    tok.decoder = decoders.Sequence(dec)
    return tok


def _pair(merge: str) -> tuple[str, str]:
    left, right = merge.split(" ", 1)
    return left, right


def _merges_from_scores(tokens: list[str], scores: list[float], types: list[int]) -> list[tuple[str, str]]:
    """SentencePiece merges implied by the vocabulary: every split of a token into two tokens, best score first.

    Same order as transformers' ``generate_merges`` (score desc, then piece lengths); byte and control tokens
    are never merge parts.
    """
    vocab = {t: i for i, t in enumerate(tokens) if types[i] not in (CONTROL, BYTE)}
    found: list[tuple[float, int, int, str, str]] = []
    for token, score in zip(tokens, scores, strict=True):
        if token not in vocab:
            continue
        local = [(token[:k], token[k:]) for k in range(1, len(token)) if token[:k] in vocab and token[k:] in vocab]
        local.sort(key=lambda p: (vocab[p[0]], vocab[p[1]]))
        found.extend((score, len(a), len(b), a, b) for a, b in local)
    found.sort(key=lambda m: (m[0], m[1], m[2]), reverse=True)
    return [(a, b) for _, _, _, a, b in found]
