"""``openai-kit proxy``: run the key-keeping proxy (see :mod:`openai_kit.proxy`).

The upstream key, organization and project come from the usual places: ``--config FILE`` / a ``.openai``
file, then the environment (``OPENAI_API_KEY``, ...). The key is never taken on the command line, where
other users of the machine could read it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

__all__ = ["add_parser", "parse_size", "run"]

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
        help="largest request body accepted (default: 512M)",
    )
    p.add_argument("--connect-timeout", type=float, default=None, metavar="SECONDS")
    p.add_argument(
        "--read-timeout",
        type=float,
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
    p.add_argument("--rate-limit-burst", type=int, default=None, metavar="N")
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
_FLAG_WORDING = (
    ("a token file or an auth hook", "--token-file FILE or --auth MODULE:CALLABLE"),
    ("allow_anonymous=True", "--allow-anonymous"),
    ("auth hook ", "--auth "),
    ("max_body_size", "--max-body-size"),
    ("rate_limit", "--rate-limit"),
    ("timeouts must be positive", "--connect-timeout and --read-timeout must be positive"),
    ("upstream URL", "--upstream"),
    (
        "ProxyConfig needs the upstream API key",
        "no upstream API key: set OPENAI_API_KEY or use --config FILE",
    ),
)


def flag_wording(message: str) -> str:
    """A configuration error as the command line's user should read it: flags, not library arguments."""
    for library, flag in _FLAG_WORDING:
        message = message.replace(library, flag)
    return message


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
    }
    for name in ("azure_api_version", "max_body_size", "connect_timeout", "read_timeout"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    return options


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..proxy import ProxyConfig, create_proxy_app, load_auth_hook
    except ModuleNotFoundError as exc:
        print(
            f"openai-kit proxy: missing dependency {exc.name!r}; pip install 'openai-kit[proxy]'",
            file=sys.stderr,
        )
        return 2
    from .._errors import ConfigError

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s", stream=sys.stderr
    )
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
        print(f"openai-kit proxy: {flag_wording(str(exc))}", file=sys.stderr)
        return 2
    kind = "Azure OpenAI" if config.is_azure else "upstream"
    print(
        f"openai-kit proxy: http://{args.host}:{args.port}/v1 -> {kind} {config.upstream_url}",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=False,  # the proxy logs its own line per request, without tokens or query strings
        log_level=args.log_level,
        server_header=False,
        proxy_headers=False,  # the proxy never uses the client address; X-Forwarded-* are not trusted
        ws_max_size=config.ws_max_message_size,
        lifespan="on",
    )
    return 0
