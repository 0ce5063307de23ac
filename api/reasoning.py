"""Separate ``<think>...</think>`` reasoning from the answer (``reasoning_content`` vs ``content``).

Reasoning is recognised only at the start of the output (after whitespace), or when the prompt itself ends inside
an open ``<think>`` (templates that start the thought for the model). Text elsewhere is never touched.
"""

from __future__ import annotations

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


def prompt_opens_thinking(prompt_text: str) -> bool:
    """Whether the rendered prompt ends inside an unclosed ``<think>``."""
    tail = prompt_text.rstrip()
    return tail.endswith(THINK_OPEN)


def split_reasoning(text: str, *, opened: bool = False) -> tuple[str | None, str]:
    """``(reasoning, content)`` of a complete output; ``reasoning`` is None when there is none.

    Args:
        text: the generated text.
        opened: the prompt already opened ``<think>`` (see :func:`prompt_opens_thinking`).
    """
    splitter = ReasoningSplitter(opened=opened)
    reasoning, content = splitter.feed(text)
    more_reasoning, more_content = splitter.finish()
    reasoning += more_reasoning
    content += more_content
    return (reasoning if splitter.saw_reasoning else None), content


class ReasoningSplitter:
    """Incremental splitter for streaming: feed deltas, get ``(reasoning_delta, content_delta)``.

    Text that might still turn into the ``<think>`` / ``</think>`` tag is held back until it is decided.
    """

    def __init__(self, *, opened: bool = False) -> None:
        self._state = "thinking" if opened else "start"
        self._held = ""
        self.saw_reasoning = opened

    def feed(self, delta: str) -> tuple[str, str]:
        """Consume ``delta``; return the reasoning and content it releases."""
        self._held += delta
        reasoning, content = "", ""
        while True:
            if self._state == "start":
                stripped = self._held.lstrip()
                if stripped.startswith(THINK_OPEN):
                    self._state, self._held, self.saw_reasoning = "thinking", stripped[len(THINK_OPEN):], True
                    continue
                if THINK_OPEN.startswith(stripped):
                    return reasoning, content  # undecided: maybe the tag is still arriving
                self._state = "answer"
            if self._state == "thinking":
                end = self._held.find(THINK_CLOSE)
                if end >= 0:
                    reasoning += self._held[:end]
                    self._held = self._held[end + len(THINK_CLOSE):]
                    self._state = "after_close"
                    continue
                keep = _partial_suffix(self._held, THINK_CLOSE)
                reasoning += self._held[: len(self._held) - keep]
                self._held = self._held[len(self._held) - keep:]
                return reasoning, content
            if self._state == "after_close":
                # newlines right after </think> separate it from the answer; they may arrive in later deltas
                self._held = self._held.lstrip("\n")
                if not self._held:
                    return reasoning, content
                self._state = "answer"
            content += self._held
            self._held = ""
            return reasoning, content

    def finish(self) -> tuple[str, str]:
        """Release what is held at the end of the output."""
        held, self._held = self._held, ""
        if self._state == "thinking":
            return held, ""
        return "", held


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0
