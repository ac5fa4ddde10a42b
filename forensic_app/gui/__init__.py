"""The desktop window: the only package that imports PySide6 or pyqtgraph.

Entry point: :func:`forensic_app.gui.app.run_gui`. Modules:

- ``settings``    persisted user preferences (JSON in the user config dir)
- ``scales``      frequency scales (linear / log / mel) and grid resampling, pure numpy
- ``colours``     value -> colour mapping (spectrogram colour maps, probability LUT)
- ``axes``        axis items: m:ss time, Hz/kHz frequency on any scale
- ``spectrogram_view``  spectrogram + heatmap overlay + timeline, sharing one time axis
- ``verdict_panel``     the score, its interval, attribution, comb evidence, notes
- ``workers``     decode / analysis / report off the GUI thread
- ``playback``    sounddevice output, optional (no device is normal)
- ``main_window`` menus, drag and drop, progress, banner, export
"""

# PySide6 6.12.0 drops references to None on CPython 3.11 and crashes the window:
# pyproject pins PySide6-Essentials < 6.12.
