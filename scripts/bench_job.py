#!/usr/bin/env python
"""The job benchmark: runs :func:`benchmarks.job.main` (see that module for what it does and its options)."""
from benchmarks.job import main

if __name__ == "__main__":
    main()
