from __future__ import annotations

from litestar.testing import TestClient

from api.app import ServerSettings, create_app


def test_health_and_models_answer() -> None:
    with TestClient(create_app(ServerSettings("smollm2"))) as client:
        # no engine behind this app: alive, but says it cannot generate (with an engine: "ok", see test_server_live)
        assert client.get("/health").json() == {"status": "no_engine", "model": "smollm2"}
        body = client.get("/v1/models").json()
        assert body["object"] == "list" and [m["id"] for m in body["data"]] == ["smollm2"]


def test_api_key_required_on_v1_only() -> None:
    with TestClient(create_app(ServerSettings("m", api_key="s3cret"))) as client:
        assert client.get("/health").status_code == 200
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"}):
            resp = client.get("/v1/models", headers=headers)
            assert resp.status_code == 401
            assert resp.json()["error"]["type"] == "authentication_error"
        assert client.get("/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_generation_endpoints_say_clearly_they_are_not_ready() -> None:
    with TestClient(create_app(ServerSettings("m"))) as client:
        resp = client.post("/v1/chat/completions", json={"model": "m", "messages": []})
        assert resp.status_code == 503
        assert set(resp.json()["error"]) == {"message", "type", "param", "code"}
