"""Entry script of the frozen app (PyInstaller needs a script, not a package's __main__)."""

import sys

from forensic_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
