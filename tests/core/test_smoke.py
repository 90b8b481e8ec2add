from __future__ import annotations

import openai_kit

from .httpserver import Conn, LocalHTTPServer, Req


def test_post_json_and_stream_reuse_one_connection(server: LocalHTTPServer) -> None:
    @server.route("POST", "/v1/echo")
    async def echo(req: Req, conn: Conn) -> None:
        await conn.json({"body": req.json(), "auth": req.headers.get("authorization")})

    @server.route("GET", "/v1/stream")
    async def stream(req: Req, conn: Conn) -> None:
        await conn.start_chunked()
        for i in range(3):
            await conn.chunk(b'data: {"i": %d}\n\n' % i)
        await conn.chunk(b"data: [DONE]\n\n")
        await conn.end_chunked()

    client = openai_kit.OpenAI(api_key="sk-test", base_url=server.base_url)
    out = client.post("/echo", body={"a": 1, "skip": openai_kit.NOT_GIVEN, "n": None})
    assert out == {"body": {"a": 1, "n": None}, "auth": "Bearer sk-test"}
    assert [e["i"] for e in client.get("/stream", stream=True)] == [0, 1, 2]
    assert [e["i"] for e in client.get("/stream", stream=True)] == [0, 1, 2]
    assert server.connections == 1


def test_the_export_table_and_the_type_checking_imports_agree() -> None:
    """``__init__`` lists each public name once (``_EXPORTS``); the TYPE_CHECKING imports must say the same,
    or type checkers see ``Any`` where users get a class."""
    import ast
    from pathlib import Path

    import openai_kit

    tree = ast.parse(Path(openai_kit.__file__).read_text())
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"
    )
    typed = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert typed == openai_kit._EXPORTS
    for name in openai_kit.__all__:
        assert getattr(openai_kit, name) is not None
