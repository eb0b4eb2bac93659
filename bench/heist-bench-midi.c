/* heist-bench-midi: the speed of Heist Synth and the cost of the effect's
 * MIDI out.
 *
 *   heist-bench-midi [--model FILE.hsm] [--seconds S] [--reps R]
 *
 * Prints, median of R runs of S seconds (default 60, 9), this thread's CPU:
 *   - Heist Synth (heist_engine_new_synth) playing a deterministic melody
 *     (legato and detached notes, bends, mod wheel, sustain) at 44.1, 48 and
 *     96 kHz in blocks of 256: real-time factor;
 *   - the effect at 48 kHz/256 on a sung-like line without and with the note
 *     tracker of the MIDI out fed from the frame hook (dsp/notes.h), runs
 *     alternated: the relative extra cost.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "heist.h"
#include "model.h"
#include "notes.h"

#define MAX_REPS 31
#define BLOCK 256u

static double median(double *v, int n)
{
	sort_doubles(v, (size_t)n);
	return v[n / 2];
}

/* The melody's event at sample t, if any: a note every 0.3 s (every third
 * one detached, the others legato), a bend and the mod wheel in each. */
static int melody_event(uint64_t t, double fs, uint8_t msg[3])
{
	const uint64_t step = (uint64_t)(0.3 * fs);
	const uint64_t k = t / step, r = t % step;
	static const uint8_t notes[8] = {60, 64, 67, 72, 71, 67, 65, 62};
	if (r == 0) {
		msg[0] = 0x90;
		msg[1] = notes[k % 8];
		msg[2] = (uint8_t)(60 + (k * 13) % 60);
		return 1;
	}
	if (r == step / 2 && k % 3 == 2) { /* detached: off halfway */
		msg[0] = 0x80;
		msg[1] = notes[k % 8];
		msg[2] = 0;
		return 1;
	}
	if (r == 10 && k > 0 && (k - 1) % 3 != 2) { /* legato: the previous off after */
		msg[0] = 0x80;
		msg[1] = notes[(k - 1) % 8];
		msg[2] = 0;
		return 1;
	}
	if (r == step / 4) {
		const int v = 8192 + (int)((k % 5) * 600);
		msg[0] = 0xE0;
		msg[1] = (uint8_t)(v & 127);
		msg[2] = (uint8_t)(v >> 7);
		return 1;
	}
	if (r == step / 3) {
		msg[0] = 0xB0;
		msg[1] = 1;
		msg[2] = (uint8_t)((k * 37) % 128);
		return 1;
	}
	return 0;
}

static double synth_once(const heist_model *m, double fs, size_t n, float *out)
{
	const heist_config cfg = heist_config_default(fs);
	heist_engine *e = heist_engine_new_synth(&cfg, m);
	if (!e) {
		fprintf(stderr, "error: no synth at %g Hz\n", fs);
		exit(1);
	}
	const double t0 = cpu_now();
	for (size_t done = 0; done < n; done += BLOCK) {
		const uint32_t len = n - done < BLOCK ? (uint32_t)(n - done) : BLOCK;
		for (uint32_t i = 0; i < len; ++i) {
			uint8_t msg[3];
			if (melody_event(done + i, fs, msg)) {
				heist_engine_midi(e, i, msg, 3);
			}
		}
		heist_engine_process(e, NULL, out + done, len);
	}
	const double t = cpu_now() - t0;
	heist_engine_free(e);
	return t;
}

/* A sung-like line: notes with vibrato and rests (the effect's input). */
static float *make_line(double fs, size_t n)
{
	float *x = malloc(n * sizeof(float));
	double phase = 0.0;
	static const double notes[6] = {57, 60, 64, 62, 59, 65};
	for (size_t i = 0; i < n; ++i) {
		const double t = (double)i / fs;
		const size_t k = (size_t)(t / 0.5);
		const double in_note = fmod(t, 0.5);
		const double f = 440.0 * pow(2.0, (notes[k % 6] - 69.0) / 12.0) *
		                 pow(2.0, 0.3 * sin(2.0 * M_PI * 5.5 * t) / 12.0);
		phase = fmod(phase + f / fs, 1.0);
		const double env = in_note < 0.42 ? 0.3 : 0.0;
		x[i] = (float)(env * (sin(2.0 * M_PI * phase) + 0.4 * sin(4.0 * M_PI * phase)));
	}
	return x;
}

/* The frames of one effect run, kept to time the tracker alone. */
typedef struct {
	double centre;
	heist_monitor m;
} frame_rec;
static frame_rec *recs;
static size_t n_recs, cap_recs;

static void record(void *user, double centre, const heist_monitor *m)
{
	(void)user;
	if (n_recs < cap_recs) {
		recs[n_recs++] = (frame_rec){centre, *m};
	}
}

static void hook(void *user, double centre, const heist_monitor *m)
{
	heist_notes_frame(user, centre, m->pitch_hz > 0.0f ? m->read_pitch_hz : 0.0f,
	                  m->read_pitch_hz, m->confidence, m->loudness_db);
}

