"""How the evidence is shown: frequency scale, FFT size, colour map, dB range, heatmap toggle and opacity.

Owns the toolbar widgets and View-menu actions for these, keeps them in step with each
other and with :class:`Settings`, and applies them to the :class:`AnalysisView`. The FFT size
changes the spectrogram drawn, which the owner recomputes (``fft_size_changed``); the analysis
keeps the model's own frames. :func:`scale_actions` and :func:`fft_size_actions` make the same
menu entries for the case window's lanes.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from PySide6 import QtCore, QtGui, QtWidgets

from .scales import SCALE_TIPS, SCALE_WORDS
from .settings import COLOUR_MAPS, FFT_SIZES, FREQ_SCALES, Settings
from .spectrogram_view import AnalysisView
from .spectrum_plot import SpectrumPlot

MIN_DB_SPAN = 10
FFT_TIP = (
    "Frame length of the spectrogram drawn: longer frames separate close frequencies (a bass line), "
    "shorter ones place sounds more exactly in time. The analysis always uses the model's own frames."
)


def _exclusive_actions(
    window: QtWidgets.QWidget, items: dict[Any, tuple[str, str]], chosen: Callable[[Any], None]
) -> tuple[QtGui.QActionGroup, dict[Any, QtGui.QAction]]:
    """One checkable action per ``items`` key (its text and tip), mutually exclusive, calling ``chosen(key)``."""
    group = QtGui.QActionGroup(window)
    actions: dict[Any, QtGui.QAction] = {}
    for key, (text, tip) in items.items():
        act = QtGui.QAction(text, window, checkable=True)
        act.setToolTip(tip)
        act.setStatusTip(tip)
        act.triggered.connect(lambda _=False, k=key: chosen(k))
        group.addAction(act)
        actions[key] = act
    return group, actions


def scale_actions(
    window: QtWidgets.QWidget, chosen: Callable[[str], None]
) -> tuple[QtGui.QActionGroup, dict[str, QtGui.QAction]]:
    """One checkable action per frequency scale (linear, log, mel), exclusive, calling ``chosen(name)``."""
    return _exclusive_actions(
        window, {name: (f"{SCALE_WORDS[name]} frequency scale", SCALE_TIPS[name]) for name in FREQ_SCALES}, chosen
    )


def fft_size_actions(
    window: QtWidgets.QWidget, chosen: Callable[[int], None]
) -> tuple[QtGui.QActionGroup, dict[int, QtGui.QAction]]:
    """One checkable action per display FFT size, exclusive, calling ``chosen(n_fft)``."""
    return _exclusive_actions(window, {n: (f"{n} samples", FFT_TIP) for n in FFT_SIZES}, chosen)


class ViewControls(QtCore.QObject):
    fft_size_changed = QtCore.Signal(int)  # the spectrogram's frame length: the owner draws it again

    def __init__(
        self,
        window: QtWidgets.QMainWindow,
        view: AnalysisView,
        settings: Settings,
        spectrum: Optional[SpectrumPlot] = None,
    ):
        """``spectrum``: the spectrum at the cursor, kept on the spectrogram's frequency scale."""
        super().__init__(window)
        self._view, self._settings, self._spectrum = view, settings, spectrum
        self.scale_group, self.scale_actions = scale_actions(window, self.set_freq_scale)
        self.fft_group, self.fft_actions = fft_size_actions(window, self.set_fft_size)
        self.cmap_group = QtGui.QActionGroup(self)
        self.cmap_actions: dict[str, QtGui.QAction] = {}
        for name in COLOUR_MAPS:
            act = QtGui.QAction(name.capitalize(), window, checkable=True)
            act.triggered.connect(lambda _=False, n=name: self.set_colour_map(n))
            self.cmap_group.addAction(act)
            self.cmap_actions[name] = act
        self.act_heatmap = QtGui.QAction("Show &heatmap", window, checkable=True)
        self.act_heatmap.setShortcut(QtGui.QKeySequence("H"))
        self.act_heatmap.setToolTip("Colour the patches whose detector reading is unusual for real music (H)")
        self.act_heatmap.triggered.connect(self.set_heatmap_visible)
        window.addAction(self.act_heatmap)

        self.scale_combo = QtWidgets.QComboBox()
        self.scale_combo.addItems([SCALE_WORDS[s] for s in FREQ_SCALES])
        self.scale_combo.setToolTip("Frequency scale of the spectrogram (log: a bass line gets room)")
        self.scale_combo.currentIndexChanged.connect(lambda i: self.set_freq_scale(FREQ_SCALES[i]))
        self.fft_combo = QtWidgets.QComboBox()
        self.fft_combo.addItems([str(n) for n in FFT_SIZES])
        self.fft_combo.setToolTip(FFT_TIP)
        self.fft_combo.currentIndexChanged.connect(lambda i: self.set_fft_size(FFT_SIZES[i]))
        self.cmap_combo = QtWidgets.QComboBox()
        self.cmap_combo.addItems([c.capitalize() for c in COLOUR_MAPS])
        self.cmap_combo.setToolTip("Colour map of the spectrogram")
        self.cmap_combo.currentIndexChanged.connect(lambda i: self.set_colour_map(COLOUR_MAPS[i]))
        self.floor_spin = self._db_spin(-200, 0, "Quietest level shown (darkest colour)")
        self.ceiling_spin = self._db_spin(-150, 20, "Loudest level shown (brightest colour)")
        self.heatmap_check = QtWidgets.QCheckBox("Heatmap")
        self.heatmap_check.setToolTip(self.act_heatmap.toolTip())
        self.heatmap_check.toggled.connect(self.set_heatmap_visible)
        self.opacity_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setFixedWidth(110)
        self.opacity_slider.setToolTip("Heatmap opacity")
        self.opacity_slider.valueChanged.connect(self._on_opacity_changed)
        self.apply(settings)

    def _db_spin(self, lo: int, hi: int, tip: str) -> QtWidgets.QSpinBox:
        spin = QtWidgets.QSpinBox()
        spin.setRange(lo, hi)
        spin.setSingleStep(5)
        spin.setSuffix(" dB")
        spin.setToolTip(tip)
        spin.valueChanged.connect(self._on_db_range_changed)
        return spin

    # ------------------------------------------------------------------ placing
    def add_to_toolbar(self, tb: QtWidgets.QToolBar) -> None:
        for label, widget in (
            (" Scale ", self.scale_combo),
            ("  FFT ", self.fft_combo),
            ("  Colours ", self.cmap_combo),
            ("  dB range ", self.floor_spin),
            (" to ", self.ceiling_spin),
        ):
            tb.addWidget(QtWidgets.QLabel(label))
            tb.addWidget(widget)
        tb.addSeparator()
        tb.addWidget(self.heatmap_check)
        tb.addWidget(self.opacity_slider)

    def add_to_menu(self, menu: QtWidgets.QMenu) -> None:
        for act in self.scale_actions.values():
            menu.addAction(act)
        menu.addMenu("FFT &size (spectrogram)").addActions(list(self.fft_actions.values()))
        cmaps = menu.addMenu("&Colour map")
        for act in self.cmap_actions.values():
            cmaps.addAction(act)
        menu.addAction(self.act_heatmap)

    # ------------------------------------------------------------------ state
    def apply(self, s: Settings) -> None:
        self.set_freq_scale(s.freq_scale)
        self._show_fft_size(s.fft_size)
        self.set_colour_map(s.colour_map)
        self._set_quietly(self.floor_spin, int(round(s.db_floor)))
        self._set_quietly(self.ceiling_spin, int(round(s.db_ceiling)))
        self._view.set_db_range(s.db_floor, s.db_ceiling)
        self._set_quietly(self.opacity_slider, int(round(s.overlay_opacity * 100)))
        self._view.set_overlay_opacity(s.overlay_opacity)
        self.set_heatmap_visible(s.overlay_visible)

    @staticmethod
    def _set_quietly(widget: QtWidgets.QWidget, value) -> None:
        widget.blockSignals(True)
        if isinstance(widget, QtWidgets.QComboBox):
            widget.setCurrentIndex(value)
        elif isinstance(widget, (QtWidgets.QAbstractButton, QtGui.QAction)):
            widget.setChecked(value)
        else:
            widget.setValue(value)
        widget.blockSignals(False)

    def set_freq_scale(self, name: str) -> None:
        if name not in FREQ_SCALES:
            return
        self._settings.freq_scale = name
        self.scale_actions[name].setChecked(True)
        self._set_quietly(self.scale_combo, FREQ_SCALES.index(name))
        self._view.set_freq_scale(name)
        if self._spectrum is not None:
            self._spectrum.set_freq_scale(name)

    def set_fft_size(self, n_fft: int) -> None:
        if n_fft not in FFT_SIZES:
            return
        changed = int(n_fft) != self._settings.fft_size
        self._settings.fft_size = int(n_fft)
        self._show_fft_size(n_fft)
        if changed:
            self.fft_size_changed.emit(int(n_fft))

    def _show_fft_size(self, n_fft: int) -> None:
        self.fft_actions[int(n_fft)].setChecked(True)
        self._set_quietly(self.fft_combo, FFT_SIZES.index(int(n_fft)))

    def set_colour_map(self, name: str) -> None:
        if name not in COLOUR_MAPS:
            return
        self._settings.colour_map = name
        self.cmap_actions[name].setChecked(True)
        self._set_quietly(self.cmap_combo, COLOUR_MAPS.index(name))
        self._view.set_colour_map(name)

    def set_heatmap_visible(self, visible: bool) -> None:
        visible = bool(visible)
        self._settings.overlay_visible = visible
        self._set_quietly(self.heatmap_check, visible)
        self._set_quietly(self.act_heatmap, visible)
        self._view.set_overlay_visible(visible)

    def _on_db_range_changed(self, _value: int = 0) -> None:
        floor, ceiling = self.floor_spin.value(), self.ceiling_spin.value()
        if ceiling - floor < MIN_DB_SPAN:  # keep a usable range whichever box moved
            if self.sender() is self.floor_spin:
                ceiling = floor + MIN_DB_SPAN
                self._set_quietly(self.ceiling_spin, ceiling)
            else:
                floor = ceiling - MIN_DB_SPAN
                self._set_quietly(self.floor_spin, floor)
        self._settings.db_floor, self._settings.db_ceiling = float(floor), float(ceiling)
        self._view.set_db_range(floor, ceiling)

    def _on_opacity_changed(self, value: int) -> None:
        self._settings.overlay_opacity = value / 100.0
        self._view.set_overlay_opacity(value / 100.0)
