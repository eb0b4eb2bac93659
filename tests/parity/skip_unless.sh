# Sourced by the training smoke tests (run_smoke.sh, run_heist_train.sh):
# skip_unless PYTHON MODULES WHAT exits 77 (skipped) unless PYTHON imports
# MODULES ("numpy, torch") and FluidSynth with FluidR3_GM is installed.
skip_unless() {
	if ! "$1" -c "import $2" 2>/dev/null; then
		echo "$3 not available for $1: skipping"
		exit 77
	fi
	if ! command -v fluidsynth >/dev/null || [ ! -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ]; then
		echo "fluidsynth or FluidR3_GM.sf2 missing: skipping"
		exit 77
	fi
}
