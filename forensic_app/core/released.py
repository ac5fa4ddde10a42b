"""The released model bundle: the sha256 that the shipped ``weights/`` must hash to (see core/bundle.py).

Written by ``python -m forensic_app.core.bundle --release`` and by every tool that writes the
source checkout's ``weights/`` (train, calibrate, evaluate --update-manifest, the studies' fits);
do not edit by hand. The README prints the same value and Help > About shows it.
"""

RELEASED_BUNDLE_SHA256 = "6667016b05b06df40541c4d2fdb02ff9c411c60647ec3fe259e2074467d8e029"
