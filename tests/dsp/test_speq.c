/* The spectral correction (dsp/speq.h): the gains a curve gives harmonics
 * and noise bands, the frame's power kept; the curve of a pitch and of a
 * morph; a known curve changing a render of the shipped network as it
 * should; block splits under morph automation bit-identical with it on.
 * Usage: test_speq MODEL.hsm */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fft.h"
#include "heist.h"
#include "model.h"
#include "speq.h"
#include "test_model.h"

#define TWO_PI 6.28318530717958647692

/* A known correction in place of the model's own (the shipped network
 * stays): the model's fields point at the test's arrays until restore().
 * The noise bands' tables were walked on the parsed centres: cleared
 * (speq_walked = 0) while the test's are in place. */
typedef struct {
	uint32_t bands, pitches, walked;
	float centres[HSM_SPEQ_MAX_BANDS];
	float *pitch, *db;
} saved_speq;

static float test_pitch[256 * HSM_SPEQ_MAX_PITCHES];
static float test_db[256 * HSM_SPEQ_MAX_PITCHES * HSM_SPEQ_MAX_BANDS];

/* The model's correction, for restore(); its tables marked stale (the
 * caller puts other centres, or none, in its place). */
static saved_speq save(heist_model *m)
{
	saved_speq s = {.bands = m->speq_bands,
	                .pitches = m->speq_pitches,
	                .walked = m->speq_walked,
	                .pitch = m->speq_pitch,
	                .db = m->speq_db};
	memcpy(s.centres, m->speq_centres, sizeof s.centres);
	m->speq_walked = 0;
	return s;
}

/* Every style: np pitch anchors at pitch[], the same gains db[np][nb]
 * (style s >= 1 of `flat_from` and up: 0 dB). */
static saved_speq install(heist_model *m, uint32_t nb, const float *centres, uint32_t np,
                          const float *pitch, const float *db, uint32_t flat_from)
{
	saved_speq s = save(m);
	m->speq_bands = nb;
	m->speq_pitches = np;
	memcpy(m->speq_centres, centres, nb * sizeof(float));
	for (uint32_t st = 0; st < m->n_styles; ++st) {
		memcpy(test_pitch + st * np, pitch, np * sizeof(float));
		for (uint32_t i = 0; i < np * nb; ++i) {
			test_db[(size_t)st * np * nb + i] = st >= flat_from ? 0.0f : db[i];
		}
	}
	m->speq_pitch = test_pitch;
	m->speq_db = test_db;
	return s;
}

static void restore(heist_model *m, const saved_speq *s)
{
	m->speq_bands = s->bands;
	m->speq_pitches = s->pitches;
	m->speq_walked = s->walked;
	memcpy(m->speq_centres, s->centres, sizeof s->centres);
	m->speq_pitch = s->pitch;
	m->speq_db = s->db;
}

static saved_speq install_none(heist_model *m)
{
	saved_speq s = save(m);
	m->speq_bands = m->speq_pitches = 0;
	m->speq_pitch = m->speq_db = NULL;
	return s;
}

/* Gains at the harmonics and the noise bands: dB linear in Hz between the
 * centres, flat outside; the power (harmonics a^2 / 2, noise mean square
 * / 3) kept. */
