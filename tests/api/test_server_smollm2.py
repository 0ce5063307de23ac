"""Slow: the README's curl example against a live server running SmolLM2 answers JSON valid against its schema."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from typing import Any

import httpx
import jsonschema
import pytest
import uvicorn

from tests.conftest import REPO_ROOT


def _readme_curl_body() -> tuple[str, dict[str, Any]]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```sh\ncurl -s (\S+) .*?-d '(.*?)'\n```", readme, re.S)
    assert match, "README lost its curl example"
    return match.group(1), json.loads(match.group(2))


@pytest.mark.slow
def test_readme_curl_example_answers_schema_valid_json() -> None:
    from api.app import ServerSettings, create_app
    from engine.async_engine import AsyncEngine

    url, body = _readme_curl_body()
    engine = AsyncEngine.from_model("smollm2")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(create_app(ServerSettings(body["model"]), engine), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "server did not start"
            time.sleep(0.1)
        path = url.split("8000", 1)[1]
        reply = httpx.post(f"http://127.0.0.1:{port}{path}", json=body, timeout=600).json()
        choice = reply["choices"][0]
        assert choice["finish_reason"] == "stop", reply
        answer = json.loads(choice["message"]["content"])
        jsonschema.validate(answer, body["response_format"]["json_schema"]["schema"])
        assert answer["city"].strip() and answer["country"].strip()
    finally:
        server.should_exit = True
        thread.join(timeout=60)
