"""``python -m snapverify``: the same as the ``snapverify`` command."""

from snapverify.cli import main

if __name__ == "__main__":
    main(prog_name="snapverify")
