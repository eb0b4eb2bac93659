/* heist-render --midi: a Standard MIDI File played by Heist Synth's engine
 * path (heist_engine_new_synth), as the plugin plays it. */
#ifndef HEIST_RENDER_MIDI_H
#define HEIST_RENDER_MIDI_H

#include "heist.h"

/* [main] Render midi_path to out_path (mono 32-bit float WAV at rate) in
 * blocks of `block`, with the given engine parameters; the output is aligned
 * with the file's time (the latency removed) unless keep_latency. Each event
 * is placed at round(seconds * rate). Returns 0, or 1 with a message on
 * stderr. */
int heist_render_midi(const char *midi_path, const char *out_path, const heist_model *model,
                      const heist_param *params, const float *values, int n_params, double rate,
                      long block, int keep_latency, int quiet);

#endif
