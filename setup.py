"""Build the two compiled modules (everything else is in pyproject.toml).

- ``crimestats.io._streetscan``: the street-file scanner (src/crimestats/io/_streetscan.c);
- ``crimestats.store._digest``: the store's content digest (src/crimestats/store/_digest.c).

Both are optional: where no C compiler is at hand the install goes on without them, street files
are parsed by pyarrow alone and the store records SHA-256 digests (slower, same results).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "crimestats.io._streetscan",
            sources=["src/crimestats/io/_streetscan.c"],
            optional=True,
        ),
        Extension("crimestats.store._digest", sources=["src/crimestats/store/_digest.c"], optional=True),
    ]
)
