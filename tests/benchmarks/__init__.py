"""Benchmarks, run with `make bench`; reports in .bench/.

- run.py: set-based area assignment (python -m tests.benchmarks.run; .bench/report.md);
- api.py: the REST API under load, served by gunicorn and loaded by wrk (python -m tests.benchmarks.api;
  .bench/api-report.md);
- common.py: their shared database (``registry_bench``) and seeded register.

No module here is named test_*.py, so pytest never collects them: they need their own large
database and minutes of run time, which the test suite must not pay for.
"""
