"""Server CPU per 1,000 sequential requests: uvicorn's httptools protocol, the proxy's limited protocol
(``openai_kit.proxy.server``) and h11 with a 64 KiB head limit, each serving a trivial ASGI app.

    python benchmarks/proxy_protocol_bench.py            # 3,000 requests per protocol, two rounds

Why the proxy enforces its head limits in its own httptools protocol rather than with h11's setting.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SERVER = r"""
import sys, uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})

http = sys.argv[2]
extra = {}
if http == "limited":
    from openai_kit.proxy.config import ProxyConfig
    from openai_kit.proxy.server import protocol_class
    http = protocol_class(ProxyConfig(api_key="sk-x", allow_anonymous=True))
elif http == "h11":
    extra["h11_max_incomplete_event_size"] = 65536
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), http=http, log_level="warning", lifespan="off", **extra)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def requests(port: int, n: int) -> None:
    from openai_kit.proxy.client import UpstreamClient

    client = UpstreamClient(f"http://127.0.0.1:{port}", connect_timeout=5, read_timeout=10)
    for _ in range(n):
        r = await client.request("GET", "/x", [])
        await r.read()
        r.release()
    await client.aclose()


def main() -> int:
    import psutil

    sys.path.insert(0, os.path.join(ROOT, "src"))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "src"), os.environ.get("PYTHONPATH", "")]),
    }
    n = 3000
    for _ in range(2):
        for http in ("httptools", "limited", "h11"):
            port = free_port()
            proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port), http], env=env)
            try:
                deadline = time.monotonic() + 20
                while True:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.05)
                asyncio.run(requests(port, 500))  # warm up
                server = psutil.Process(proc.pid)
                c0 = server.cpu_times()
                asyncio.run(requests(port, n))
                c1 = server.cpu_times()
                cpu = c1.user + c1.system - c0.user - c0.system
                print(f"{http:10} {cpu / n * 1000:.3f} CPU-s per 1,000 requests")
            finally:
                proc.terminate()
                proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
