"""Benchmarks and scoreboards run from the checkout (not part of the installed packages)."""
