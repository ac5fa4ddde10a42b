"""The released model bundle: the sha256 that the shipped ``weights/`` must hash to (see core/bundle.py).

Written by ``python -m forensic_app.core.bundle --release`` and by every tool that writes the
source checkout's ``weights/`` (train, calibrate, evaluate --update-manifest, the studies' fits);
do not edit by hand. The README prints the same value and Help > About shows it.
"""

RELEASED_BUNDLE_SHA256 = "1ce72fac8a9aa939ee17833b64ff2e38c446a255d6a1e2b8fad26926f988a32b"
