"""Entry script of the frozen app (PyInstaller needs a script, not a package's __main__)."""

import multiprocessing
import sys

from forensic_app.cli import main

if __name__ == "__main__":
    # `batch --jobs N` starts worker processes: in a frozen app they re-run this script, and
    # freeze_support() turns them into workers instead of a second app
    multiprocessing.freeze_support()
    sys.exit(main())
