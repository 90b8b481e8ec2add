"""Hand-written methods of the official SDK that codegen mixes into the generated resources
(``MIXINS`` in ``codegen/render_resources.py``): ``parse`` for structured outputs and the
``*_and_poll`` / ``poll`` / ``upload`` helpers. They live here because ``resources/`` is regenerated."""
