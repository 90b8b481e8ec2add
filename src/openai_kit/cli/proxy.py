"""``openai-kit proxy``: run the key-keeping proxy (see :mod:`openai_kit.proxy`).

The upstream key, organization and project come from the usual places: ``--config FILE`` / a ``.openai``
file, then the environment (``OPENAI_API_KEY``, ...). The key is never taken on the command line, where
other users of the machine could read it.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import socket
import sys
from typing import Any

__all__ = ["add_parser", "flag_message", "parse_size", "run"]

_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3}


def parse_size(text: str) -> int:
    """``"512M"`` -> bytes (K, M, G are powers of 1024)."""
    value = text.strip().upper()
    number = value.rstrip("KMGB")
    unit = value[len(number) :]
    try:
        size = int(float(number) * _UNITS[unit])
    except (KeyError, ValueError):
        raise argparse.ArgumentTypeError(f"invalid size {text!r} (examples: 1048576, 64M, 1G)") from None
    if size <= 0:
        raise argparse.ArgumentTypeError("the size must be positive")
    return size


def _positive(kind: type[float] | type[int]) -> Any:
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError("the value must be positive")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def _limit(text: str) -> int:
    """A count where 0 means no limit."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the value must be 0 (no limit) or positive")
    return value


# ProxyConfig field -> the flag that sets it, so that configuration errors name what the user typed.
_FLAGS = {
    "allow_anonymous=True": "--allow-anonymous",
    "max_body_size": "--max-body-size",
    "connect_timeout": "--connect-timeout",
    "read_timeout": "--read-timeout",
    "header_timeout": "--header-timeout",
    "upstream_wait": "--upstream-wait",
    "max_connections": "--max-connections",
    "max_concurrent_per_token": "--max-concurrent-per-token",
    "max_request_line": "--max-request-line",
    "max_header_size": "--max-header-size",
    "max_upstream_header_size": "--max-upstream-header-size",
    "rate_limit_burst": "--rate-limit-burst",
    "rate_limit": "--rate-limit",
    "redis_url": "--redis-url",
    "redis_timeout": "--redis-timeout",
    "redis_slot_ttl": "--redis-slot-ttl",
    "a token file or an auth hook": "a token file (--token-file) or an auth hook (--auth)",
    "auth hook ": "--auth ",
    "timeouts must be positive": "--connect-timeout and --read-timeout must be positive",
    "upstream URL": "--upstream",
    "ProxyConfig needs the upstream API key": "no upstream API key: set OPENAI_API_KEY or use --config FILE",
}


_FLAG_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(_FLAGS, key=len, reverse=True)))


