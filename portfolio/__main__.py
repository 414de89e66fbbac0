"""``python -m portfolio``: the same as the ``aisfolio`` command."""

from portfolio.cli import main

main()
