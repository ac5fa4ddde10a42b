"""The released model bundle: the sha256 that the shipped ``weights/`` must hash to (see core/bundle.py).

Written by ``python -m forensic_app.core.bundle --release`` and by every tool that writes the
source checkout's ``weights/`` (train, calibrate, evaluate --update-manifest, the studies' fits);
do not edit by hand. The README prints the same value and Help > About shows it.
"""

RELEASED_BUNDLE_SHA256 = "b397a40490440553554dd847fe2a158ae0c1395909929a6c9aae7e623f353231"
