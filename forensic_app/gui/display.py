"""Is there a screen to open a window on? Checked before Qt is imported.

Without one, Qt's xcb plugin aborts the process (exit 134, "could not connect to display")
with a message that tells a non-programmer nothing. Importing this module imports no Qt.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping, Optional

NO_DISPLAY_MESSAGE = (
    "forensic-app: no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
    "  - Start it from a desktop session (a terminal inside your desktop, or the app's menu entry).\n"
    "  - For a window screenshot without a screen: QT_QPA_PLATFORM=offscreen forensic-app gui FILE "
    "--screenshot OUT.png\n"
    "  - To analyse without a window: forensic-app analyze FILE (or forensic-app report FILE -o OUT.pdf)"
)


def display_problem(env: Optional[Mapping[str, str]] = None, platform: Optional[str] = None) -> Optional[str]:
    """A message saying what to do when no window can be shown, else None.

    Only Linux (and the BSDs) need a display server; an explicit ``QT_QPA_PLATFORM`` (offscreen,
    vnc, eglfs...) is the user's choice and is left to Qt.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not (platform.startswith("linux") or "bsd" in platform):
        return None
    if env.get("QT_QPA_PLATFORM") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return NO_DISPLAY_MESSAGE
