"""HTTP routes, one module per API area; all are mounted under ``/v1``."""