static void test_apply(void)
{
	const float centres[2] = {500.0f, 2000.0f};
	heist_speq_curve c = {2, {0.0f, 12.0f}};
	float harm[16], noise[9];
	for (int h = 0; h < 16; ++h) {
		harm[h] = h == 13 ? 0.0f : 1.0f / (float)(h + 1); /* one silent harmonic */
	}
	for (int b = 0; b < 9; ++b) {
		noise[b] = 0.01f;
	}
	float p0 = 0.0f;
	for (int h = 0; h < 16; ++h) {
		p0 += 0.5f * harm[h] * harm[h];
	}
	p0 += 9 * 1e-4f / 27.0f;
	heist_speq_apply(centres, &c, harm, 16, 250.0f, noise, 9, 500.0f);
	/* relative gains (dB) against harmonic 1 (250 Hz: below the first
	 * centre, 0 dB): 1 kHz = 4 dB, 2 kHz and up 12 dB */
	const float want[4][2] = {{4, 4.0f}, {8, 12.0f}, {12, 12.0f}, {2, 0.0f}};
	for (int i = 0; i < 4; ++i) {
		const int h = (int)want[i][0] - 1;
		const float db = 20.0f * log10f(harm[h] * (float)(h + 1) / harm[0]);
		CHECK(fabsf(db - want[i][1]) < 1e-3f, "harmonic %d: %.4f dB, want %.1f", h + 1,
		      (double)db, (double)want[i][1]);
	}
	CHECK(harm[13] == 0.0f, "a silent harmonic sounds");
	/* noise band b at 500 b Hz: 0, 500 -> 0 dB, 1000 -> 4, 1500 -> 8, 2000+ -> 12 */
	const float nwant[5] = {0.0f, 0.0f, 4.0f, 8.0f, 12.0f};
	for (int b = 0; b < 5; ++b) {
		const float db = 20.0f * log10f(noise[b] / harm[0] / 0.01f);
		CHECK(fabsf(db - nwant[b]) < 1e-3f, "noise band %d: %.4f dB, want %.1f", b,
		      (double)db, (double)nwant[b]);
	}
	float p1 = 0.0f;
	for (int h = 0; h < 16; ++h) {
		p1 += 0.5f * harm[h] * harm[h];
	}
	float nb = 0.0f;
	for (int b = 0; b < 9; ++b) {
		nb += noise[b] * noise[b];
	}
	p1 += nb / 27.0f;
	CHECK(fabsf(p1 / p0 - 1.0f) < 1e-5f, "power %g -> %g", (double)p0, (double)p1);
	/* n = 0 and silence change nothing */
	float h2[3] = {0.1f, 0.2f, 0.3f}, n2[2] = {0.0f, 0.0f};
	heist_speq_curve none = {0, {0}};
	heist_speq_apply(centres, &none, h2, 3, 100.0f, n2, 2, 100.0f);
	CHECK(h2[0] == 0.1f && h2[2] == 0.3f, "no curve changed the harmonics");
	float h3[3] = {0}, n3[2] = {0};
	heist_speq_apply(centres, &c, h3, 3, 100.0f, n3, 2, 100.0f);
	CHECK(h3[0] == 0.0f && n3[1] == 0.0f, "silence is not silent");
	printf("apply: gains at harmonics and noise bands as the curve, power kept\n");
}

/* The curve of a note between two pitch anchors, outside them, without a
 * pitch, and of a morph. */
static void test_curve_of(heist_model *m)
{
	const float centres[2] = {300.0f, 3000.0f};
	const float pitch[2] = {60.0f, 72.0f};
	const float db[4] = {6.0f, -6.0f, -6.0f, 6.0f}; /* at 60: +6/-6, at 72: -6/+6 */
	saved_speq sv = install(m, 2, centres, 2, pitch, db, 1);
	heist_speq_curve c;
	const struct {
		float midi, morph, want0;
	} cases[] = {
	    {66.0f, 0.0f, 0.0f}, {63.0f, 0.0f, 3.0f}, {40.0f, 0.0f, 6.0f}, {90.0f, 0.0f, -6.0f},
	    {60.0f, 0.5f, 3.0f}, {60.0f, 1.0f, 0.0f}, {0.0f, 0.0f, 0.0f},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
		const float f0 =
		    cases[i].midi > 0 ? 440.0f * exp2f((cases[i].midi - 69.0f) / 12.0f) : 0.0f;
		heist_speq_curve_of(m, 0, 1, cases[i].morph, f0, &c);
		CHECK(c.n == 2 && fabsf(c.db[0] - cases[i].want0) < 1e-3f &&
		          fabsf(c.db[1] + cases[i].want0) < 1e-3f,
		      "midi %g morph %g: %g/%g dB, want %g", (double)cases[i].midi,
		      (double)cases[i].morph, (double)c.db[0], (double)c.db[1],
		      (double)cases[i].want0);
	}
	heist_speq_curve_of(m, 999, 999, 0.0f, 440.0f, &c); /* clamped to the last style */
	CHECK(c.n == 2 && c.db[0] == 0.0f, "style beyond the model");
	restore(m, &sv);
	saved_speq none = install_none(m);
	heist_speq_curve_of(m, 0, 0, 0.0f, 440.0f, &c);
	CHECK(c.n == 0, "a model without SPEQ has a curve");
	restore(m, &none);
	printf("curve_of: pitch anchors, morph and no-correction as specified\n");
}

