"""``python -m aisfolio``: the same as the ``aisfolio`` command."""

from aisfolio.app.cli import main

main()
