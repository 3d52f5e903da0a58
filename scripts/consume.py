#!/usr/bin/env python
"""Read a Pulsar topic: runs :func:`broker.consume.main` (see that module for what it does and its options)."""
from broker.consume import main

if __name__ == "__main__":
    main()