/* A steady sung-like note (220 Hz, three partials) after 0.2 s of silence. */
static float *make_note(double fs, size_t n)
{
	float *x = calloc(n, sizeof(float));
	for (size_t i = 0; i < n; ++i) {
		const double t = (double)i / fs, ph = TWO_PI * 220.0 * t;
		const double env = t < 0.2 ? 0.0 : 0.5;
		x[i] = (float)(env * (sin(ph) + 0.5 * sin(2 * ph) + 0.25 * sin(3 * ph)));
	}
	return x;
}

static float *render(const heist_model *m, double fs, const float *in, size_t n, int style_b)
{
	const heist_config cfg = heist_config_default(fs);
	heist_engine *e = heist_engine_new(&cfg, m);
	heist_engine_set_param(e, HEIST_PARAM_STYLE_A, 0.0f);
	heist_engine_set_param(e, HEIST_PARAM_STYLE_B, (float)style_b);
	float *out = calloc(n, sizeof(float));
	for (size_t done = 0; done < n; done += 256) {
		heist_engine_process(e, in + done, out + done,
		                     n - done < 256 ? (uint32_t)(n - done) : 256);
	}
	heist_engine_free(e);
	return out;
}

/* Energy (dB) in [lo, hi) Hz of x[from .. from + 16384), Hann-windowed. */
static double band_db(const float *x, double fs, double lo, double hi)
{
	enum { N = 16384 };
	heist_rfft *f = heist_rfft_new(N);
	static float w[N], re[N / 2 + 1], im[N / 2 + 1];
	for (int i = 0; i < N; ++i) {
		w[i] = x[i] * (float)(0.5 - 0.5 * cos(TWO_PI * i / N));
	}
	heist_rfft_forward(f, w, re, im);
	double e = 1e-30;
	for (int k = (int)ceil(lo * N / fs); k < (int)(hi * N / fs) && k <= N / 2; ++k) {
		e += (double)re[k] * re[k] + (double)im[k] * im[k];
	}
	heist_rfft_free(f);
	return 10.0 * log10(e);
}

/* The shipped network with a tilt (-12 dB up to 1 kHz, +12 dB from 1.5
 * kHz): the render's 2-6 kHz energy over its 150-800 Hz energy rises by 24
 * dB (the network sees nothing of the correction: the same controls, other
 * gains), the total about the same (the frame's power is kept, and the
 * level match follows it). */
