"""The OpenAI-compatible HTTP server and the ``constrained`` command line.

Importing this package is cheap: the server and the engine load only when a subcommand needs them.
"""
