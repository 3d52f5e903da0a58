#!/usr/bin/env python
"""The benchmark of calls into Flink: runs :func:`benchmarks.calls.main` (see that module for what it does and its options)."""
from benchmarks.calls import main

if __name__ == "__main__":
    main()