static void test_render_spectrum(heist_model *m)
{
	const double fs = 48000.0;
	const size_t n = (size_t)(1.5 * fs);
	float *in = make_note(fs, n);
	saved_speq none = install_none(m);
	float *y0 = render(m, fs, in, n, 0);
	restore(m, &none);
	const float centres[2] = {1000.0f, 1500.0f}, pitch[1] = {60.0f}, db[2] = {-12.0f, 12.0f};
	saved_speq sv = install(m, 2, centres, 1, pitch, db, 256);
	float *y1 = render(m, fs, in, n, 0);
	restore(m, &sv);
	const size_t at = (size_t)(0.9 * fs); /* past the level match's settling */
	const double t0 = band_db(y0 + at, fs, 2000, 6000) - band_db(y0 + at, fs, 150, 800);
	const double t1 = band_db(y1 + at, fs, 2000, 6000) - band_db(y1 + at, fs, 150, 800);
	const double a0 = band_db(y0 + at, fs, 20, 20000), a1 = band_db(y1 + at, fs, 20, 20000);
	/* 1.5 dB: the Hann window's leakage between the bands, and the noise
	 * bands' interpolation over 187.5 Hz (the model's 65 bands to 12 kHz) */
	CHECK(fabs(t1 - t0 - 24.0) < 1.5, "tilt %+.2f dB, want +24 (%.1f -> %.1f)", t1 - t0, t0,
	      t1);
	/* 3 dB: the power is kept per frame, the level match smooths over 0.5 s */
	CHECK(fabs(a1 - a0) < 3.0, "total %+.2f dB", a1 - a0);
	printf("render: high/low %.1f -> %.1f dB (%+.2f, curve +24), total %+.2f dB\n", t0, t1,
	       t1 - t0, a1 - a0);
	free(y0);
	free(y1);
	free(in);
}

/* Morph automated at fixed output samples (as a host's automation points,
 * block boundaries in every split): blocks 1, 37, 4096 and random give the
 * 256-frame blocks' output bit for bit with a correction on. */
static float *render_auto(const heist_model *m, double fs, const float *in, size_t n,
                          const uint32_t *blocks, size_t nb)
{
	const heist_config cfg = heist_config_default(fs);
	heist_engine *e = heist_engine_new(&cfg, m);
	heist_engine_set_param(e, HEIST_PARAM_STYLE_A, 0.0f);
	heist_engine_set_param(e, HEIST_PARAM_STYLE_B, 3.0f);
	float *out = calloc(n, sizeof(float));
	const size_t step = (size_t)(0.1 * fs);
	size_t done = 0, b = 0;
	while (done < n) {
		if (done % step == 0) {
			const float t = (float)(done / step);
			heist_engine_set_param(e, HEIST_PARAM_MORPH, 0.5f + 0.5f * sinf(0.9f * t));
		}
		size_t len = blocks[b++ % nb];
		const size_t next = (done / step + 1) * step;
		len = done + len > next ? next - done : len;
		len = len > n - done ? n - done : len;
		heist_engine_process(e, in + done, out + done, (uint32_t)len);
		done += len;
	}
	heist_engine_free(e);
	return out;
}

static void test_block_splits(heist_model *m)
{
	const double fs = 44100.0;
	const size_t n = (size_t)(1.5 * fs);
	float *in = make_note(fs, n);
	const float centres[3] = {400.0f, 1200.0f, 4000.0f}, pitch[2] = {50.0f, 70.0f};
	const float db[6] = {-9.0f, 6.0f, -3.0f, 9.0f, -6.0f, 3.0f};
	saved_speq sv = install(m, 3, centres, 2, pitch, db, 2);
	const uint32_t ref_block = 256, sizes[3] = {1, 37, 4096};
	uint32_t rnd[300], rng = 99;
	for (int i = 0; i < 300; ++i) {
		rng = rng * 1664525u + 1013904223u;
		rnd[i] = (rng >> 16) % 700;
	}
	float *ref = render_auto(m, fs, in, n, &ref_block, 1);
	for (int s = 0; s < 4; ++s) {
		float *out = s < 3 ? render_auto(m, fs, in, n, &sizes[s], 1)
		                   : render_auto(m, fs, in, n, rnd, 300);
		size_t diff = 0;
		for (size_t i = 0; i < n; ++i) {
			diff += ref[i] != out[i];
		}
		CHECK(diff == 0, "split %d: %zu samples differ", s, diff);
		free(out);
	}
	/* ... and the correction is audible in it (the test is not vacuous) */
	restore(m, &sv);
	saved_speq none = install_none(m);
	float *plain = render_auto(m, fs, in, n, &ref_block, 1);
	restore(m, &none);
	double d = 0.0;
	for (size_t i = 0; i < n; ++i) {
		d += fabs((double)ref[i] - plain[i]);
	}
	CHECK(d > 1.0, "the correction changed nothing (%g)", d);
	printf("blocks: 1, 37, 4096, random = 256 under morph automation with a correction\n");
	free(plain);
	free(ref);
	free(in);
}

