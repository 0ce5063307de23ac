"""``load_model``: a model name or path -> the model with everything the engine needs around it.

Accepts a short registry name (``"smollm2"``), a ``.gguf`` file (tokenizer and chat template from its metadata) or
a Hugging Face folder (``config.json`` + safetensors + ``tokenizer.json`` + ``tokenizer_config.json``). CPU runs
in float32 (faster than bf16 on CPUs without native bf16), and keeps a float16 copy of the projection matrices for
decode steps: a step of one or a few sequences reads every weight once, so half the bytes is nearly twice the speed
(``engine.model.Linear``), for 50% more weight memory. CUDA keeps the weights in bfloat16.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer

import constrained
from engine.chat_template import ChatTemplate
from engine.gguf_file import GGUFFile
from engine.gguf_tokenizer import GGUFTokenizer
from engine.model import Linear, RMSNorm, Transformer
from engine.model_config import ModelArgs
from engine.model_registry import resolve_model
from engine.weights import load_gguf, load_hf_folder


@dataclass(frozen=True)
class LoadedModel:
    """A model ready for the engine.

    Attributes:
        name: what the caller asked for (a short name or a path).
        path: the resolved file or folder.
        model: the decoder, in eval mode on ``device``.
        args: its hyper-parameters.
        tokenizer: encode/decode; control tokens parsed only in trusted text.
        vocab: the constraint vocabulary, sized to the model's embedding rows, with EOS and special ids.
        chat_template: the chat template, if the model has one.
        eos_token_ids: ids that end generation.
        special_texts: id -> spelling of every special token (for ``skip_special_tokens=False``).
        device: where the model runs.
    """

    name: str
    path: Path
    model: Transformer
    args: ModelArgs
    tokenizer: GGUFTokenizer
    vocab: constrained.Vocabulary
    chat_template: ChatTemplate | None
    eos_token_ids: tuple[int, ...]
    special_texts: dict[int, str]
    device: torch.device


def _log(message: str) -> None:
    print(f"[engine] {message}", file=sys.stderr, flush=True)


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_model(
    name_or_path: str,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    half_decode_weights: bool | None = None,
) -> LoadedModel:
    """Load a model with its tokenizer, constraint vocabulary and chat template.

    Args:
        name_or_path: a registry name (``"smollm2"``), a ``.gguf`` path or a Hugging Face folder.
        device: ``"cpu"``, ``"cuda"``...; default CUDA when available.
        dtype: activation and weight dtype; default float32 on CPU, bfloat16 on CUDA.
        half_decode_weights: keep float16 copies of the projection matrices for decode steps (see
            ``engine.model.Linear``); default on for float32 weights on CPU. Off: every product in float32.

    Raises:
        FileNotFoundError: unknown name, missing file.
        ValueError: unsupported architecture or tokenizer.
    """
    dev = torch.device(device) if device is not None else default_device()
    weight_dtype = dtype or (torch.float32 if dev.type == "cpu" else torch.bfloat16)
    if half_decode_weights is None:
        half_decode_weights = dev.type == "cpu" and weight_dtype == torch.float32
    start = time.perf_counter()
    path = resolve_model(name_or_path)
    _log(f"loading {path}")
    eos: set[int] = set()
    if path.is_dir():
        model, args = load_hf_folder(path)
        tokenizer, eos = _hf_tokenizer(path)
    else:
        gguf = GGUFFile(path)
        tokenizer = GGUFTokenizer.from_gguf(gguf)
        _log(f"tokenizer ready ({tokenizer.vocab_size} tokens), dequantizing weights")
        model, args = load_gguf(gguf)
        eot = gguf.get("tokenizer.ggml.eot_token_id")
        if eot is not None:
            eos.add(int(eot))
    if tokenizer.eos_id is not None:
        eos.add(tokenizer.eos_id)
    copies = " (+ float16 copies for decode)" if half_decode_weights else ""
    _log(f"weights loaded in {time.perf_counter() - start:.1f}s; moving to {dev} as {weight_dtype}{copies}")
    model = _place(model, dev, weight_dtype, half_decode_weights)
    eos_ids = tuple(sorted(e for e in eos if e < args.vocab_size))
    vocab = constrained.Vocabulary.from_tokenizer(tokenizer.tokenizer, eos_token_ids=eos_ids, size=args.vocab_size)
    special_texts = {i: tokenizer.id_to_token(i) or "" for i in sorted(vocab.special_token_ids)}
    template = None
    if tokenizer.chat_template:
        template = ChatTemplate(
            tokenizer.chat_template, tokenizer.token_string(tokenizer.bos_id), tokenizer.token_string(tokenizer.eos_id)
        )
    _log(f"ready in {time.perf_counter() - start:.1f}s ({args.n_layers} layers, vocab {args.vocab_size})")
    return LoadedModel(
        name=name_or_path,
        path=path,
        model=model,
        args=args,
        tokenizer=tokenizer,
        vocab=vocab,
        chat_template=template,
        eos_token_ids=eos_ids,
        special_texts=special_texts,
        device=dev,
    )


def _place(model: Transformer, device: torch.device, dtype: torch.dtype, half_copies: bool) -> Transformer:
    """Move to ``device`` with weights in ``dtype`` (norms stay float32), optionally with float16 matrix copies."""
    model = model.to(device=device, dtype=dtype).eval()
    for module in model.modules():
        if isinstance(module, RMSNorm):
            module.float()
        elif isinstance(module, Linear) and half_copies:
            module.keep_half_copy()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def _token_text(value: Any) -> str | None:
    """``tokenizer_config.json`` spells special tokens as a string or as ``{"content": ...}``."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


def _hf_tokenizer(folder: Path) -> tuple[GGUFTokenizer, set[int]]:
    """The tokenizer of a Hugging Face folder, in the same shape as a GGUF one, and its EOS ids."""
    tok_file = folder / "tokenizer.json"
    if not tok_file.is_file():
        raise FileNotFoundError(f"no tokenizer.json in {folder}")
    tok = Tokenizer.from_file(str(tok_file))
    config_file = folder / "tokenizer_config.json"
    config: dict[str, Any] = json.loads(config_file.read_text()) if config_file.is_file() else {}
    plain = Tokenizer.from_str(tok.to_str())
    plain.encode_special_tokens = True  # user text: control-token spellings are split like any other text

    def token_id(key: str) -> int | None:
        text = _token_text(config.get(key))
        return None if text is None else tok.token_to_id(text)

    template = config.get("chat_template")
    if isinstance(template, list):  # named templates: take the default one
        template = next((t.get("template") for t in template if t.get("name") == "default"), None)
    eos: set[int] = set()
    gen_file = folder / "generation_config.json"
    if gen_file.is_file():
        gen_eos = json.loads(gen_file.read_text()).get("eos_token_id")
        eos.update(gen_eos if isinstance(gen_eos, list) else [] if gen_eos is None else [gen_eos])
    special = frozenset(i for i, t in tok.get_added_tokens_decoder().items() if t.special)
    tokenizer = GGUFTokenizer(
        tokenizer=tok,
        plain=plain,
        bos_id=token_id("bos_token"),
        eos_id=token_id("eos_token"),
        pad_id=token_id("pad_token"),
        add_bos=bool(config.get("add_bos_token", False)),
        chat_template=template if isinstance(template, str) else None,
        special_ids=special,
    )
    return tokenizer, eos
