"""Where settings come from.

Precedence, per setting: constructor arguments, then a ``.openai`` file, then the environment.

The ``.openai`` file is either JSON (``{"apiKey": ..., "organizationId": ..., "projectId": ...,
"baseUrl": ...}``) or ``KEY=VALUE`` lines (``OPENAI_API_KEY``, ``OPENAI_ORGANIZATION_ID`` or
``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``, ``OPENAI_BASE_URL``; ``#`` comments, blank lines, an
optional ``export`` prefix and quoted values are accepted). It is looked for in the working directory,
then each parent directory, then the home directory. :func:`load_config_file` reads an explicit file
or directory instead.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._errors import ConfigError

__all__ = [
    "FILE_NAME",
    "ConfigWarning",
    "Settings",
    "find_config_file",
    "load_config_file",
    "resolve_settings",
]

FILE_NAME = ".openai"

# JSON key -> setting, and KEY=VALUE / environment name -> setting
_JSON_KEYS = {
    "apiKey": "api_key",
    "organizationId": "organization",
    "projectId": "project",
    "baseUrl": "base_url",
}
_ENV_KEYS = {
    "OPENAI_API_KEY": "api_key",
    "OPENAI_ORGANIZATION_ID": "organization",
    "OPENAI_ORG_ID": "organization",
    "OPENAI_PROJECT_ID": "project",
    "OPENAI_BASE_URL": "base_url",
}
_FIELDS = ("api_key", "organization", "project", "base_url")


class ConfigWarning(UserWarning):
    """A ``.openai`` file has keys openai-kit does not know (usually a misspelling)."""


def _warn_unknown(path: str, unknown: list[str], known: list[str]) -> None:
    if not unknown:
        return
    import difflib  # only for this warning: not on every start

    parts = []
    for key in unknown:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6) or difflib.get_close_matches(
            key.lower(), [k.lower() for k in known], n=1, cutoff=0.6
        )
        match = next((k for k in known if close and k.lower() == close[0].lower()), None)
        parts.append(f"{key!r} (did you mean {match!r}?)" if match else repr(key))
    warnings.warn(
        f"{path}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(parts)} ignored; "
        f"known keys: {', '.join(known)}",
        ConfigWarning,
        stacklevel=4,
    )


@dataclass(frozen=True)
class Settings:
    """Resolved settings, with where each came from (for messages; never the values themselves)."""

    api_key: str | None = field(default=None, repr=False)
    organization: str | None = None
    project: str | None = None
    base_url: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    searched: tuple[str, ...] = ()


def find_config_file(start: str | os.PathLike[str] | None = None) -> str | None:
    """Return the first ``.openai`` file in ``start`` (default: the working directory), its parents,
    or the home directory."""
    directory = os.path.abspath(start if start is not None else os.getcwd())
    while True:
        candidate = os.path.join(directory, FILE_NAME)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    home = os.path.expanduser("~")
    candidate = os.path.join(home, FILE_NAME)
    if os.path.isfile(candidate):
        return candidate
    return None


def load_config_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a ``.openai`` file (or the ``.openai`` file inside a directory) into setting names.

    Raises :class:`ConfigError` naming the file and the problem when it cannot be read or parsed.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, FILE_NAME)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration file ({exc.__class__.__name__})") from None
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        return _parse_json(path, text)
    return _parse_lines(path, text)


def _parse_json(path: str, text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object with apiKey/organizationId/projectId")
    out: dict[str, str] = {}
    for key, name in _JSON_KEYS.items():
        if key in data and data[key] is not None:
            value = data[key]
            if not isinstance(value, str):
                raise ConfigError(f"{path}: {key!r} must be a string, not {type(value).__name__}")
            out[name] = value
    _warn_unknown(path, [k for k in data if k not in _JSON_KEYS], list(_JSON_KEYS))
    return out


def _parse_lines(path: str, text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    unknown: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or not key.replace("_", "").isalnum():
            raise ConfigError(f"{path}: line {lineno} is not KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        name = _ENV_KEYS.get(key)
        if name is None:
            unknown.append(key)
        elif name not in out or key != "OPENAI_ORG_ID":
            out[name] = value
    _warn_unknown(path, unknown, list(_ENV_KEYS))
    return out


def resolve_settings(
    api_key: str | None = None,
    organization: str | None = None,
    project: str | None = None,
    base_url: str | None = None,
    *,
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Combine arguments, the ``.openai`` file and the environment (in that order of precedence).

    ``config_file`` names a file or directory to read instead of searching. The file is only looked for
    when an argument is missing. The API key may stay ``None``: callers decide whether that is an error
    (see :class:`~openai_kit.MissingAPIKeyError`, which lists ``Settings.searched``).
    """
    env = os.environ if environ is None else environ
    values: dict[str, str | None] = {
        "api_key": api_key,
        "organization": organization,
        "project": project,
        "base_url": base_url,
    }
    sources = {k: "argument" for k, v in values.items() if v is not None}
    searched = ["argument api_key"]
    if any(v is None for v in values.values()):
        if config_file is not None:
            explicit = os.fspath(config_file)
            if os.path.isdir(explicit):
                explicit = os.path.join(explicit, FILE_NAME)
            path: str | None = explicit
            file_values = load_config_file(explicit)
            searched.append(f"file {path}")
        else:
            path = find_config_file()
            searched.append(f"file {FILE_NAME} in {os.getcwd()}, its parents and {os.path.expanduser('~')}")
            file_values = load_config_file(path) if path else {}
        for name in _FIELDS:
            if values[name] is None and file_values.get(name):
                values[name] = file_values[name]
                sources[name] = f"file {path}"
        for env_name, name in _ENV_KEYS.items():
            if values[name] is None and env.get(env_name):
                values[name] = env[env_name]
                sources[name] = f"environment {env_name}"
        searched.append("environment OPENAI_API_KEY")
    return Settings(
        api_key=values["api_key"],
        organization=values["organization"],
        project=values["project"],
        base_url=values["base_url"],
        sources=sources,
        searched=tuple(searched),
    )
