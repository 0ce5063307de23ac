"""One LLaMA-family decoder (Llama 2/3, Mistral, SmolLM2, Qwen2/2.5, Qwen3) in torch, gpt-fast style.

RMSNorm, rotary embeddings in the Hugging Face "rotate half" convention, grouped-query attention, SwiGLU,
optional tied embeddings, optional q/k/v biases (Qwen2) and per-head q/k RMSNorm (Qwen3).

``Transformer.forward(tokens[B, T], positions[B, T], cache) -> logits``: positions are explicit so that a
caller can prefill, decode, or run rows of different lengths; with a ``KVCache`` the new keys/values are
written at their positions and each query attends to cache slots ``0..position`` of its own row. ``KVCache``
is one contiguous slab per sequence row (the reference greedy loop); the engine passes a ``kv_cache.PagedStep``
instead, a packed batch over the paged cache that does its own writes and per-sequence attention.

Weights keep the layout of ``nn.Linear`` (``[out, in]``); q/k/v are fused into one ``wqkv`` and gate/up into
one ``w13`` so a decode step runs two matmuls fewer per layer (a measurable share of a 135M model's step on CPU).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.kv_cache import PagedStep
from engine.model_config import ModelArgs, RopeScaling

# Up to this many query positions per row, attention is done with two small matmuls instead of SDPA.
_SMALL_T = 8


class KVCache:
    """Contiguous key/value slabs for ``batch`` sequence rows, allocated once.

    Attributes:
        k: ``[n_layers, batch, n_kv_heads, max_len, head_dim]``.
        v: same shape as ``k``.
    """

    def __init__(
        self,
        args: ModelArgs,
        batch: int,
        max_len: int,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
    ) -> None:
        shape = (args.n_layers, batch, args.n_kv_heads, max_len, args.head_dim)
        self.k = torch.zeros(shape, dtype=dtype, device=device)
        self.v = torch.zeros(shape, dtype=dtype, device=device)
        self.max_len = max_len

    def write(
        self, layer: int, rows: Tensor, positions: Tensor, k: Tensor, v: Tensor, slot: int | None = None
    ) -> tuple[Tensor, Tensor]:
        """Store ``k``/``v`` ``[B, T, n_kv, hd]`` at ``positions`` ``[B, T]``; return this layer's slabs.

        ``slot``: when B == T == 1, the position as an int (saves the scatter).

        Returns:
            ``(k, v)`` views ``[B, n_kv, max_len, hd]`` of the layer (callers slice the used length).
        """
        k_layer, v_layer = self.k[layer], self.v[layer]
        if slot is not None:  # decode: a plain strided copy (index_put costs several times more)
            k_layer[:, :, slot : slot + 1].copy_(k.transpose(1, 2))
            v_layer[:, :, slot : slot + 1].copy_(v.transpose(1, 2))
            return k_layer, v_layer
        # Index through a [B, max_len, n_kv, hd] view so one index_put writes every (row, position) pair.
        k_layer.transpose(1, 2)[rows, positions] = k
        v_layer.transpose(1, 2)[rows, positions] = v
        return k_layer, v_layer


class Linear(nn.Linear):
    """``nn.Linear`` that may keep a float16 copy of its weight for the rows of generated tokens (CPU decode).

    A decode step multiplies a few rows by every weight once: it is memory-bound, and reading half the bytes nearly
    halves its time (SmolLM2's 30 layers, 2 AVX2 threads: one row 9.5 ms from float16 against 41 ms from
    float32). Prompt rows are compute-bound, and CPUs without native half arithmetic are faster in float32 there
    (46 rows: 360 ms against 129 ms), so they keep the float32 weight. The split is by row kind, never by batch
    size, so a sequence's numbers do not depend on what else is batched with it.

    The weight itself may also be stored in a lower precision than the activations (bfloat16 on CUDA): the input
    is then cast down and the output back up.

    Attributes:
        half_weight: the float16 copy, or None (``keep_half_copy``).
        exact: never use the copy (``Transformer.full_precision`` sets it).
    """

    half_weight: Tensor | None = None
    exact = False

    def keep_half_copy(self) -> None:
        """Keep a float16 copy of the weight for decode rows."""
        self.half_weight = self.weight.detach().to(torch.float16)

    def forward(self, x: Tensor, half_rows: int = 0) -> Tensor:
        """``[B, T, in]`` -> ``[B, T, out]`` in ``x``'s dtype.

        The first ``half_rows`` of the ``B * T`` rows are rows of generated tokens: they use the float16 copy.
        """
        if self.half_weight is None or self.exact or half_rows <= 0:
            return _linear(x, self.weight, self.bias)
        B, T, _ = x.shape
        if half_rows >= B * T:
            return _linear(x, self.half_weight, self.bias)
        flat = x.reshape(B * T, -1)
        head = _linear(flat[:half_rows], self.half_weight, self.bias)
        tail = _linear(flat[half_rows:], self.weight, self.bias)
        return torch.cat((head, tail)).view(B, T, -1)


def _linear(x: Tensor, w: Tensor, bias: Tensor | None) -> Tensor:
    """``x @ w.T + bias`` in ``x``'s dtype, computed in ``w``'s."""
    if w.dtype == x.dtype:
        return F.linear(x, w, bias)
    bias = None if bias is None else bias.to(w.dtype)
    return F.linear(x.to(w.dtype), w, bias).to(x.dtype)


class _Step(NamedTuple):
    """Per-forward values every attention layer needs (rows/positions ``[B, T]``)."""

    rows: Tensor
    positions: Tensor
    cache: KVCache | PagedStep | None
    kv_len: int
    slot: int | None  # B == T == 1: the one position, as an int
    half_rows: int  # the first rows (of B * T) are decode rows (``Linear``)


class RMSNorm(nn.Module):
    """Root-mean-square layer norm (no bias, no mean subtraction), computed in float32."""

    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        """Normalize over the last dimension."""
        if x.dtype == torch.float32:  # one fused kernel instead of six ops (decode is op-overhead-bound too)
            return F.rms_norm(x, (x.shape[-1],), self.weight, self.eps)
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * xf.to(x.dtype)


def rope_inv_freq(args: ModelArgs) -> Tensor:
    """Inverse frequencies ``[head_dim // 2]`` of RoPE, with linear or llama3 scaling applied."""
    hd = args.head_dim
    # Always on CPU: the model may be built under ``torch.device('meta')`` before its weights are assigned.
    inv = 1.0 / (args.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.float64, device="cpu") / hd))
    s = args.rope_scaling
    if s is None:
        return inv.float()
    if s.rope_type == "linear":
        return (inv / s.factor).float()
    return _llama3_scale(inv, s).float()


