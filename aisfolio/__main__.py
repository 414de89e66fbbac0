"""``python -m aisfolio``: the same as the ``aisfolio`` command."""

from aisfolio.portfolio.cli import main

main()
