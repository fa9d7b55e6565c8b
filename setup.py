"""Build the compiled street-file scanner, ``crimestats.io._streetscan`` (everything else is in pyproject.toml).

It is optional: where no C compiler is at hand the install goes on without it, and street files
are parsed by pyarrow alone (slower, same results).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "crimestats.io._streetscan",
            sources=["src/crimestats/io/_streetscan.c"],
            # Vendored xxHash (src/crimestats/io/xxhash/README.md), included by the scanner.
            depends=["src/crimestats/io/xxhash/xxhash.h"],
            optional=True,
        ),
    ]
)
