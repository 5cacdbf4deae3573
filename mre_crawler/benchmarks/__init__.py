"""Benchmarks behind ``mre bench <name>``: each module here exposes ``register(subparsers)``.

Benchmarks print a table; they never assert timings (the machines are shared and noisy).
"""
