#!/usr/bin/env bash
# System packages forensic_app needs on Debian/Ubuntu: ffmpeg (AAC/M4A), Qt's xcb/EGL
# libraries (the window), PortAudio (playback), poppler-utils (PDF checks in tests), xvfb
# (packaging/smoke.sh starts the frozen app's xcb window on a virtual screen).
# Uses sudo when not root. Safe to run again.
set -euo pipefail
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
PKGS="python3-venv ffmpeg libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libportaudio2 poppler-utils fonts-dejavu-core xvfb xauth"
# --studies: what building the training data (forensic-app data build --subset full) and the studies in
# benchmarks/ need besides: MIDI rendered through recorded instruments (fluidsynth and three General MIDI
# soundfonts: FluidR3 GM, MIT; TimGM6mb, GPL-2; MuseScore General Lite, MIT)
if [ "${1:-}" = "--studies" ]; then
  PKGS="$PKGS fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont-small"
fi
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
