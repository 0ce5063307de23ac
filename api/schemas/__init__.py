"""OpenAI wire types of the API layer: requests (validated on decode), responses, stream chunks, errors.

Decode with :func:`decode_chat_request` / :func:`decode_completion_request` (one :class:`RequestError` with the
field path for any refusal); encode responses with :func:`encode_response`. Conventions (unknown fields accepted
and ignored, ``top_k``, one output constraint at a time) are documented in :mod:`api.schemas.sampling`.
"""

from api.schemas.chat_request import ChatCompletionRequest, Prediction
from api.schemas.chunks import (
    ChatCompletionChunk,
    ChatCompletionChunkChoice,
    ChatCompletionDelta,
    FunctionCallDelta,
    ToolCallDelta,
)
from api.schemas.completion_request import CompletionRequest
from api.schemas.decode import decode_chat_request, decode_completion_request
from api.schemas.errors import ErrorBody, ErrorResponse, FieldError, RequestError
from api.schemas.messages import (
    AssistantMessage,
    ChatMessage,
    DeveloperMessage,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
    content_text,
)
from api.schemas.response_format import (
    JsonSchemaSpec,
    ResponseFormat,
    ResponseFormatJsonObject,
    ResponseFormatJsonSchema,
    ResponseFormatText,
)
from api.schemas.responses import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionMessage,
    ChoiceLogprobs,
    Completion,
    CompletionChoice,
    CompletionLogprobs,
    TokenLogprob,
    TopLogprob,
    Usage,
    encode_response,
)
from api.schemas.sampling import SamplingFields, StreamOptions
from api.schemas.tools import FunctionCall, FunctionDefinition, NamedToolChoice, Tool, ToolCall

__all__ = [
    "AssistantMessage", "ChatCompletion", "ChatCompletionChoice", "ChatCompletionChunk", "ChatCompletionChunkChoice",
    "ChatCompletionDelta", "ChatCompletionMessage", "ChatCompletionRequest", "ChatMessage", "ChoiceLogprobs",
    "Completion", "CompletionChoice", "CompletionLogprobs", "CompletionRequest", "DeveloperMessage", "ErrorBody",
    "ErrorResponse", "FieldError", "FunctionCall", "FunctionCallDelta", "FunctionDefinition", "JsonSchemaSpec",
    "NamedToolChoice", "Prediction", "RequestError", "ResponseFormat", "ResponseFormatJsonObject",
    "ResponseFormatJsonSchema", "ResponseFormatText", "SamplingFields", "StreamOptions", "SystemMessage",
    "TextPart", "TokenLogprob", "Tool", "ToolCall", "ToolCallDelta", "ToolMessage", "TopLogprob", "Usage",
    "UserMessage", "content_text", "decode_chat_request", "decode_completion_request", "encode_response",
]
