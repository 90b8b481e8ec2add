"""openai-kit code generator: OpenAPI spec -> ``openai_kit.resources`` and ``openai_kit.types``.

Run ``python -m codegen`` from the repository root. The output is deterministic: running it twice
on the same spec produces byte-identical files.
"""
