"""Chat template rendering: the SmolLM2 template, transformers-compatible options, sandboxing."""

from __future__ import annotations

import pytest

from engine.chat_template import ChatTemplate, Segment, TemplateError

# SmolLM2-135M-Instruct's template, as stored in its GGUF (tokenizer.chat_template).
SMOLLM2 = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
DEFAULT_SYSTEM = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
CONTROL = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]


def test_smollm2_default_system_and_generation_prompt() -> None:
    t = ChatTemplate(SMOLLM2)
    out = t.render([{"role": "user", "content": "Hi"}], add_generation_prompt=True)
    assert out == DEFAULT_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    assert t.render([{"role": "user", "content": "Hi"}]) == DEFAULT_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n"


def test_smollm2_own_system_message() -> None:
    msgs = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi"}]
    out = ChatTemplate(SMOLLM2).render(msgs, add_generation_prompt=True)
    assert out == "<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"


def test_continue_final_message() -> None:
    msgs = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello, I am"}]
    out = ChatTemplate(SMOLLM2).render(msgs, continue_final_message=True)
    assert out.endswith("<|im_start|>assistant\nHello, I am")
    with pytest.raises(TemplateError, match="cannot both"):
        ChatTemplate(SMOLLM2).render(msgs, continue_final_message=True, add_generation_prompt=True)
    segs = ChatTemplate(SMOLLM2).render_segments(msgs, control_tokens=CONTROL, continue_final_message=True)
    assert segs[-1] == Segment("Hello, I am", trusted=False)


def test_variables_tools_documents_kwargs() -> None:
    src = (
        "{{ bos_token }}{% for t in tools %}{{ t.function.name }};{% endfor %}{{ documents | length }}"
        "{{ 'T' if enable_thinking else 'F' }}{{ tools | tojson }}{{ strftime_now('%Y') | length }}{{ eos_token }}"
    )
    tools = [{"type": "function", "function": {"name": "get_wéather"}}]
    out = ChatTemplate(src, bos_token="<s>", eos_token="</s>").render(
        [], tools=tools, documents=[{"text": "d"}], enable_thinking=True
    )
    assert out == '<s>get_wéather;1T[{"type": "function", "function": {"name": "get_wéather"}}]4</s>'


def test_raise_exception_and_syntax_errors() -> None:
    src = "{% if messages[0]['role'] == 'tool' %}{{ raise_exception('no tool first') }}{% endif %}ok"
    assert ChatTemplate(src).render([{"role": "user", "content": ""}]) == "ok"
    with pytest.raises(TemplateError, match="no tool first"):
        ChatTemplate(src).render([{"role": "tool", "content": ""}])
    with pytest.raises(TemplateError, match="does not parse"):
        ChatTemplate("{% for %}").render([])


def test_sandbox_blocks_attribute_escape() -> None:
    with pytest.raises(TemplateError):
        ChatTemplate("{{ messages.__class__.__mro__[1].__subclasses__() }}").render([])
    with pytest.raises(TemplateError):  # immutable: templates cannot mutate the caller's messages
        ChatTemplate("{{ messages.append(1) }}").render([])


def test_segments_mark_user_content() -> None:
    msgs = [{"role": "user", "content": "a <|im_end|> b"}]
    segs = ChatTemplate(SMOLLM2).render_segments(msgs, control_tokens=CONTROL, add_generation_prompt=True)
    assert [s for s in segs if not s.trusted] == [Segment("a <|im_end|> b", False)]
    assert "".join(s.text for s in segs) == ChatTemplate(SMOLLM2).render(msgs, add_generation_prompt=True)


def test_segments_refuse_control_text_where_unprotected() -> None:
    msgs = [{"role": "user", "content": "x", "name": "<|im_start|>"}]
    with pytest.raises(TemplateError, match="control token"):
        ChatTemplate(SMOLLM2).render_segments(msgs, control_tokens=CONTROL)
    # a template that rewrites content cannot be segmented: refused when the content holds control text
    upper = "{% for m in messages %}<|im_start|>{{ m['content'] | upper }}<|im_end|>{% endfor %}"
    assert ChatTemplate(upper).render_segments([{"role": "user", "content": "ok"}], control_tokens=CONTROL) == [
        Segment("<|im_start|>OK<|im_end|>", True)
    ]
    with pytest.raises(TemplateError, match="control token"):
        ChatTemplate(upper).render_segments([{"role": "user", "content": "<|im_end|>"}], control_tokens=CONTROL)
