/* Auto octave and loudness fitting (dsp/fit.h): the fitter's rules on
 * synthetic feature streams, then the engine with the shipped model: a low
 * hummed note comes out folded into the style's range, and loudness fitting
 * brings quiet and loud performances toward the style's level.
 * Usage: test_fit MODEL.hsm */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "analysis.h"
#include "check.h"
#include "fit.h"
#include "heist.h"
#include "model.h"
#include "test_model.h"

#define TWO_PI 6.28318530717958647692
#define FRAME_RATE 250.0

/* n frames of one note (confident) or of a rest. */
static void feed(heist_fit *f, int n, float midi, float loud, int voiced, float target)
{
	for (int i = 0; i < n; ++i) {
		heist_fit_frame(f, midi, loud, voiced, target);
	}
}

static void test_rules(void)
{
	heist_fit f;
	heist_fit_init(&f, FRAME_RATE);
	CHECK(heist_fit_octave(&f) == 0.0f, "no fold before a note");
	CHECK(heist_fit_loudness_offset(&f, -30.0f) == 0.0f, "no loudness offset before a note");
	feed(&f, 10, 0.0f, -20.0f, 0, 69.0f);
	CHECK(heist_fit_octave(&f) == 0.0f, "rests alone set nothing");

	/* A hum around A2 (45) toward a style centred on 69: two octaves up
	 * from its first frame. */
	feed(&f, 1, 45.0f, -50.0f, 1, 69.0f);
	CHECK(heist_fit_octave(&f) == 24.0f, "first note folds: %g", (double)heist_fit_octave(&f));
	CHECK(fabsf(heist_fit_loudness_offset(&f, -30.0f) - 20.0f) < 1e-4f, "loudness offset %g",
	      (double)heist_fit_loudness_offset(&f, -30.0f));

	/* The line climbs an octave inside one long note: the fold holds. */
	for (int i = 0; i < 1000; ++i) {
		heist_fit_frame(&f, 45.0f + 12.0f * (float)i / 1000.0f, -50.0f, 1, 69.0f);
	}
	CHECK(heist_fit_octave(&f) == 24.0f, "no refold inside a note");
	/* Between phrases it refolds once the running centre is over 8 st
	 * off; a breath inside a phrase (a rest under HEIST_FIT_PHRASE_REST_S)
	 * never does. */
	feed(&f, 2000, 57.0f, -50.0f, 1, 69.0f);
	CHECK(heist_fit_octave(&f) == 24.0f, "still held while voiced");
	const int phrase = (int)ceil(HEIST_FIT_PHRASE_REST_S * FRAME_RATE);
	feed(&f, phrase - 1, 0.0f, -90.0f, 0, 69.0f);
	CHECK(heist_fit_octave(&f) == 24.0f, "a breath keeps the fold: %g",
	      (double)heist_fit_octave(&f));
	feed(&f, 1, 57.0f, -50.0f, 1, 69.0f);
	feed(&f, phrase - 1, 0.0f, -90.0f, 0, 69.0f);
	CHECK(heist_fit_octave(&f) == 24.0f, "the rest count restarts after a note: %g",
	      (double)heist_fit_octave(&f));
	feed(&f, 1, 0.0f, -90.0f, 0, 69.0f);
	CHECK(heist_fit_octave(&f) == 12.0f, "refolds after a phrase: %g",
	      (double)heist_fit_octave(&f));
	/* Hysteresis: a centre 7 st from the target (pitch 62 + 0) does not
	 * flip back and forth. */
	heist_fit_reset(&f);
	feed(&f, 1, 62.0f, -40.0f, 1, 69.0f);
	CHECK(heist_fit_octave(&f) == 12.0f || heist_fit_octave(&f) == 0.0f, "nearest fold");
	const float first = heist_fit_octave(&f);
	feed(&f, 500, 62.5f, -40.0f, 1, 69.0f);
	feed(&f, phrase + 5, 0.0f, -90.0f, 0, 69.0f);
	CHECK(heist_fit_octave(&f) == first, "hysteresis keeps the fold");

	/* Loudness: the running average follows over seconds, bounded offset. */
	heist_fit_reset(&f);
	feed(&f, 1, 60.0f, -100.0f, 1, 60.0f);
	CHECK(heist_fit_loudness_offset(&f, 0.0f) == HEIST_FIT_MAX_LOUDNESS_DB, "bounded");
	feed(&f, (int)(FRAME_RATE * 30), 60.0f, -30.0f, 1, 60.0f);
	CHECK(fabsf(heist_fit_loudness_offset(&f, -30.0f)) < 0.1f, "follows: %g",
	      (double)heist_fit_loudness_offset(&f, -30.0f));

	/* Bad values change nothing. */
	heist_fit_reset(&f);
	feed(&f, 5, NAN, -30.0f, 1, 60.0f);
	feed(&f, 5, 50.0f, INFINITY, 1, 60.0f);
	feed(&f, 5, 50.0f, -30.0f, 1, NAN);
	CHECK(heist_fit_octave(&f) == 0.0f && heist_fit_loudness_offset(&f, -30.0f) == 0.0f,
	      "non-finite input ignored");
	CHECK(heist_fit_loudness_offset(&f, NAN) == 0.0f, "no target, no offset");
	/* Without a target pitch the loudness is still followed. */
	heist_fit_reset(&f);
	feed(&f, 1, 50.0f, -40.0f, 1, NAN);
	CHECK(heist_fit_octave(&f) == 0.0f, "no target pitch, no fold");
	CHECK(fabsf(heist_fit_loudness_offset(&f, -30.0f) - 10.0f) < 1e-4f,
	      "loudness followed without a target pitch: %g",
	      (double)heist_fit_loudness_offset(&f, -30.0f));
}

