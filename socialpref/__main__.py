"""``python -m socialpref``: the ``socialpref`` command.

An entry point only, like the ``socialpref`` script: no module of the library imports the
command line (``socialpref_cli``); this one runs it.
"""

if __name__ == "__main__":
    from socialpref_cli.main import app

    app(prog_name="socialpref")
