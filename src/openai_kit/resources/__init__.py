"""Generated API resources."""
