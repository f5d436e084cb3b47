from setuptools import Extension, setup

# Metadata lives in pyproject.toml. The one compiled module, the reader of plain feed items, is optional:
# without a C compiler or Python's headers the install goes on and the feed is read in pure Python (same
# rows, same hashes, slower). It reads libxml2's tree through the headers that lxml ships.


def extensions() -> list[Extension]:
    try:
        import lxml
    except ImportError:
        return []
    return [
        Extension(
            "tiktok_pipelines.core._feed_rows",
            ["tiktok_pipelines/core/_feed_rows.c"],
            depends=["tiktok_pipelines/core/_blake2b.h"],
            include_dirs=lxml.get_include(),
            optional=True,
        )
    ]


setup(ext_modules=extensions())
