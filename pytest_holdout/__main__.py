"""``python -m pytest_holdout``: the ``holdout`` command."""

from pytest_holdout.cli.main import main

raise SystemExit(main())
