"""The jcds2 benchmark suite: ``python -m benchmarks [--quick]`` (or ``make bench``).

Compares jcds2 downloads with curl and jcds2 uploads with boto3, process against process,
and writes the results to ``docs/benchmarks.md``. Not a test package: pytest never collects
it (no ``test_*.py`` files, and ``tests/`` is the only test path).
"""
