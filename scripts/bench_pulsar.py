#!/usr/bin/env python
"""The benchmark on Pulsar: runs :func:`benchmarks.on_pulsar.main` (see that module for what it does and its options)."""
from benchmarks.on_pulsar import main

if __name__ == "__main__":
    main()
