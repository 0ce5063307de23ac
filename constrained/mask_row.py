"""Writing one mask (int32 words) into a caller's row: a numpy array or a torch tensor, duck-typed."""

from __future__ import annotations

from typing import Any

import numpy as np


def write_mask_row(words: Any, src: np.ndarray) -> None:
    """Copy ``src`` into ``words[:len(src)]`` and zero the rest.

    ``words`` is a 1-D int32 numpy array or torch tensor (CPU or device; torch is never imported here).

    Raises:
        ValueError: ``words`` is shorter than ``src``.
        TypeError: ``words`` is neither a numpy array nor a torch tensor.
    """
    n = len(src)
    if len(words) < n:
        raise ValueError(f"mask row has {len(words)} words, needs {n}")
    if isinstance(words, np.ndarray):
        words[:n] = src
        words[n:] = 0
        return
    if hasattr(words, "copy_") and hasattr(words, "new_tensor"):
        # torch: write through a numpy view when the tensor lives in CPU memory, else one host->device copy.
        try:
            view = words.numpy()
        except (RuntimeError, TypeError):
            view = None
        if view is not None:
            view[:n] = src
            view[n:] = 0
            return
        words[:n].copy_(words.new_tensor(src))
        words[n:].fill_(0)
        return
    raise TypeError(f"fill_bitmask needs a numpy array or a torch tensor, got {type(words).__name__}")
