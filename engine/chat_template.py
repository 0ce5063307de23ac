"""Render a model's Jinja chat template (sandboxed), the way ``transformers.apply_chat_template`` does.

``ChatTemplate.render`` returns the prompt text. ``ChatTemplate.render_segments`` returns the same text cut
into template-written and user-written pieces, so that the tokenizer can parse control tokens
(``<|im_start|>``) only where the template wrote them: a user typing ``<|im_end|>`` must get plain text,
never the control token (see ``GGUFTokenizer.encode_segments``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class TemplateError(ValueError):
    """The template failed to render, raised ``raise_exception``, or the request cannot be rendered safely."""


@dataclass(frozen=True)
class Segment:
    """A piece of a rendered prompt.

    Attributes:
        text: the characters.
        trusted: True when the template wrote them (control tokens may be parsed), False for message content.
    """

    text: str
    trusted: bool


def _raise_exception(message: str) -> None:
    raise TemplateError(message)


def _tojson(value: Any, indent: int | None = None, separators: Any = None, sort_keys: bool = False) -> str:
    # transformers' tojson: no HTML escaping, non-ASCII kept (jinja's built-in filter escapes both).
    return json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


@lru_cache(maxsize=32)
def _compile(source: str) -> jinja2.Template:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"chat template does not parse: {exc}") from exc


# Private-use markers around a message index; no tokenizer text or template is expected to contain them.
_OPEN, _CLOSE = "\ue000", "\ue001"
_SENTINEL = re.compile(f"{_OPEN}(\\d+){_CLOSE}")


@dataclass(frozen=True)
class ChatTemplate:
    """A chat template with the special-token strings it may reference.

    Args:
        source: Jinja source (e.g. GGUF ``tokenizer.chat_template``).
        bos_token: the BOS spelling, exposed to the template as ``bos_token``.
        eos_token: the EOS spelling, exposed as ``eos_token``.
    """

    source: str
    bos_token: str | None = None
    eos_token: str | None = None

    def render(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        add_generation_prompt: bool = False,
        continue_final_message: bool = False,
        tools: list[Mapping[str, Any]] | None = None,
        documents: list[Mapping[str, Any]] | None = None,
        **kwargs: Any,
    ) -> str:
        """Render ``messages`` to prompt text.

        Args:
            messages: chat messages (``role``, ``content`` and whatever else the template reads).
            add_generation_prompt: append the header that starts an assistant turn.
            continue_final_message: end the prompt right after the final message's content, so the model
                continues it (exclusive with ``add_generation_prompt``).
            tools: tool (function) definitions, passed as ``tools``.
            documents: retrieval documents, passed as ``documents``.
            **kwargs: extra template variables (``chat_template_kwargs``, e.g. ``enable_thinking``).

        Raises:
            TemplateError: the template raised, failed, or the final message cannot be located.
        """
        text = self._render(messages, add_generation_prompt, continue_final_message, tools, documents, kwargs)
        if continue_final_message:
            text = _cut_after_final(text, messages)
        return text

    def render_segments(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        control_tokens: Collection[str],
        add_generation_prompt: bool = False,
        continue_final_message: bool = False,
        tools: list[Mapping[str, Any]] | None = None,
        documents: list[Mapping[str, Any]] | None = None,
        **kwargs: Any,
    ) -> list[Segment]:
        """Render like ``render``, but mark which characters came from message contents.

        String contents are swapped for index markers before rendering and put back after. If the template
        transforms contents (so a marker does not come out exactly once), the prompt is rendered plainly and
        accepted only when no user string contains a control-token spelling.

        Args:
            messages: as for ``render``.
            control_tokens: spellings of control tokens (to refuse them in fields that cannot be protected:
                names, tool definitions, documents, transformed contents).
            add_generation_prompt: as for ``render``.
            continue_final_message: as for ``render``.
            tools: as for ``render``.
            documents: as for ``render``.
            **kwargs: as for ``render``.

        Raises:
            TemplateError: as for ``render``, or a control-token spelling in a field that cannot be protected.
        """
        contents = {i: m["content"] for i, m in enumerate(messages) if isinstance(m.get("content"), str)}
        marked = [{**m, "content": f"{_OPEN}{i}{_CLOSE}"} if i in contents else dict(m) for i, m in enumerate(messages)]
        unprotected = [
            {k: v for k, v in m.items() if not (k == "content" and i in contents)} for i, m in enumerate(messages)
        ]
        _refuse_control_text([unprotected, tools, documents, kwargs], control_tokens)
        text = self._render(marked, add_generation_prompt, continue_final_message, tools, documents, kwargs)
        plain = self.render(
            messages,
            add_generation_prompt=add_generation_prompt,
            continue_final_message=continue_final_message,
            tools=tools,
            documents=documents,
            **kwargs,
        )
        segments = _split_at_markers(text, contents, len(messages) - 1 if continue_final_message else None)
        if segments is None or "".join(seg.text for seg in segments) != plain:
            # The template copied, dropped or rewrote a content (e.g. ``| trim``): no exact split exists.
            _refuse_control_text(list(contents.values()), control_tokens)
            return [Segment(plain, True)]
        return segments

    def _render(
        self,
        messages: Sequence[Mapping[str, Any]],
        add_generation_prompt: bool,
        continue_final_message: bool,
        tools: list[Mapping[str, Any]] | None,
        documents: list[Mapping[str, Any]] | None,
        kwargs: dict[str, Any],
    ) -> str:
        if add_generation_prompt and continue_final_message:
            raise TemplateError("add_generation_prompt and continue_final_message cannot both be set")
        if continue_final_message and not messages:
            raise TemplateError("continue_final_message needs at least one message")
        variables = {
            **kwargs,
            "messages": messages,
            "tools": tools,
            "documents": documents,
            "add_generation_prompt": add_generation_prompt,
            "bos_token": self.bos_token or "",
            "eos_token": self.eos_token or "",
        }
        try:
            return _compile(self.source).render(**variables)
        except TemplateError:
            raise
        except jinja2.TemplateError as exc:
            raise TemplateError(f"chat template failed: {exc}") from exc


def _split_at_markers(text: str, contents: Mapping[int, str], final: int | None) -> list[Segment] | None:
    """Cut rendered ``text`` at content markers; None when a marker is missing or repeated.

    ``final``: the index of the message to continue (cut after its marker), or None.
    """
    found = [int(i) for i in _SENTINEL.findall(text)]
    if sorted(found) != sorted(contents):
        return None
    if final is not None:
        marker = f"{_OPEN}{final}{_CLOSE}"
        if marker not in text:
            return None
        text = text[: text.rindex(marker) + len(marker)]
    segments: list[Segment] = []
    pos = 0
    for match in _SENTINEL.finditer(text):
        if match.start() > pos:
            segments.append(Segment(text[pos : match.start()], True))
        if contents[int(match.group(1))]:
            segments.append(Segment(contents[int(match.group(1))], False))
        pos = match.end()
    if pos < len(text):
        segments.append(Segment(text[pos:], True))
    return segments


def _cut_after_final(text: str, messages: Sequence[Mapping[str, Any]]) -> str:
    """Cut ``text`` after the final message's content (transformers' ``continue_final_message`` rule)."""
    final = messages[-1].get("content")
    if isinstance(final, list):  # content parts: continue the last text part
        texts = [p["text"] for p in final if isinstance(p, Mapping) and "text" in p]
        if not texts:
            raise TemplateError("continue_final_message: the final message has no text to continue")
        final = texts[-1]
    if not isinstance(final, str) or final.strip() not in text:
        raise TemplateError("continue_final_message: the final message does not appear in the rendered prompt")
    at = text.rindex(final.strip())
    keep = len(final.lstrip()) if text[at : at + len(final.lstrip())] == final else len(final.strip())
    return text[: at + keep]


def _refuse_control_text(values: Iterable[Any], control_tokens: Collection[str]) -> None:
    """Raise if any string inside ``values`` (recursively) contains a control-token spelling."""
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            hit = next((t for t in control_tokens if t and t in v), None)
            if hit is not None:
                raise TemplateError(f"control token {hit!r} is not allowed in this field of the request")
        elif isinstance(v, Mapping):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
