"""``python -m aulac_rag.cli`` runs the ``aulac`` command."""

from aulac_rag.cli.main import main

main()
