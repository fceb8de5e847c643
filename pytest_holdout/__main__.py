"""``python -m pytest_holdout``: the ``holdout`` command."""

from pytest_holdout.cli import main

raise SystemExit(main())