def _llama3_scale(inv: Tensor, s: RopeScaling) -> Tensor:
    # Same piecewise rule as transformers' _compute_llama3_parameters: long wavelengths divided by the factor,
    # short ones kept, a smooth blend between.
    low_wl = s.original_max_position_embeddings / s.low_freq_factor
    high_wl = s.original_max_position_embeddings / s.high_freq_factor
    wavelen = 2 * math.pi / inv
    scaled = torch.where(wavelen > low_wl, inv / s.factor, inv)
    smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) / (
        s.high_freq_factor - s.low_freq_factor
    )
    blended = (1 - smooth) * scaled / s.factor + smooth * scaled
    medium = (wavelen >= high_wl) & (wavelen <= low_wl)
    return torch.where(medium, blended, scaled)


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate ``x`` ``[B, T, H, hd]`` in HF's rotate-half convention (dims i and i + hd/2 form a pair).

    ``sin`` must be the signed table ``[-sin, +sin]`` over the two halves (``Transformer._rope_tables``), so that
    ``x * cos + rotate_half(x) * sin`` becomes ``x * cos + roll(x, hd/2) * signed_sin``: four ops instead of seven.
    """
    return x * cos + torch.roll(x, x.shape[-1] // 2, dims=-1) * sin


class Attention(nn.Module):
    """Grouped-query self-attention with fused q/k/v projection."""

    def __init__(self, args: ModelArgs) -> None:
        super().__init__()
        self.n_heads, self.n_kv, self.hd = args.n_heads, args.n_kv_heads, args.head_dim
        q_out, kv_out = args.n_heads * args.head_dim, args.n_kv_heads * args.head_dim
        self.wqkv = Linear(args.dim, q_out + 2 * kv_out, bias=args.qkv_bias)
        self.wo = Linear(q_out, args.dim, bias=False)
        self.q_norm = RMSNorm(args.head_dim, args.norm_eps) if args.qk_norm else None
        self.k_norm = RMSNorm(args.head_dim, args.norm_eps) if args.qk_norm else None

    def forward(
        self,
        x: Tensor,
        cos: Tensor,
        sin: Tensor,
        mask: Tensor | None,
        layer: int,
        rows: Tensor,
        positions: Tensor,
        cache: KVCache | PagedStep | None,
        kv_len: int,
        slot: int | None,
        half_rows: int = 0,
    ) -> Tensor:
        """``x`` ``[B, T, dim]`` -> ``[B, T, dim]``; ``mask`` ``[B, 1, T, S]`` (True = attend) or None."""
        B, T, _ = x.shape
        H, n_kv = self.n_heads, self.n_kv
        q_out = H * self.hd
        qkv = self.wqkv(x, half_rows).view(B, T, H + 2 * n_kv, self.hd)  # heads: H query | n_kv key | n_kv value
        v = qkv[:, :, H + n_kv :]
        if self.q_norm is not None and self.k_norm is not None:
            q = apply_rope(self.q_norm(qkv[:, :, :H]), cos, sin)
            k = apply_rope(self.k_norm(qkv[:, :, H : H + n_kv]), cos, sin)
        else:  # q and k rotate together: one set of elementwise ops for both
            qk = apply_rope(qkv[:, :, : H + n_kv], cos, sin)
            q, k = qk[:, :, :H], qk[:, :, H:]
        if isinstance(cache, PagedStep):  # packed batch over the paged cache: it writes k/v and attends per group
            return self.wo(cache.attend(layer, q, k, v, self._grouped_attention).reshape(B, T, q_out), half_rows)
        if cache is not None:
            k_all, v_all = cache.write(layer, rows, positions, k, v, slot)
            keys, values = k_all[:, :, :kv_len], v_all[:, :, :kv_len]  # [B, n_kv, S, hd]
        else:
            keys, values = k.transpose(1, 2), v.transpose(1, 2)  # S = T
        if T <= _SMALL_T:
            out = self._grouped_attention(q, keys, values, mask)
        else:
            out = F.scaled_dot_product_attention(
                q.transpose(1, 2), keys, values, attn_mask=mask, enable_gqa=self.n_kv != self.n_heads
            ).transpose(1, 2)  # [B, T, H, hd]
        return self.wo(out.reshape(B, T, q_out), half_rows)

    def _grouped_attention(self, q: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None) -> Tensor:
        """Attention for few queries: q ``[B, T, H, hd]``, keys/values ``[B, n_kv, S, hd]`` -> ``[B, T, H, hd]``.

        The g = H / n_kv query heads sharing a kv head are stacked as rows of one matmul, so nothing repeats
        the keys. (torch's CPU SDPA costs ~1 ms per call at T = 1, a third of a SmolLM2 decode step.)
        """
        B, T, H, hd = q.shape
        g = H // self.n_kv
        # head h uses kv head h // g (transformers' repeat_kv order): [B, n_kv, g * T, hd]
        if T == 1:  # no copy: [B, 1, H, hd] is already [B, n_kv, g, hd] in memory order
            qg = q.reshape(B, self.n_kv, g, hd)
        else:
            qg = q.view(B, T, self.n_kv, g, hd).permute(0, 2, 3, 1, 4).reshape(B, self.n_kv, g * T, hd)
        scores = torch.matmul(qg, keys.transpose(-1, -2)) * (hd**-0.5)  # [B, n_kv, g * T, S]
        if mask is not None:
            S = scores.shape[-1]
            scores = scores.view(B, self.n_kv, g, T, S).masked_fill(~mask.unsqueeze(1), float("-inf"))
            scores = scores.view(B, self.n_kv, g * T, S)
        out = torch.matmul(scores.softmax(dim=-1), values)  # [B, n_kv, g * T, hd]
        if T == 1:
            return out.reshape(B, 1, H, hd)
        return out.view(B, self.n_kv, g, T, hd).permute(0, 3, 1, 2, 4).reshape(B, T, H, hd)


class FeedForward(nn.Module):
    """SwiGLU MLP with gate and up projections fused into ``w13`` (``[2 * hidden, dim]``, gate rows first)."""

    def __init__(self, args: ModelArgs) -> None:
        super().__init__()
        self.hidden = args.hidden_dim
        self.w13 = Linear(args.dim, 2 * args.hidden_dim, bias=False)
        self.w2 = Linear(args.hidden_dim, args.dim, bias=False)

    def forward(self, x: Tensor, half_rows: int = 0) -> Tensor:
        """``[B, T, dim]`` -> ``[B, T, dim]``; ``half_rows``: see ``Linear.forward``."""
        gate, up = self.w13(x, half_rows).split(self.hidden, dim=-1)
        return self.w2(F.silu(gate) * up, half_rows)


class Block(nn.Module):
    """Pre-norm decoder block: ``x + attn(norm(x))`` then ``x + mlp(norm(x))``."""

    def __init__(self, args: ModelArgs) -> None:
        super().__init__()
        self.attention = Attention(args)
        self.feed_forward = FeedForward(args)
        self.attention_norm = RMSNorm(args.dim, args.norm_eps)
        self.ffn_norm = RMSNorm(args.dim, args.norm_eps)

    def forward(self, h: Tensor, layer: int, rope: tuple[Tensor, Tensor], mask: Tensor | None, step: _Step) -> Tensor:
        """``[B, T, dim]`` -> ``[B, T, dim]``; ``step`` carries the positions, cache and rows of this forward."""
        h = h + self.attention(self.attention_norm(h), rope[0], rope[1], mask, layer, *step)
        return h + self.feed_forward(self.ffn_norm(h), step.half_rows)


class Transformer(nn.Module):
    """The decoder: embeddings, ``n_layers`` blocks, final norm, output projection.

    Args:
        args: hyper-parameters (see ``ModelArgs``).
    """

    def __init__(self, args: ModelArgs) -> None:
        super().__init__()
        self.args = args
        self.tok_embeddings = nn.Embedding(args.vocab_size, args.dim)
        self.layers = nn.ModuleList(Block(args) for _ in range(args.n_layers))
        self.norm = RMSNorm(args.dim, args.norm_eps)
        self.output = Linear(args.dim, args.vocab_size, bias=False)
        if args.tie_embeddings:
            self.output.weight = self.tok_embeddings.weight
        self.inv_freq: Tensor = rope_inv_freq(args)  # [hd/2]; plain attribute so meta-device init stays real
        self._rope_cache: tuple[Tensor, Tensor] | None = None

    @contextlib.contextmanager
    def full_precision(self) -> Iterator[None]:
        """Within this block every matmul runs in the activations' dtype, whatever its weight is stored in.

        For the rare forward whose float16 products overflowed (the caller sees non-finite logits and runs it
        again in here).
        """
        linears = [m for m in self.modules() if isinstance(m, Linear)]
        for m in linears:
            m.exact = True
        try:
            yield
        finally:
            for m in linears:
                m.exact = False

    def set_rope_freq_factors(self, factors: Tensor) -> None:
        """Divide the inverse frequencies by per-frequency ``factors`` (llama.cpp's ``rope_freqs`` tensor)."""
        self.inv_freq = rope_inv_freq(self.args) / factors.float().reshape(-1)
        self._rope_cache = None

    def _rope_tables(self, n: int, device: torch.device) -> tuple[Tensor, Tensor]:
        # cos/sin [n, hd] computed once for the model's context (grown on demand), then gathered per position.
        if self._rope_cache is None or self._rope_cache[0].shape[0] < n or self._rope_cache[0].device != device:
            size = max(n, min(self.args.max_seq_len, 8192))
            t = torch.arange(size, dtype=torch.float64, device=device)
            freqs = torch.outer(t, self.inv_freq.to(device=device, dtype=torch.float64))
            emb = torch.cat((freqs, freqs), dim=-1)
            half = freqs.shape[-1]
            signed_sin = torch.cat((-emb[:, :half].sin(), emb[:, half:].sin()), dim=-1)  # see apply_rope
            self._rope_cache = (emb.cos().float(), signed_sin.float())
        return self._rope_cache

    def forward(
        self,
        tokens: Tensor,
        positions: Tensor,
        cache: KVCache | PagedStep | None = None,
        last_only: bool = False,
    ) -> Tensor:
        """Run the decoder.

        Args:
            tokens: token ids ``[B, T]`` (int64).
            positions: the absolute position of each token ``[B, T]``; with a cache, row ``b`` attends to cache
                slots ``0..positions[b, t]``, so each row's earlier tokens must already be in its slots.
            cache: a ``KVCache`` with ``batch == B`` to read and update, a ``PagedStep`` (``B == 1``, a packed
                batch over the paged cache; logits only at its ``logits_indices``), or None to attend within
                ``tokens`` only (causal by position).
            last_only: return logits of the last position only (prefill needs no more).

        Returns:
            float32 logits ``[B, T, vocab]`` (``[B, 1, vocab]`` with ``last_only``).
        """
        B, T = tokens.shape
        kv_len = int(positions.max()) + 1
        cos_t, sin_t = self._rope_tables(kv_len, tokens.device)
        cos, sin = cos_t[positions].unsqueeze(2), sin_t[positions].unsqueeze(2)  # [B, T, 1, hd]
        rows = torch.arange(B, device=tokens.device).unsqueeze(1).expand(B, T)
        mask: Tensor | None
        if isinstance(cache, PagedStep):
            mask = None  # the step carries its own per-group masks
        elif cache is not None:
            if kv_len > cache.max_len:
                raise ValueError(f"position {kv_len - 1} is past the cache length {cache.max_len}")
            if B == 1 and T == 1:
                mask = None  # one query at the newest position sees every slot 0..kv_len-1
            else:
                slots = torch.arange(kv_len, device=tokens.device)
                mask = (slots.view(1, 1, -1) <= positions.unsqueeze(-1)).unsqueeze(1)  # [B, 1, T, S]
        else:
            mask = (positions.unsqueeze(1) <= positions.unsqueeze(2)).unsqueeze(1)  # [B, 1, T, T]

        h = self.tok_embeddings(tokens).float()  # [B, T, dim]; the table may be float16 (see Linear)
        single = B == 1 and T == 1 and not isinstance(cache, PagedStep)
        # Rows of generated tokens (one new token of a sequence with a cache) may use float16 weight copies; prompt
        # rows never.
        if isinstance(cache, PagedStep):
            half_rows, half_logits = cache.num_generated, cache.num_generated_logits
        else:
            half_rows = half_logits = B if cache is not None and T == 1 else 0
        step = _Step(rows, positions, cache, kv_len, kv_len - 1 if single else None, half_rows)
        for i, layer in enumerate(self.layers):
            h = layer(h, i, (cos, sin), mask, step)
        if isinstance(cache, PagedStep):
            h = h[:, cache.logits_indices]
        elif last_only:
            h = h[:, -1:]
        return self.output(self.norm(h), half_logits).float()
