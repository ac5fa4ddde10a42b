"""The released model bundle: the sha256 that the shipped ``weights/`` must hash to (see core/bundle.py).

Written by ``python -m forensic_app.core.bundle --release`` and by every tool that writes the
source checkout's ``weights/`` (train, calibrate, evaluate --update-manifest, the studies' fits);
do not edit by hand. The README prints the same value and Help > About shows it.
"""

RELEASED_BUNDLE_SHA256 = "4851c359cc87732063423bdac95ed54f15b91b8a4a98b913b8fb26265b59e586"