/* A sine at hz with amplitude amp, n samples (a 0.2 s rest first). */
static float *tone(double fs, size_t n, double hz, double amp)
{
	float *x = calloc(n, sizeof(float));
	for (size_t i = (size_t)(0.2 * fs); i < n; ++i) {
		x[i] = (float)(amp * sin(TWO_PI * hz * (double)i / fs));
	}
	return x;
}

static float *render(const heist_model *m, double fs, const float *in, size_t n, float octave,
                     float fit, float level_match)
{
	const heist_config cfg = heist_config_default(fs);
	heist_engine *e = heist_engine_new(&cfg, m);
	heist_engine_set_param(e, HEIST_PARAM_AUTO_OCTAVE, octave);
	heist_engine_set_param(e, HEIST_PARAM_LOUDNESS_FIT, fit);
	heist_engine_set_param(e, HEIST_PARAM_LEVEL_MATCH, level_match);
	float *out = calloc(n, sizeof(float));
	for (size_t i = 0; i < n; i += 256) {
		heist_engine_process(e, in + i, out + i, (uint32_t)(n - i < 256 ? n - i : 256));
	}
	heist_engine_free(e);
	return out;
}

/* Median pitch (Hz) of the confident frames of x from start to n. */
static double median_pitch(double fs, const float *x, size_t start, size_t n)
{
	heist_analysis *a = heist_analysis_new(fs, 50.0f);
	const uint32_t span = heist_analysis_span(a);
	float f0[4096];
	size_t k = 0;
	for (size_t at = start; at + span <= n && k < 4096; at += span / 2) {
		const heist_features f = heist_analysis_frame(a, x + at);
		if (f.confidence >= 0.8f) {
			f0[k++] = f.f0_raw;
		}
	}
	heist_analysis_free(a);
	for (size_t i = 1; i < k; ++i) { /* insertion sort: k is small */
		const float v = f0[i];
		size_t j = i;
		for (; j > 0 && f0[j - 1] > v; --j) {
			f0[j] = f0[j - 1];
		}
		f0[j] = v;
	}
	return k ? f0[k / 2] : 0.0;
}

static double rms(const float *x, size_t start, size_t n)
{
	double s = 0.0;
	for (size_t i = start; i < n; ++i) {
		s += (double)x[i] * x[i];
	}
	return sqrt(s / (double)(n - start));
}

static void test_engine(const heist_model *m)
{
	const double fs = 48000.0;
	const size_t n = (size_t)(3.0 * fs);
	const double hz = 110.0; /* MIDI 45: a low hum */
	const float median = m->styles[0].pitch_median;
	const double fold = 12.0 * round((median - 45.0) / 12.0);
	float *in = tone(fs, n, hz, 0.1);
	float *off = render(m, fs, in, n, 0.0f, 0.0f, 1.0f);
	float *on = render(m, fs, in, n, 1.0f, 0.0f, 1.0f);
	const double p_off = median_pitch(fs, off, (size_t)fs, n);
	const double p_on = median_pitch(fs, on, (size_t)fs, n);
	const double want = hz * pow(2.0, fold / 12.0);
	printf(
	    "auto octave: style median %.1f, input 110 Hz -> off %.1f Hz, on %.1f Hz (want %.1f)\n",
	    (double)median, p_off, p_on, want);
	CHECK(fabs(1200.0 * log2(p_off / hz)) < 50.0, "off keeps the pitch: %.1f", p_off);
	CHECK(fabs(1200.0 * log2(p_on / want)) < 50.0, "on folds by %.0f st: %.1f", fold, p_on);
	free(in);
	free(off);
	free(on);

	/* Quiet and loud performances of one note: with fitting, what the
	 * network plays (level match off: the instrument's own level) is much
	 * closer than without; with level match on (the default) the output
	 * follows the input's 40 dB whether fitted or not. */
	const double f_note = 440.0 * pow(2.0, (round(median) - 69.0) / 12.0);
	float *quiet = tone(fs, n, f_note, 0.003), *loud = tone(fs, n, f_note, 0.3);
	double spread[2], matched[2];
	for (int fit = 0; fit <= 1; ++fit) {
		for (int match = 0; match <= 1; ++match) {
			float *q = render(m, fs, quiet, n, 0.0f, (float)fit, (float)match);
			float *l = render(m, fs, loud, n, 0.0f, (float)fit, (float)match);
			const double d = 20.0 * log10(rms(l, (size_t)(2.0 * fs), n) /
			                              rms(q, (size_t)(2.0 * fs), n));
			*(match ? &matched[fit] : &spread[fit]) = d;
			free(q);
			free(l);
		}
	}
	printf("level match: 40 dB of input level gives %.1f dB of output (%.1f fitted)\n",
	       matched[0], matched[1]);
	/* 1 dB: the makeup gain matches the mean square over the last half
	 * second; the tone is steady, so only the estimate of the noise part's
	 * power (synth.h) is left. */
	CHECK(fabs(matched[0] - 40.0) < 1.0 && fabs(matched[1] - 40.0) < 1.0,
	      "level match follows the input: %.1f, %.1f dB for 40", matched[0], matched[1]);
	printf(
	    "loudness fit: 40 dB of input level gives %.1f dB of output without fitting, %.1f dB "
	    "with\n",
	    spread[0], spread[1]);
	CHECK(spread[1] < 0.5 * spread[0] && fabs(spread[1]) < 10.0,
	      "fitting brings levels together: %.1f vs %.1f dB", spread[1], spread[0]);
	free(quiet);
	free(loud);
}

int main(int argc, char **argv)
{
	heist_model *m = test_model_arg(argc, argv, "test_fit");
	test_rules();
	test_engine(m);
	heist_model_free(m);
	return check_exit("test_fit");
}
