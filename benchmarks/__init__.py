"""Benchmark harness comparing openai-kit with the official SDK and plain HTTP clients (see run.py).

Kept empty on purpose: worker processes import this package and must not pay for anything here.
"""
