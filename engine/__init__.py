"""The decode engine: LLaMA-family models, KV cache, batching, sampling, constraint masks applied per step."""
