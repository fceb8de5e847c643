"""MkDocs hook: links from docs/ to files outside it point to the repository on the site.

The pages link to the README, examples/ and twins/ by relative paths, so that they work where the
repository is read as files (a clone, a forge's file view). Those files are not pages of the
site, so strict mode would refuse the links: here each becomes a link to the file in the
repository at ``repo_url``.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

# A Markdown link or image target: ](path) or ](path#anchor), no scheme, no leading / or #.
LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|[/#])([^)\s]+)\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    folder = posixpath.dirname(page.file.src_uri)
    blob = f"{config['repo_url'].rstrip('/')}/blob/main"

    def outside(match: re.Match[str]) -> str:
        target = match.group(1)
        path, hashmark, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join("docs", folder, path))
        if resolved.startswith("docs/"):
            return match.group(0)  # a page or file of the site: MkDocs checks it
        tail = "/" if path.endswith("/") else ""
        return f"]({blob}/{resolved}{tail}{hashmark}{anchor})"

    return LINK.sub(outside, markdown)
