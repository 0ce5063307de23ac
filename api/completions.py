"""``/v1/completions`` (legacy text completions): prompts -> engine requests; outputs -> ``text_completion``.

Each prompt of the request is one engine request with ``n`` samples; choice ``index`` is ``prompt * n + sample``.
A prompt string is the client's whole prompt, so control-token spellings in it are parsed (as vLLM does); BOS is
added as the model's file says unless ``add_special_tokens`` is false. ``max_tokens`` 0 is allowed with ``echo``
only (it returns the prompt). ``echo`` with ``logprobs`` is refused: the engine does not score prompt tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from api.chat import SYSTEM_FINGERPRINT, finish_reason, new_engine_id, new_response_id
from api.constraints import compile_off_loop, request_constraint
from api.logprobs import TokenTexts, completion_logprobs
from api.params import sampling_params
from api.prompts import fit_context
from api.schemas import Completion, CompletionChoice, CompletionRequest, RequestError, Usage
from engine.sampling_params import SamplingParams


@dataclass
class CompletionJob:
    """A validated completion request, ready for the engine.

    Attributes:
        request: the decoded request.
        prompts: token ids of each prompt.
        prompt_texts: the text of each prompt (for ``echo``).
        params: sampling parameters per prompt (limits differ with prompt length); None when ``max_tokens`` is 0.
        model_name: the served model id.
        request_id: the response ``id``: ``cmpl-`` + the request's ``request_id`` (vLLM) or a random hex.
        created: Unix time of the request.
        engine_id: prompt ``i`` runs as engine request ``{engine_id}-{i}`` (unique even for a reused
            ``request_id``).
    """

    request: CompletionRequest
    prompts: list[list[int]]
    prompt_texts: list[str]
    params: list[SamplingParams | None]
    model_name: str
    request_id: str = ""
    created: int = field(default_factory=lambda: int(time.time()))
    engine_id: str = ""

    def __post_init__(self) -> None:
        self.request_id = self.request_id or new_response_id("cmpl", self.request.request_id)
        self.engine_id = self.engine_id or new_engine_id(self.request_id)

    @property
    def echo(self) -> bool:
        """Whether each choice's text starts with its prompt."""
        return bool(self.request.echo)


def _prompt_ids(request: CompletionRequest, tokenizer: Any) -> tuple[list[list[int]], list[str]]:
    prompts = request.prompts
    add_bos = None if request.add_special_tokens else False
    if prompts and isinstance(prompts[0], str):
        texts = [p for p in prompts if isinstance(p, str)]
        return [tokenizer.encode(t, allow_special=True, add_bos=add_bos) for t in texts], texts
    id_lists = [p for p in prompts if isinstance(p, list)]
    for i, ids in enumerate(id_lists):
        bad = next((t for t in ids if t >= tokenizer.vocab_size), None)
        if bad is not None:
            raise RequestError(f"'prompt' has token id {bad}, outside this model's vocabulary of "
                               f"{tokenizer.vocab_size} ids", "prompt" if len(id_lists) == 1 else f"prompt[{i}]")
    return id_lists, [tokenizer.decode(ids) for ids in id_lists]


async def prepare_completion(request: CompletionRequest, engine: Any, model_name: str) -> CompletionJob:
    """Tokenize the prompts, compile the constraint off the loop and map the sampling fields.

    Raises:
        RequestError: a prompt does not fit, ``max_tokens`` 0 without ``echo``, ``echo`` with ``logprobs``, a bad
            constraint or ``logit_bias``.
    """
    if request.echo and request.logprobs is not None:
        raise RequestError("'echo' with 'logprobs' needs prompt log-probabilities, which this server does not "
                           "compute; drop one of them", "echo")
    if request.max_tokens == 0 and not request.echo:
        raise RequestError("'max_tokens' 0 generates nothing; it is only allowed with 'echo': true", "max_tokens")
    model = engine.model
    ids, texts = _prompt_ids(request, model.tokenizer)
    constraint = await compile_off_loop(request_constraint(request), model.vocab)
    params: list[SamplingParams | None] = []
    for prompt in ids:
        limit = fit_context(len(prompt), request.max_tokens or None, engine.max_model_len, truncate=False)
        if request.max_tokens == 0:
            params.append(None)
            continue
        params.append(sampling_params(request, max_tokens=limit, logprobs=request.logprobs, constraint=constraint,
                                      vocab_size=model.vocab.size))
    return CompletionJob(request, ids, texts, params, model_name)


def completion_choices(job: CompletionJob, prompt_index: int, final: Any, texts: TokenTexts) -> list[CompletionChoice]:
    """The choices of one prompt from its final ``RequestOutput`` (None: ``max_tokens`` 0, echo only)."""
    n = job.request.num_choices
    prefix = job.prompt_texts[prompt_index] if job.echo else ""
    if final is None:
        return [CompletionChoice(text=prefix, index=prompt_index * n + i, logprobs=None, finish_reason="length")
                for i in range(n)]
    choices = []
    for out in final.outputs:
        logprobs = None
        if job.request.logprobs is not None:
            logprobs = completion_logprobs(out.logprobs or [], texts, len(prefix))
        choices.append(CompletionChoice(text=prefix + out.text, index=prompt_index * n + out.index,
                                        logprobs=logprobs, finish_reason=finish_reason(out.finish_reason)))
    return choices


def completion_response(job: CompletionJob, finals: list[Any], texts: TokenTexts) -> Completion:
    """The whole text completion for the final outputs of every prompt (in prompt order)."""
    choices = [c for i, final in enumerate(finals) for c in completion_choices(job, i, final, texts)]
    generated = sum(len(out.token_ids) for final in finals if final is not None for out in final.outputs)
    return Completion(id=job.request_id, created=job.created, model=job.model_name, choices=choices,
                      usage=Usage.of(sum(len(p) for p in job.prompts), generated),
                      system_fingerprint=SYSTEM_FINGERPRINT)
