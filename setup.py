"""Build hook: copy the top-level ``weights/`` and ``resources/demo/`` into the package.

The repository keeps them at the top level (training writes ``weights/``); a wheel must
carry them inside ``forensic_app`` so that ``pip install forensic_app-*.whl`` works from any
folder. Whole folders are copied, so files added there later (a third-party model and its
LICENSE, say) ship without touching this file. ``forensic_app/resources.py`` finds them.
Editable installs copy nothing: they read the repository's folders directly.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# folder in the repository -> folder inside the package (see forensic_app/resources.py)
BUNDLED_DATA = {"weights": "forensic_app/_bundled/weights", "resources/demo": "forensic_app/_bundled/demo"}


class build_py_with_data(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for source, target in BUNDLED_DATA.items():
            src = ROOT / source
            if not (src / ("manifest.json" if source == "weights" else "CREDITS.txt")).is_file():
                raise SystemExit(f"setup.py: {src} is missing or incomplete; cannot build a package without it")
            dest = Path(self.build_lib) / target
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": build_py_with_data})
