"""``python -m privlint``: the same as the ``privlint`` console script."""

from privlint.cli import entry

entry()
