"""The desktop window: the only package that imports PySide6 or pyqtgraph.

Entry point: :func:`forensic_app.gui.app.run_gui`. Modules:

- ``settings``    persisted user preferences (JSON in the user config dir)
- ``scales``      frequency scales (linear / log / mel) and grid resampling, pure numpy
- ``colours``     value -> colour mapping (spectrogram colour maps, probability LUT)
- ``axes``        axis items: m:ss time, Hz/kHz frequency on any scale
- ``spectrogram_view``  spectrogram + heatmap overlay + timeline, sharing one time axis
  (``navigation``: what the wheel, drags and keys do to it)
- ``verdict_panel``     the score, its interval, attribution, comb evidence, notes
- ``jobs``        JobRunner: every background task, one cancel scheme (CancelToken + job id)
- ``workers``     what the track's jobs do: decode + analysis, detail, robustness, report
- ``playback``    sounddevice output, optional (no device is normal)
- ``track_controller``  the open track without widgets: jobs, robustness state, playback, enablement
- ``main_window`` the window over it: layout, drawing, dialogs (``window_menus``: actions, menus,
  toolbar, status bar; ``file_routing``: drops, case windows, the Queue)
- ``queue_panel`` the Queue: a batch in the background, triage with the keyboard (``queue_model``: the
  table, its filter and keys, over the headless ``batch.triage`` and ``batch.decisions``)
- ``case_window`` lanes of a case (``case_files``: open, save, relink, report; ``case_jobs``: each
  lane's analysis and detail jobs)
"""

# PySide6 6.12.0 drops references to None on CPython 3.11 and crashes the window:
# pyproject pins PySide6-Essentials < 6.12.