def flag_message(message: str) -> str:
    """``message`` with the library's argument names replaced by the CLI's flags (in one pass, so a
    replacement is never replaced again)."""
    return _FLAG_PATTERN.sub(lambda m: _FLAGS[m.group(0)], message)


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "proxy",
        help="run a proxy that keeps the API key away from front ends",
        description="Forward /v1/... (HTTP, SSE and the realtime websocket) to the OpenAI API with the real "
        "key, after checking the front end's own session token.",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    p.add_argument(
        "--upstream",
        metavar="URL",
        help="upstream base URL (default: the configured base URL, "
        "else https://api.openai.com/v1); for Azure, the resource endpoint",
    )
    p.add_argument(
        "--token-file", metavar="FILE", help="allowed session tokens, one per line; re-read when it changes"
    )
    p.add_argument(
        "--auth",
        metavar="MODULE:CALLABLE",
        help="authentication hook: called with the request "
        "headers, returns to allow, raises to reject (sync or async)",
    )
    p.add_argument(
        "--allow-anonymous",
        action="store_true",
        help="forward requests without any authentication (local development only)",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="read the key, organization and project from this .openai file instead of searching for one",
    )
    p.add_argument("--organization", help="upstream organization id")
    p.add_argument("--project", help="upstream project id")
    p.add_argument(
        "--azure",
        action="store_true",
        default=None,
        help="the upstream is Azure OpenAI (detected from *.openai.azure.com hosts)",
    )
    p.add_argument("--azure-api-version", default=None, metavar="VERSION", help="Azure api-version")
    p.add_argument(
        "--azure-deployment",
        metavar="NAME",
        help="Azure deployment for every request (default: the request's model)",
    )
    p.add_argument(
        "--max-body-size",
        type=parse_size,
        default=None,
        metavar="SIZE",
        help="largest request body accepted (default: 512M); multipart uploads may exceed it by 1 MiB of "
        "form framing, so a file of exactly this size uploads",
    )
    p.add_argument("--connect-timeout", type=_positive(float), default=None, metavar="SECONDS")
    p.add_argument(
        "--read-timeout",
        type=_positive(float),
        default=None,
        metavar="SECONDS",
        help="longest wait for the upstream's response or next bytes (default: 600)",
    )
    p.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="N",
        help="requests per minute per session token (default: no limit)",
    )
    p.add_argument("--rate-limit-burst", type=_positive(int), default=None, metavar="N")
    limits = p.add_argument_group("limits (each answered in the API's error format)")
    limits.add_argument(
        "--max-concurrent-per-token",
        type=_limit,
        default=None,
        metavar="N",
        help="requests and websockets one session token may have in flight; more get 429 at once "
        "(default: 100; 0: no limit)",
    )
    limits.add_argument(
        "--max-connections",
        type=_positive(int),
        default=None,
        metavar="N",
        help="upstream connections in use at once, over all tokens (default: 1000)",
    )
    limits.add_argument(
        "--upstream-wait",
        type=_positive(float),
        default=None,
        metavar="SECONDS",
        help="longest wait for a free upstream connection before answering 503 (default: 2)",
    )
    limits.add_argument(
        "--max-request-line",
        type=parse_size,
        default=None,
        metavar="SIZE",
        help="longest request target; longer gets 414 (default: 16K)",
    )
    limits.add_argument(
        "--max-header-size",
        type=parse_size,
        default=None,
        metavar="SIZE",
        help="request line and headers together; larger gets 431, before authentication (default: 64K)",
    )
    limits.add_argument(
        "--header-timeout",
        type=_positive(float),
        default=None,
        metavar="SECONDS",
        help="time allowed to send a request's headers; slower gets 408 (default: 10)",
    )
    limits.add_argument(
        "--max-upstream-header-size",
        type=parse_size,
        default=None,
        metavar="SIZE",
        help="upstream response headers larger than this make the response a 502 (default: 64K)",
    )
    scale = p.add_argument_group("scaling out (several processes, several machines)")
    scale.add_argument(
        "--workers",
        type=_positive(int),
        default=1,
        metavar="N",
        help="serve with N processes on the one port (default: 1); without --redis-url each process "
        "keeps its own limits",
    )
    scale.add_argument(
        "--redis-url",
        metavar="URL",
        default=None,
        help="share the per-token rate and concurrency limits through this Redis with every proxy process "
        "using it (default: $OPENAI_KIT_PROXY_REDIS_URL; prefer it for a URL with a password). When Redis "
        "does not answer, requests get 503",
    )
    scale.add_argument(
        "--redis-prefix",
        metavar="PREFIX",
        default=None,
        help="prefix of the Redis keys; proxies share limits only with the same prefix "
        "(default: openai-kit:proxy)",
    )
    scale.add_argument(
        "--redis-timeout",
        type=_positive(float),
        default=None,
        metavar="SECONDS",
        help="longest wait for Redis before answering 503 (default: 1)",
    )
    scale.add_argument(
        "--redis-slot-ttl",
        type=_positive(float),
        default=None,
        metavar="SECONDS",
        help="a concurrency slot of a proxy process that died stops counting after this (default: 30)",
    )
    p.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser requests from this origin (repeatable; '*' for any)",
    )
    p.add_argument("--no-access-log", action="store_true", help="do not log one line per request")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(_run=run)


