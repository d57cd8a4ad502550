"""The ``socialpref`` command line (installed as the ``socialpref_cli`` package)."""
