#!/usr/bin/env bash
# Smoke test of the frozen one-folder app (after `pyinstaller packaging/forensic_app.spec`):
# from another folder, with a fresh settings folder, it must
#   answer --version, analyse the bundled demo (JSON with a verdict), open the window offscreen
#   on the demo, wait for the analysis and write a screenshot, write the PDF report, open two demo
#   versions as a case (window screenshot, .facase file and case report), and refuse
#   the window cleanly (exit 2) without a display;
# and nothing may print a missing module, a missing Qt plugin or a traceback.
# Usage: bash packaging/smoke.sh [dist/forensic-app] [OUT_DIR]    (exit 0: all good)
set -uo pipefail
APP_DIR=$(cd "${1:-dist/forensic-app}" && pwd) || { echo "smoke: no bundle at ${1:-dist/forensic-app}" >&2; exit 1; }
OUT=${2:-$(mktemp -d /tmp/forensic-smoke.XXXXXX)}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
APP="$APP_DIR/forensic-app"
export FORENSIC_APP_CONFIG_DIR="$OUT/config" OMP_WAIT_POLICY=PASSIVE
unset FORENSIC_APP_WEIGHTS
failures=0
fail() { echo "smoke: FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "smoke: ok: $*"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%02d' $((d / 1000)) $((d % 1000 / 10)); }
BAD='ModuleNotFoundError|No module named|ImportError|Traceback|Could not (find|load) the Qt platform plugin|is missing|FileNotFoundError|cannot open shared object'
check_log() {  # name, log file
  if grep -Eq "$BAD" "$2"; then fail "$1 printed:"; grep -E "$BAD" "$2" | head -5 >&2; fi
}

[ -x "$APP" ] || { echo "smoke: $APP is not an executable" >&2; exit 1; }
DEMO=$(find "$APP_DIR" -path '*_bundled/demo/*.flac' | head -1)
[ -n "$DEMO" ] && ok "demo track inside the bundle: ${DEMO#$APP_DIR/}" || fail "no demo track in the bundle"
for f in manifest.json patch_cnn.pt calibration.json comb_reference.json; do
  [ -n "$(find "$APP_DIR" -path "*_bundled/weights/$f")" ] || fail "weights/$f missing from the bundle"
done
for p in libqxcb.so libqoffscreen.so; do
  [ -n "$(find "$APP_DIR" -path "*plugins/platforms/$p")" ] || fail "Qt platform plugin $p missing"
done
cd /tmp  # nothing may come from the source checkout

start=$(now_ms)
"$APP" --version >"$OUT/version.log" 2>&1 || fail "--version exited $?"
ok "--version: $(head -1 "$OUT/version.log") in $(secs_since "$start") s"

"$APP" analyze "$DEMO" --json --no-progress >"$OUT/analyze.json" 2>"$OUT/analyze.log" || fail "analyze exited $?"
check_log analyze "$OUT/analyze.log"
grep -Eq '"verdict": "[a-z_]+"' "$OUT/analyze.json" && ok "analyze: $(grep -m1 '"verdict"' "$OUT/analyze.json" | tr -d ' ,')" \
  || fail "analyze printed no verdict"

start=$(now_ms)
QT_QPA_PLATFORM=offscreen "$APP" gui "$DEMO" --screenshot "$OUT/window.png" >"$OUT/gui.log" 2>&1 || fail "gui --screenshot exited $?"
check_log gui "$OUT/gui.log"
if [ "$(head -c 4 "$OUT/window.png" 2>/dev/null | tail -c 3)" = "PNG" ]; then
  ok "window screenshot $OUT/window.png (start, analysis and grab in $(secs_since "$start") s)"
else fail "no PNG screenshot"; fi

if command -v xvfb-run >/dev/null; then  # the real window system too: xcb on a small virtual screen
  FORENSIC_APP_DEBUG=1 xvfb-run -a -s "-screen 0 1024x700x24" env -u QT_QPA_PLATFORM -u WAYLAND_DISPLAY \
    "$APP" gui "$DEMO" --screenshot "$OUT/window-xcb.png" >"$OUT/xcb.log" 2>&1 || fail "gui on xcb (Xvfb) exited $?"
  check_log "gui on xcb" "$OUT/xcb.log"
  if [ "$(head -c 4 "$OUT/window-xcb.png" 2>/dev/null | tail -c 3)" = "PNG" ]; then
    ok "xcb window on a 1024x700 screen: $OUT/window-xcb.png; $(grep -o '[a-z ]* shown at [0-9.]* s' "$OUT/xcb.log" | paste -sd ';')"
  else fail "no screenshot from the xcb window"; fi
else
  echo "smoke: skipped the xcb window (no xvfb-run; packaging/install-deps.sh installs it)"
fi

"$APP" report "$DEMO" -o "$OUT/report.pdf" --force --no-progress >"$OUT/report.log" 2>&1 || fail "report exited $?"
check_log report "$OUT/report.log"
if [ "$(head -c 5 "$OUT/report.pdf" 2>/dev/null)" = "%PDF-" ]; then
  if command -v pdftotext >/dev/null; then
    sha=$(sha256sum "$DEMO" | cut -c1-12)
    pdftotext "$OUT/report.pdf" "$OUT/report.txt" && grep -q "$sha" "$OUT/report.txt" && ok "report $OUT/report.pdf (carries the demo's sha256 $sha...)" \
      || fail "report text lacks the file's sha256 $sha"
  else ok "report $OUT/report.pdf"; fi
else fail "no PDF report"; fi

# a case: the demo's versions as lanes, in the case window and as a .facase with its report
VERSIONS=$(find "$APP_DIR" -path '*_bundled/demo/*.flac' | sort | head -2)
if [ "$(echo "$VERSIONS" | wc -l)" = 2 ]; then
  # shellcheck disable=SC2086
  QT_QPA_PLATFORM=offscreen "$APP" gui $VERSIONS --screenshot "$OUT/case.png" >"$OUT/case-gui.log" 2>&1 \
    || fail "case window (gui FILE FILE --screenshot) exited $?"
  check_log "case window" "$OUT/case-gui.log"
  [ "$(head -c 4 "$OUT/case.png" 2>/dev/null | tail -c 3)" = "PNG" ] && ok "case window screenshot $OUT/case.png" \
    || fail "no case window screenshot"
  # shellcheck disable=SC2086
  "$APP" case "$OUT/demo.facase" $VERSIONS --report "$OUT/case.pdf" --force --no-progress >"$OUT/case.log" 2>&1 \
    || fail "case exited $?"
  check_log case "$OUT/case.log"
  [ "$(head -c 5 "$OUT/case.pdf" 2>/dev/null)" = "%PDF-" ] && ok "case file and report: $(head -1 "$OUT/case.log")" \
    || fail "no case report"
else fail "fewer than two demo versions in the bundle"; fi

env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$APP" gui >"$OUT/nodisplay.log" 2>&1
code=$?
[ "$code" = 2 ] && grep -q "no display" "$OUT/nodisplay.log" && ok "without a display: exit 2 with advice" \
  || fail "without a display: exit $code: $(head -2 "$OUT/nodisplay.log")"

echo "smoke: bundle $(du -sh "$APP_DIR" | cut -f1), outputs in $OUT"
[ "$failures" = 0 ] && echo "smoke: PASSED" || { echo "smoke: $failures FAILED" >&2; exit 1; }