/* heist_speq_apply_model (the noise bands' places read from the model's
 * tables) gives heist_speq_apply's frame bit for bit: the shipped model's
 * curves for every style at several morphs and pitches, and a correction
 * put in its place (the tables were walked on other centres: not used). */
static void apply_both(const heist_model *m, const heist_speq_curve *c, float f0, uint32_t seed,
                       int *diffs)
{
	float h1[256], h2[256], n1[256], n2[256];
	for (uint32_t i = 0; i < m->n_harmonics; ++i) {
		h1[i] = h2[i] = (i % 7u == 3u) ? 0.0f : 0.3f / (float)(1u + i + seed % 5u);
	}
	for (uint32_t b = 0; b < m->n_noise; ++b) {
		n1[b] = n2[b] = 0.02f * (1.0f + (float)((b * 3u + seed) % 4u)) / (float)(1u + b);
	}
	heist_speq_apply(m->speq_centres, c, h1, m->n_harmonics, f0, n1, m->n_noise,
	                 0.5f * m->sample_rate / (float)(m->n_noise - 1u));
	heist_speq_apply_model(m, c, h2, f0, n2);
	*diffs += memcmp(h1, h2, m->n_harmonics * sizeof(float)) != 0 ||
	          memcmp(n1, n2, m->n_noise * sizeof(float)) != 0;
}

static void test_apply_model(heist_model *m)
{
	static const float f0s[] = {0.0f, 41.2f, 110.0f, 233.1f, 440.0f, 987.8f, 3000.0f};
	static const float morphs[] = {0.0f, 0.4f, 1.0f};
	CHECK(m->speq_bands > 0 && m->speq_walked == m->n_noise, "the shipped model's tables");
	int diffs = 0;
	for (uint32_t a = 0; a < m->n_styles; ++a) {
		for (size_t k = 0; k < sizeof f0s / sizeof f0s[0]; ++k) {
			heist_speq_curve c;
			heist_speq_curve_of(m, a, (a + 5u) % m->n_styles, morphs[(a + k) % 3],
			                    f0s[k], &c);
			apply_both(m, &c, f0s[k], a + (uint32_t)k, &diffs);
		}
	}
	CHECK(diffs == 0, "%d frames differ with the model's tables", diffs);
	const float centres[3] = {700.0f, 2500.0f, 6000.0f};
	const float pitch[1] = {60.0f};
	const float db[3] = {4.0f, -8.0f, 2.0f};
	saved_speq sv = install(m, 3, centres, 1, pitch, db, 99);
	heist_speq_curve c;
	heist_speq_curve_of(m, 0, 0, 0.0f, 220.0f, &c);
	int other = 0;
	apply_both(m, &c, 220.0f, 1, &other);
	CHECK(other == 0, "a correction on other centres differs from the long way");
	restore(m, &sv);
	printf("apply_model: the model's tables give the walked frame bit for bit\n");
}

int main(int argc, char **argv)
{
	heist_model *m = test_model_arg(argc, argv, "test_speq");
	CHECK(m->n_styles >= 4, "the shipped model has %u styles", m->n_styles);
	test_apply();
	test_curve_of(m);
	test_apply_model(m);
	test_render_spectrum(m);
	test_block_splits(m);
	heist_model_free(m);
	return check_exit("test_speq");
}