static double effect_once(const heist_model *m, double fs, const float *in, float *out, size_t n,
                          heist_notes *notes, size_t *events)
{
	const heist_config cfg = heist_config_default(fs);
	heist_engine *e = heist_engine_new(&cfg, m);
	if (notes) {
		heist_notes_init(notes, fs, m->frame_rate);
		heist_engine_set_frame_hook(e, hook, notes);
	}
	const double t0 = cpu_now();
	for (size_t done = 0; done < n; done += BLOCK) {
		const uint32_t len = n - done < BLOCK ? (uint32_t)(n - done) : BLOCK;
		heist_engine_process(e, in + done, out + done, len);
		heist_note_event ev;
		while (notes && heist_notes_pop(notes, (double)(done + len), &ev)) {
			++*events; /* what the plugin writes to its port */
		}
	}
	const double t = cpu_now() - t0;
	heist_engine_free(e);
	return t;
}

int main(int argc, char **argv)
{
	const char *model_path = HEIST_MODEL_SOURCE;
	double seconds = 60.0;
	int reps = 9;
	for (int i = 1; i < argc; ++i) {
		if (option_arg(argc, argv, &i, "--model")) {
			model_path = argv[i];
		} else if (!double_arg(argc, argv, &i, "--seconds", &seconds) &&
		           !int_arg(argc, argv, &i, "--reps", &reps)) {
			fprintf(stderr, "usage: heist-bench-midi [--model FILE.hsm] [--seconds S] "
			                "[--reps R]\n");
			return 2;
		}
	}
	if (!(seconds >= 1.0 && seconds <= 3600.0) || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "error: --seconds wants 1..3600, --reps 1..%d\n", MAX_REPS);
		return 2;
	}
	char err[512];
	heist_model *m = heist_model_load(model_path, err, sizeof err);
	if (!m) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	printf("heist-bench-midi: model '%s', %.0f s per run, median of %d, blocks of %u\n",
	       m->name, seconds, reps, BLOCK);
	const double rates[3] = {44100.0, 48000.0, 96000.0};
	for (int r = 0; r < 3; ++r) {
		const size_t n = (size_t)(seconds * rates[r]);
		float *out = malloc(n * sizeof(float));
		double t[MAX_REPS];
		for (int k = 0; k < reps; ++k) {
			t[k] = seconds / synth_once(m, rates[r], n, out);
		}
		printf("Heist Synth %5.1f kHz: %6.0fx real time\n", rates[r] / 1000.0,
		       median(t, reps));
		free(out);
	}
	const double fs = 48000.0;
	const size_t n = (size_t)(seconds * fs);
	float *in = make_line(fs, n), *out = malloc(n * sizeof(float));
	heist_notes *notes = malloc(sizeof(heist_notes));
	double plain[MAX_REPS], with[MAX_REPS], ratio[MAX_REPS];
	size_t events = 0;
	for (int k = 0; k < reps; ++k) {
		plain[k] = effect_once(m, fs, in, out, n, NULL, &events);
		events = 0;
		with[k] = effect_once(m, fs, in, out, n, notes, &events);
		ratio[k] = with[k] / plain[k] - 1.0;
	}
	const double extra = median(ratio, reps);
	/* The tracker alone on the run's frames: its share does not drown in
	 * the run-to-run noise of a shared machine. */
	cap_recs = (size_t)(seconds * m->frame_rate) + 16;
	recs = malloc(cap_recs * sizeof(frame_rec));
	{
		const heist_config cfg = heist_config_default(fs);
		heist_engine *e = heist_engine_new(&cfg, m);
		heist_engine_set_frame_hook(e, record, NULL);
		for (size_t done = 0; done < n; done += BLOCK) {
			const uint32_t len = n - done < BLOCK ? (uint32_t)(n - done) : BLOCK;
			heist_engine_process(e, in + done, out + done, len);
		}
		heist_engine_free(e);
	}
	double per_frame[MAX_REPS];
	for (int k = 0; k < reps; ++k) {
		heist_notes_init(notes, fs, m->frame_rate);
		const double t0 = cpu_now();
		for (size_t i = 0; i < n_recs; ++i) {
			const heist_monitor *mr = &recs[i].m;
			heist_notes_frame(notes, recs[i].centre,
			                  mr->pitch_hz > 0.0f ? mr->read_pitch_hz : 0.0f,
			                  mr->read_pitch_hz, mr->confidence, mr->loudness_db);
			heist_note_event ev;
			while (heist_notes_pop(notes, recs[i].centre, &ev)) {
			}
		}
		per_frame[k] = (cpu_now() - t0) / (double)n_recs;
	}
	const double tracker = median(per_frame, reps) * (double)n_recs;
	printf("note tracker alone: %.0f ns per frame, %.3f %% of the effect's CPU time\n",
	       1e9 * tracker / (double)n_recs, 100.0 * tracker / median(plain, reps));
	free(recs);
	printf("effect 48 kHz: %.0fx real time without MIDI out, %.0fx with (%zu events); "
	       "MIDI out costs %+.2f %% (median of per-pair ratios)\n",
	       seconds / median(plain, reps), seconds / median(with, reps), events, 100.0 * extra);
	free(notes);
	free(in);
	free(out);
	heist_model_free(m);
	return 0;
}
