"""``LLM``: the offline API. Load a model once, then ``generate`` from prompts or ``chat`` from messages.

Example::

    from engine.llm import LLM
    from engine.sampling_params import SamplingParams

    llm = LLM(model="smollm2")
    out = llm.chat([{"role": "user", "content": "Name a colour."}], SamplingParams(temperature=0, max_tokens=8))
    print(out[0].outputs[0].text)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, cast

import torch

from engine.config import EngineConfig
from engine.llm_engine import LLMEngine
from engine.loader import LoadedModel, load_model
from engine.outputs import RequestOutput
from engine.sampling_params import SamplingParams

Message = Mapping[str, Any]
PromptInput = str | Sequence[int]


def _as_prompt_list(prompts: PromptInput | Sequence[PromptInput]) -> list[PromptInput]:
    """One prompt (a string or a token-id list) becomes a list of one; a list of prompts stays as it is."""
    if isinstance(prompts, str):
        return [prompts]
    if prompts and all(isinstance(t, int) for t in prompts):
        return [cast(Sequence[int], prompts)]
    return list(cast(Sequence[PromptInput], prompts))


def chat_prompt_ids(
    loaded: LoadedModel,
    messages: Sequence[Message],
    *,
    add_generation_prompt: bool = True,
    continue_final_message: bool = False,
    tools: list[Mapping[str, Any]] | None = None,
    documents: list[Mapping[str, Any]] | None = None,
    chat_template_kwargs: Mapping[str, Any] | None = None,
) -> list[int]:
    """Render ``messages`` with the model's chat template and tokenize; message text never becomes control tokens.

    Raises:
        ValueError: the model has no chat template, or the template refused the messages (``TemplateError``).
    """
    template = loaded.chat_template
    if template is None:
        raise ValueError(f"model {loaded.name!r} has no chat template; use generate() with a prompt")
    tok = loaded.tokenizer
    segments = template.render_segments(
        messages,
        control_tokens=tok.control_tokens(),
        add_generation_prompt=add_generation_prompt,
        continue_final_message=continue_final_message,
        tools=tools,
        documents=documents,
        **dict(chat_template_kwargs or {}),
    )
    bos = tok.token_string(tok.bos_id)
    writes_bos = bool(bos) and bool(segments) and segments[0].trusted and segments[0].text.startswith(bos or "")
    return tok.encode_segments(segments, add_bos=False if writes_bos else None)


class LLM:
    """A model plus an engine, for scripts and notebooks.

    Args:
        model: a registry name (``"smollm2"``), a path, or an already loaded model.
        device: ``"cpu"``/``"cuda"``; default CUDA when available.
        dtype: weight dtype; default float32 on CPU, bfloat16 on CUDA.
        **engine_args: ``EngineConfig`` fields (``max_model_len``, ``num_blocks``, ``max_num_seqs`` ...).
    """

    def __init__(
        self,
        model: str | LoadedModel,
        device: str | torch.device | None = None,
        dtype: torch.dtype | None = None,
        **engine_args: Any,
    ) -> None:
        self.model = model if isinstance(model, LoadedModel) else load_model(model, device=device, dtype=dtype)
        self.engine = LLMEngine(self.model, EngineConfig(**engine_args))
        self._ids = itertools.count()

    @property
    def tokenizer(self) -> Any:
        """The model's tokenizer."""
        return self.model.tokenizer

    def generate(
        self,
        prompts: PromptInput | Sequence[PromptInput],
        params: SamplingParams | Sequence[SamplingParams] | None = None,
    ) -> list[RequestOutput]:
        """Complete each prompt.

        Args:
            prompts: a string, a list of strings, a list of token ids, or a list of token-id lists. Strings are
                tokenized as plain text (control-token spellings are not parsed).
            params: one setting for all prompts or one per prompt (default ``SamplingParams()``).

        Returns:
            one finished ``RequestOutput`` per prompt, in order.

        Raises:
            ValueError: bad settings or prompt (nothing is run then).
        """
        ids = [
            self.model.tokenizer.encode(p) if isinstance(p, str) else [int(t) for t in p]
            for p in _as_prompt_list(prompts)
        ]
        return self._run(ids, params)

    def chat(
        self,
        messages: Sequence[Message] | Sequence[Sequence[Message]],
        params: SamplingParams | Sequence[SamplingParams] | None = None,
        add_generation_prompt: bool = True,
        continue_final_message: bool = False,
        tools: list[Mapping[str, Any]] | None = None,
        documents: list[Mapping[str, Any]] | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
    ) -> list[RequestOutput]:
        """Answer one conversation (a list of messages) or several (a list of lists).

        Args:
            messages: ``{"role": ..., "content": ...}`` dicts, or a list of such lists.
            params: as for ``generate``.
            add_generation_prompt: end the prompt with the assistant header.
            continue_final_message: continue the final message instead (then set ``add_generation_prompt=False``).
            tools: tool definitions passed to the template.
            documents: documents passed to the template.
            chat_template_kwargs: extra template variables.

        Returns:
            one finished ``RequestOutput`` per conversation.
        """
        conversations = [messages] if messages and isinstance(messages[0], Mapping) else messages
        ids = [
            chat_prompt_ids(
                self.model,
                conv,  # type: ignore[arg-type]
                add_generation_prompt=add_generation_prompt,
                continue_final_message=continue_final_message,
                tools=tools,
                documents=documents,
                chat_template_kwargs=chat_template_kwargs,
            )
            for conv in conversations
        ]
        return self._run(ids, params)

    def _run(
        self, prompts: list[list[int]], params: SamplingParams | Sequence[SamplingParams] | None
    ) -> list[RequestOutput]:
        if params is None or isinstance(params, SamplingParams):
            per_prompt = [params or SamplingParams()] * len(prompts)
        else:
            per_prompt = list(params)
            if len(per_prompt) != len(prompts):
                raise ValueError(f"got {len(per_prompt)} SamplingParams for {len(prompts)} prompts")
        for p in per_prompt:  # validate everything before queueing anything
            p.validate()
        request_ids = [f"llm-{next(self._ids)}" for _ in prompts]
        added: list[str] = []
        try:
            for rid, ids, p in zip(request_ids, prompts, per_prompt, strict=True):
                self.engine.add_request(rid, ids, p)
                added.append(rid)
        except ValueError:
            for rid in added:
                self.engine.abort(rid)
            while self.engine.has_unfinished():
                self.engine.step()
            raise
        final: dict[str, RequestOutput] = {}
        while self.engine.has_unfinished():
            for out in self.engine.step():
                if out.finished:
                    final[out.request_id] = out
        errors = self.engine.pop_errors()
        if errors:
            rid, why = next(iter(errors.items()))
            raise RuntimeError(f"request {rid} failed: {why}")
        return [final[rid] for rid in request_ids]
