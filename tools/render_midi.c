/* heist-render --midi (render_midi.h). */
#include "render_midi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "audio_io.h"
#include "model.h"
#include "smf.h"

#define TAIL_S 1.0 /* after the last event: the release (<= 0.25 s) and more */

/* An event's sample: its time rounded at the rate. */
static size_t sample_of(const heist_smf_event *ev, double rate)
{
	return (size_t)llround(ev->seconds * rate);
}

/* [main] The score through the engine into out[0, total), in blocks of at
 * most block samples; returns the events dropped. */
static size_t play(heist_engine *e, const heist_smf *smf, double rate, long block, float *out,
                   size_t total)
{
	size_t j = 0, dropped = 0;
	for (size_t done = 0; done < total;) {
		size_t n = total - done < (size_t)block ? total - done : (size_t)block;
		/* At most a queue's worth of events a block: the block ends where
		 * the one past it is due (more than that at one sample: dropped). */
		if (j + HEIST_MIDI_QUEUE < smf->n_events) {
			const size_t at = sample_of(&smf->events[j + HEIST_MIDI_QUEUE], rate);
			if (at > done && at - done < n) {
				n = at - done;
			}
		}
		for (; j < smf->n_events; ++j) {
			const size_t at = sample_of(&smf->events[j], rate);
			if (at >= done + n) {
				break;
			}
			if (heist_engine_midi(e, (uint32_t)(at - done), smf->events[j].msg,
			                      smf->events[j].size)) {
				++dropped;
			}
		}
		heist_engine_process(e, NULL, out + done, (uint32_t)n);
		done += n;
	}
	return dropped;
}

int heist_render_midi(const char *midi_path, const char *out_path, const heist_model *model,
                      const heist_param *params, const float *values, int n_params, double rate,
                      long block, int keep_latency, int quiet)
{
	heist_smf smf;
	char err[512];
	if (heist_smf_read(midi_path, &smf, err, sizeof(err))) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	const heist_config cfg = heist_config_default(rate);
	heist_engine *e = heist_engine_new_synth(&cfg, model);
	if (!e) {
		fprintf(stderr, "error: cannot run at %g Hz with this model\n", rate);
		heist_smf_free(&smf);
		return 1;
	}
	for (int i = 0; i < n_params; ++i) {
		heist_engine_set_param(e, params[i], values[i]);
	}
	const size_t latency = keep_latency ? 0 : heist_engine_latency(e);
	const size_t frames = (size_t)ceil((smf.length + TAIL_S) * rate);
	const size_t total = frames + latency;
	float *out = calloc(total, sizeof(float));
	if (!out) {
		fprintf(stderr, "error: out of memory\n");
		heist_engine_free(e);
		heist_smf_free(&smf);
		return 1;
	}
	const clock_t t0 = clock();
#ifdef __SSE__
	const unsigned int saved_csr = _mm_getcsr(); /* FTZ | DAZ, as the plugin */
	_mm_setcsr(saved_csr | 0x8040u);
#endif
	const size_t dropped = play(e, &smf, rate, block, out, total);
#ifdef __SSE__
	_mm_setcsr(saved_csr);
#endif
	const double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	const int rc = heist_audio_write(out_path, out + latency, frames, rate);
	if (dropped) {
		fprintf(stderr, "warning: %zu events dropped (more than %u at one sample)\n",
		        dropped, HEIST_MIDI_QUEUE);
	}
	if (!rc && !quiet) {
		const double secs = (double)frames / rate;
		fprintf(
		    stderr,
		    "rendered %s (SMF format %u, %u tracks, %zu events) to %.2f s at %g Hz with "
		    "'%s' in %.3f s CPU (%.0fx real time); latency %u samples%s\nwrote %s\n",
		    midi_path, smf.format, smf.n_tracks, smf.n_events, secs, rate, model->name, cpu,
		    cpu > 0 ? secs / cpu : 0.0, heist_engine_latency(e),
		    keep_latency ? ", kept in the output" : ", removed from the output", out_path);
	}
	free(out);
	heist_engine_free(e);
	heist_smf_free(&smf);
	return rc ? 1 : 0;
}