#: library wording in ProxyConfig's errors -> the command line's flags
def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {
        "azure": args.azure,
        "azure_deployment": args.azure_deployment,
        "token_file": args.token_file,
        "allow_anonymous": args.allow_anonymous,
        "rate_limit": args.rate_limit,
        "rate_limit_burst": args.rate_limit_burst,
        "cors_origins": tuple(args.cors_origin),
        "access_log": not args.no_access_log,
        "redis_url": args.redis_url or os.environ.get("OPENAI_KIT_PROXY_REDIS_URL") or None,
    }
    for name in (
        "azure_api_version",
        "max_body_size",
        "connect_timeout",
        "read_timeout",
        "max_connections",
        "upstream_wait",
        "max_request_line",
        "max_header_size",
        "header_timeout",
        "max_upstream_header_size",
        "redis_prefix",
        "redis_timeout",
        "redis_slot_ttl",
    ):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    if args.max_concurrent_per_token is not None:
        options["max_concurrent_per_token"] = args.max_concurrent_per_token or None
    return options


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..proxy import ProxyConfig, create_proxy_app, load_auth_hook
        from ..proxy.server import WebSocketProtocol, protocol_class
    except ModuleNotFoundError as exc:
        print(
            f"openai-kit proxy: missing dependency {exc.name!r}; pip install 'openai-kit[proxy]'",
            file=sys.stderr,
        )
        return 2
    from .._errors import ConfigError

    worker = getattr(args, "_worker", False)
    workers: int = args.workers
    # with several processes, each line says which one wrote it
    fmt = (
        "%(asctime)s [%(process)d] %(name)s %(message)s"
        if workers > 1
        else "%(asctime)s %(name)s %(message)s"
    )
    logging.basicConfig(level=args.log_level.upper(), format=fmt, stream=sys.stderr)
    try:
        options = _options(args)
        if args.auth:
            if os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())
            options["auth"] = load_auth_hook(args.auth)
        config = ProxyConfig.from_sources(
            organization=args.organization,
            project=args.project,
            upstream_url=args.upstream,
            config_file=args.config,
            **options,
        )
        app = create_proxy_app(config)
    except ConfigError as exc:
        print(f"openai-kit proxy: {flag_message(str(exc))}", file=sys.stderr)
        return 2
    if not worker:
        kind = "Azure OpenAI" if config.is_azure else "upstream"
        how = f", {workers} processes" if workers > 1 else ""
        shared = ", limits shared through Redis" if config.redis_url else ""
        print(
            f"openai-kit proxy: http://{args.host}:{args.port}/v1 -> {kind} {config.upstream_url}{how}{shared}",
            file=sys.stderr,
            flush=True,
        )
        if workers > 1:
            if not config.redis_url and (config.rate_limit or config.max_concurrent_per_token):
                logging.getLogger("openai_kit.proxy").warning(
                    "without --redis-url each of the %d processes enforces the per-token limits on its own",
                    workers,
                )
            return _supervise(args)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            http=protocol_class(config),  # uvicorn's httptools protocol with limits on request heads
            ws=WebSocketProtocol,
            access_log=False,  # the proxy logs its own line per request, without tokens or query strings
            log_level=args.log_level,
            server_header=False,
            proxy_headers=False,  # the proxy never uses the client address; X-Forwarded-* are not trusted
            ws_max_size=config.ws_max_message_size,
            lifespan="on",
        )
    )
    if worker:  # one of --workers N: its own listening socket on the shared port
        server.run(sockets=[_reuse_port_socket(args.host, args.port, listen=True)])
    else:
        server.run()
    return 0


# --------------------------------------------------------------------------- --workers N


def _reuse_port_socket(host: str, port: int, *, listen: bool) -> socket.socket:
    """A TCP socket bound to ``host:port`` with SO_REUSEPORT: the kernel spreads new connections over the
    listening sockets of every worker."""
    family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(addr)
    if listen:
        sock.listen(2048)
    return sock


def _worker(args: argparse.Namespace) -> None:
    """Entry point of one worker process (spawned): the same command, serving on a SO_REUSEPORT socket."""
    args._worker = True
    raise SystemExit(run(args))


def _supervise(args: argparse.Namespace) -> int:
    """Run ``args.workers`` worker processes until SIGTERM or SIGINT; restart a worker that dies."""
    import multiprocessing
    import signal
    import time

    log = logging.getLogger("openai_kit.proxy")
    if not hasattr(socket, "SO_REUSEPORT"):
        print("openai-kit proxy: --workers needs SO_REUSEPORT (Linux, macOS, BSD)", file=sys.stderr)
        return 2
    try:
        # Bound, not listening: keeps the port from programs without SO_REUSEPORT and fails fast when it is
        # taken; connections only go to the workers' listening sockets.
        holder = _reuse_port_socket(args.host, args.port, listen=False)
    except OSError as exc:
        print(f"openai-kit proxy: cannot listen on {args.host}:{args.port} ({exc.strerror})", file=sys.stderr)
        return 2
    args.port = holder.getsockname()[1]  # --port 0: the workers share the port chosen here
    print(
        f"openai-kit proxy: {args.workers} workers on http://{args.host}:{args.port}",
        file=sys.stderr,
        flush=True,
    )
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ctx = multiprocessing.get_context("spawn")
    procs: list[Any] = [None] * args.workers
    started = [0.0] * args.workers
    try:
        while not stopping:
            now = time.monotonic()
            for i, proc in enumerate(procs):
                if proc is not None and proc.is_alive():
                    continue
                if proc is not None:
                    if now - started[i] < 1:  # a worker dying at start: one restart a second at most
                        continue
                    log.warning(
                        "worker %d (pid %s) exited with code %s; starting another", i, proc.pid, proc.exitcode
                    )
                proc = procs[i] = ctx.Process(target=_worker, args=(args,), name=f"openai-kit-proxy-{i}")
                proc.start()
                started[i] = now
            time.sleep(0.1)
    finally:
        for proc in procs:
            if proc is not None and proc.is_alive():
                proc.terminate()
        for proc in procs:
            if proc is not None:
                proc.join(15)
                if proc.is_alive():
                    proc.kill()
                    proc.join()
        holder.close()
    return 0
