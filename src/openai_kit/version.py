"""``openai_kit.version.VERSION``, as ``openai.version.VERSION`` in the official SDK."""

from ._version import __version__

VERSION: str = __version__

__all__ = ["VERSION"]
