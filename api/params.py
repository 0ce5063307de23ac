"""Request fields -> the engine's ``SamplingParams``.

The schemas already range-checked every field; what is left here depends on the model: ``logit_bias`` ids must
exist in its vocabulary, and the new-token limit comes from the context fit (:mod:`api.prompts`).
"""

from __future__ import annotations

from typing import Any

from api.schemas import ChatCompletionRequest, CompletionRequest, RequestError, SamplingFields
from engine.sampling_params import SamplingParams

DEFAULT_TEMPERATURE = 1.0  # OpenAI's default


def _logit_bias(request: SamplingFields, vocab_size: int) -> dict[int, float] | None:
    if not request.logit_bias:
        return None
    bias = {int(key): value for key, value in request.logit_bias.items()}
    for token in bias:
        if token >= vocab_size:
            raise RequestError(f"'logit_bias' names token {token}, but this model's vocabulary has {vocab_size} ids",
                               "logit_bias")
    return bias


def sampling_params(request: SamplingFields, *, max_tokens: int, logprobs: int | None, constraint: Any,
                    vocab_size: int) -> SamplingParams:
    """Map the shared sampling fields onto ``SamplingParams``.

    Args:
        request: the validated chat or completion request.
        max_tokens: the new-token limit after fitting the context.
        logprobs: number of alternatives per token, or None for no logprobs.
        constraint: the compiled output constraint, or None.
        vocab_size: the model's vocabulary size (to check ``logit_bias`` ids).

    Raises:
        RequestError: a ``logit_bias`` id outside the vocabulary.
    """
    return SamplingParams(
        n=request.num_choices,
        temperature=DEFAULT_TEMPERATURE if request.temperature is None else request.temperature,
        top_p=1.0 if request.top_p is None else request.top_p,
        top_k=request.top_k_limit or 0,
        min_p=request.min_p or 0.0,
        presence_penalty=request.presence_penalty or 0.0,
        frequency_penalty=request.frequency_penalty or 0.0,
        repetition_penalty=1.0 if request.repetition_penalty is None else request.repetition_penalty,
        logit_bias=_logit_bias(request, vocab_size),
        seed=request.seed,
        max_tokens=max_tokens,
        min_tokens=min(request.min_tokens, max_tokens),
        stop=request.stop_list,
        include_stop_str_in_output=request.include_stop_str_in_output,
        ignore_eos=request.ignore_eos,
        logprobs=logprobs,
        constraint=constraint,
    ).validate()


def chat_logprobs(request: ChatCompletionRequest) -> int | None:
    """Alternatives per token for chat (``logprobs`` true -> ``top_logprobs`` or 0)."""
    return (request.top_logprobs or 0) if request.logprobs else None


def completion_logprobs(request: CompletionRequest) -> int | None:
    """Alternatives per token for text completions (the legacy integer ``logprobs``)."""
    return request.logprobs
