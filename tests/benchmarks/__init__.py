"""Benchmarks, run with `make bench` (python -m tests.benchmarks.run); report in .bench/report.md.

No module here is named test_*.py, so pytest never collects them: they need their own large
database and minutes of run time, which the test suite must not pay for.
"""
