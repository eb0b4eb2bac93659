/* Parity with the PyTorch training code: the C network and harmonic bank
 * against references written by train/make_reference.py (file layouts are
 * documented there).
 *
 *   test_parity MODEL.hsm REFDIR
 *
 *   test_parity MODEL.hsm REFDIR --golden
 *
 * REFDIR holds net_ref.bin, harm_ref_{24000,44100,48000}.bin and
 * noise_ref_{24000,48000}.bin. With --golden, the committed reference
 * (tests/parity/golden/, made once by make_reference.py --random): only the
 * 24 kHz harmonic and noise files, to keep it small; the C side then runs
 * without PyTorch. */
#include <kiss_fftr.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_level.h"
#include "heist.h"
#include "model.h"
#include "net.h"
#include "synth.h"

/* DESIGN.md: network outputs within 1e-4 of the training code. The reference
 * is computed in double; float32 inference through ~400 frames of recurrent
 * state measured a few 1e-6 (see the printed maximum). */
#define NET_TOL 1e-4
/* heist_net_embed() is one float multiply-add per value, like the float32
 * values stored by the reference: a few ulps of numbers below ~4. */
#define EMBED_TOL 1e-6
/* DESIGN.md: harmonic synthesis within 1e-4 of full scale (1.0). The
 * reference is double; float32 output rounding alone is ~6e-8. */
#define HARM_TOL 1e-4

/* Filtered noise is random: its PSD (5-bin average) must match the training
 * code's. Each side averages ~7500 (24 kHz) Welch segments: ~1.4 % standard
 * error per bin, ~0.8 % over 5 bins, ~1.1 % for the difference of two
 * estimates; 6 % is over 5 sigma. Bins the model leaves empty (above its
 * Nyquist) only need to stay below 1e-3 of the peak (window leakage). */
#define NOISE_REL_TOL 0.06
#define NOISE_FLOOR 1e-3
#define NOISE_SMOOTH 5

static const double PI = 3.14159265358979323846;

static int failures;

typedef struct {
	uint8_t *data;
	size_t size;
	size_t pos;
	int bad;
} reader;

static int read_file(const char *path, reader *r)
{
	memset(r, 0, sizeof *r);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: cannot open\n", path);
		return -1;
	}
	size_t cap = 1 << 20;
	r->data = malloc(cap);
	size_t n;
	while (r->data && (n = fread(r->data + r->size, 1, cap - r->size, f)) > 0) {
		r->size += n;
		if (r->size == cap) {
			cap *= 2;
			uint8_t *p = realloc(r->data, cap);
			if (!p) {
				free(r->data);
			}
			r->data = p;
		}
	}
	fclose(f);
	if (!r->data) {
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	return 0;
}

/* Little-endian decoding whatever the host's byte order. */
static const uint8_t *take(reader *r, size_t n)
{
	if (r->bad || n > r->size - r->pos) {
		r->bad = 1;
		return NULL;
	}
	const uint8_t *p = r->data + r->pos;
	r->pos += n;
	return p;
}

static uint32_t get_u32(reader *r)
{
	const uint8_t *p = take(r, 4);
	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	               (uint32_t)p[3] << 24
	         : 0;
}

static float get_f32(reader *r)
{
	uint32_t u = get_u32(r);
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static double get_f64(reader *r)
{
	uint64_t lo = get_u32(r);
	uint64_t hi = get_u32(r);
	uint64_t u = lo | hi << 32;
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

/* [main] A new array for count 4-byte values still in the file; NULL (and
 * r->bad) on a short file or no memory. */
static void *get_array(reader *r, size_t count)
{
	void *v = NULL;
	if (!r->bad && count <= (r->size - r->pos) / 4) {
		v = malloc((count ? count : 1) * 4);
	}
	r->bad |= !v;
	return v;
}

/* count u32 values into a new array (NULL on a short file). */
static uint32_t *get_u32s(reader *r, size_t count)
{
	uint32_t *v = get_array(r, count);
	for (size_t i = 0; v && i < count; ++i) {
		v[i] = get_u32(r);
	}
	return v;
}

/* count floats into a new array (NULL on a short file). */
static float *get_f32s(reader *r, size_t count)
{
	float *v = get_array(r, count);
	for (size_t i = 0; v && i < count; ++i) {
		v[i] = get_f32(r);
	}
	return v;
}

static int check_magic(reader *r, const char *magic, const char *path)
{
	const uint8_t *p = take(r, 8);
	if (!p || memcmp(p, magic, 8) != 0) {
		fprintf(stderr, "%s: not a %s file\n", path, magic);
		return -1;
	}
	return 0;
}

/* [main] Reads the reference dir/STEM RATE.bin (its name into path) whole
 * and checks its magic; -1 with a failure counted when that fails. */
static int open_ref(reader *r, char *path, size_t size, const char *dir, const char *stem,
                    const char *rate, const char *magic)
{
	snprintf(path, size, "%s/%s%s.bin", dir, stem, rate);
	if (read_file(path, r) != 0 || check_magic(r, magic, path) != 0) {
		++failures;
		free(r->data);
		return -1;
	}
	return 0;
}

/* [main] Counts a failure when worst (NaN included) is over tol. */
static void check_within(const char *what, double worst, double tol)
{
	if (!(worst <= tol)) {
		fprintf(stderr, "FAIL: %s by %.3g > %g\n", what, worst, tol);
		++failures;
	}
}

/* [main] True when the whole reference file was read and the buffers that
 * go with it are there (ok); else a failure counted after a message. */
static int read_whole(const reader *r, const char *path, int ok)
{
	if (r->bad || r->pos != r->size || !ok) {
		fprintf(stderr, "%s: short or oversized file, or out of memory\n", path);
		++failures;
		return 0;
	}
	return 1;
}

static void test_net(const heist_model *m, const char *dir)
{
	char path[4096];
	reader r;
	if (open_ref(&r, path, sizeof path, dir, "net_ref", "", "HSTREFN1")) {
		return;
	}
	const uint32_t T = get_u32(&r), I = get_u32(&r), O = get_u32(&r);
	(void)get_u32(&r);
	if (I != m->n_inputs || O != m->n_outputs || T == 0) {
		fprintf(stderr, "%s: T=%u I=%u O=%u do not fit the model (I=%u O=%u)\n", path, T, I,
		        O, m->n_inputs, m->n_outputs);
		++failures;
		free(r.data);
		return;
	}
	float *in = get_f32s(&r, (size_t)T * I);
	uint32_t *sa = get_u32s(&r, T);
	uint32_t *sb = get_u32s(&r, T);
	float *morph = get_f32s(&r, T);
	float *want = get_f32s(&r, (size_t)T * O);
	heist_net *net = heist_net_new(m);
	float *out = malloc(O * sizeof *out);
	float *emb = malloc(m->embed_dim * sizeof *emb);
	if (read_whole(&r, path, net && out && emb)) {
		double worst = 0.0, worst_emb = 0.0;
		uint32_t worst_t = 0, worst_o = 0;
		for (uint32_t t = 0; t < T; ++t) {
			heist_net_embed(m, sa[t], sb[t], morph[t], emb);
			for (uint32_t e = 0; e < m->embed_dim; ++e) {
				const double d = fabs((double)emb[e] - in[(size_t)t * I + 3 + e]);
				worst_emb = d > worst_emb ? d : worst_emb;
			}
			heist_net_step(net, in + (size_t)t * I, out);
			for (uint32_t o = 0; o < O; ++o) {
				const double d = fabs((double)out[o] - want[(size_t)t * O + o]);
				if (!(d <= worst)) { /* also catches NaN */
					worst = isnan(d) ? INFINITY : d;
					worst_t = t;
					worst_o = o;
				}
			}
		}
		printf("network (%s): %u frames x %u outputs, max |C - torch| = %.3g (frame %u, "
		       "output %u); embedding max |diff| = %.3g\n",
		       heist_net_isa_name(net->isa), T, O, worst, worst_t, worst_o, worst_emb);
		check_within("network outputs differ", worst, NET_TOL);
		check_within("style embedding differs", worst_emb, EMBED_TOL);
	}
	heist_net_free(net);
	free(out);
	free(emb);
	free(in);
	free(sa);
	free(sb);
	free(morph);
	free(want);
	free(r.data);
}

static void test_harmonic(const char *dir, const char *rate)
{
	char path[4096];
	reader r;
	if (open_ref(&r, path, sizeof path, dir, "harm_ref_", rate, "HSTREFH1")) {
		return;
	}
	const uint32_t K = get_u32(&r), NH = get_u32(&r), n_out = get_u32(&r);
	(void)get_u32(&r);
	const double fs = get_f64(&r), fr = get_f64(&r), band_limit = get_f64(&r);
	float *f0 = get_f32s(&r, K);
	float *amps = get_f32s(&r, (size_t)K * NH);
	float *want = get_f32s(&r, n_out);
	float *out = malloc(((size_t)n_out + 16) * sizeof *out);
	if (read_whole(&r, path, out != NULL)) {
		const uint32_t n =
		    heist_synth_harmonic_render(f0, amps, K, NH, fs, fr, band_limit, out);
		double worst = 0.0;
		uint32_t at = 0;
		const uint32_t common = n < n_out ? n : n_out;
		for (uint32_t i = 0; i < common; ++i) {
			const double d = fabs((double)out[i] - want[i]);
			if (!(d <= worst)) {
				worst = isnan(d) ? INFINITY : d;
				at = i;
			}
		}
		printf("harmonic %s Hz: %u frames x %u harmonics, %u samples (C %u), max |C - "
		       "torch| = %.3g at sample %u\n",
		       rate, K, NH, n_out, n, worst, at);
		if (n != n_out) {
			fprintf(stderr, "FAIL: rendered %u samples, reference has %u\n", n, n_out);
			++failures;
		}
		check_within("harmonic audio differs", worst, HARM_TOL);
	}
	free(f0);
	free(amps);
	free(want);
	free(out);
	free(r.data);
}

/* Welch PSD as train/make_reference.py documents it. */
static int welch(const float *x, size_t n, uint32_t n_fft, double *psd)
{
	kiss_fftr_cfg cfg = kiss_fftr_alloc((int)n_fft, 0, NULL, NULL);
	float *seg = malloc(n_fft * sizeof *seg);
	float *w = malloc(n_fft * sizeof *w);
	kiss_fft_cpx *spec = malloc((n_fft / 2 + 1) * sizeof *spec);
	if (!cfg || !seg || !w || !spec) {
		kiss_fftr_free(cfg);
		free(seg);
		free(w);
		free(spec);
		return -1;
	}
	double wsum = 0.0;
	for (uint32_t i = 0; i < n_fft; ++i) {
		w[i] = (float)(0.5 - 0.5 * cos(2.0 * PI * i / n_fft));
		wsum += (double)w[i] * w[i];
	}
	memset(psd, 0, (n_fft / 2 + 1) * sizeof *psd);
	size_t n_seg = 0;
	for (size_t start = 0; start + n_fft <= n; start += n_fft / 2, ++n_seg) {
		for (uint32_t i = 0; i < n_fft; ++i) {
			seg[i] = x[start + i] * w[i];
		}
		kiss_fftr(cfg, seg, spec);
		for (uint32_t i = 0; i <= n_fft / 2; ++i) {
			psd[i] += (double)spec[i].r * spec[i].r + (double)spec[i].i * spec[i].i;
		}
	}
	for (uint32_t i = 0; i <= n_fft / 2; ++i) {
		psd[i] /= (double)n_seg * wsum;
	}
	kiss_fftr_free(cfg);
	free(seg);
	free(w);
	free(spec);
	return 0;
}

static double smoothed(const double *p, uint32_t nb, uint32_t i)
{
	const uint32_t lo = i >= NOISE_SMOOTH / 2 ? i - NOISE_SMOOTH / 2 : 0;
	const uint32_t hi = i + NOISE_SMOOTH / 2 < nb ? i + NOISE_SMOOTH / 2 : nb - 1;
	double s = 0.0;
	for (uint32_t j = lo; j <= hi; ++j) {
		s += p[j];
	}
	return s / (hi - lo + 1);
}

static void test_noise(const char *dir, const char *rate)
{
	char path[4096];
	reader r;
	if (open_ref(&r, path, sizeof path, dir, "noise_ref_", rate, "HSTREFS1")) {
		return;
	}
	const uint32_t NN = get_u32(&r), n_fft = get_u32(&r);
	uint32_t n_pat = get_u32(&r);
	const uint32_t n = get_u32(&r);
	const double fs = get_f64(&r), model_rate = get_f64(&r);
	const uint32_t nb = n_fft / 2 + 1, hop = heist_synth_noise_hop(fs);
	float *x = malloc((size_t)n * sizeof *x);
	double *got = malloc(nb * sizeof *got);
	double *want = malloc(nb * sizeof *want);
	heist_noise *nz = heist_noise_new(fs, NN);
	if (r.bad || !x || !got || !want || !nz || n < 4 * hop || n_fft < 8) {
		fprintf(stderr, "%s: bad header or out of memory\n", path);
		++failures;
		n_pat = 0;
	}
	for (uint32_t p = 0; p < n_pat; ++p) {
		float *mags = get_f32s(&r, NN);
		for (uint32_t i = 0; i < nb; ++i) {
			want[i] = get_f32(&r);
		}
		if (r.bad) {
			fprintf(stderr, "%s: short file\n", path);
			++failures;
			free(mags);
			break;
		}
		heist_noise_reset(nz);
		heist_noise_set_bands(nz, NN, model_rate);
		/* Segment [m hop, (m+1) hop) is complete once the grain starting
		 * there is added (the one starting a hop earlier came before). */
		for (uint32_t m = 0; m < n / hop; ++m) {
			heist_noise_grain(nz, (uint64_t)m * hop, mags);
			for (uint32_t i = 0; i < hop; ++i) {
				x[(size_t)m * hop + i] =
				    heist_noise_take(nz, (uint64_t)m * hop + i);
			}
		}
		if (welch(x + 2 * hop, n - 2 * hop, n_fft, got) != 0) {
			++failures;
		}
		double peak = 0.0, worst = 0.0, pw = 0.0, pg = 0.0;
		for (uint32_t i = 0; i < nb; ++i) {
			peak = want[i] > peak ? want[i] : peak;
			pw += want[i];
			pg += got[i];
		}
		uint32_t worst_i = 0;
		for (uint32_t i = 0; i < nb; ++i) {
			const double w = smoothed(want, nb, i), g = smoothed(got, nb, i);
			/* error relative to the allowed error */
			const double e = fabs(g - w) / (NOISE_REL_TOL * w + NOISE_FLOOR * peak);
			if (!(e <= worst)) {
				worst = isnan(e) ? INFINITY : e;
				worst_i = i;
			}
		}
		printf("noise %s Hz pattern %u: power C/torch = %.4f, worst bin %u at %.2f of the "
		       "allowed error\n",
		       rate, p, pg / pw, worst_i, worst);
		if (!(worst <= 1.0)) {
			fprintf(stderr,
			        "FAIL: noise PSD differs at bin %u (%.3g of the tolerance)\n",
			        worst_i, worst);
			++failures;
		}
		free(mags);
	}
	heist_noise_free(nz);
	free(x);
	free(got);
	free(want);
	free(r.data);
}

int main(int argc, char **argv)
{
	const int golden = argc == 4 && !strcmp(argv[3], "--golden");
	if (argc != 3 && !golden) {
		fprintf(stderr, "usage: %s MODEL.hsm REFDIR [--golden]\n", argv[0]);
		return 2;
	}
	test_cpu_level("test_parity");
	char err[512] = "";
	heist_model *m = heist_model_load(argv[1], err, sizeof err);
	if (!m) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("model %s: %u style(s), H=%u D=%u NH=%u NN=%u\n", m->name, m->n_styles,
	       m->gru_hidden, m->dense_hidden, m->n_harmonics, m->n_noise);
	test_net(m, argv[2]);
	test_harmonic(argv[2], "24000");
	if (!golden) {
		test_harmonic(argv[2], "44100");
		test_harmonic(argv[2], "48000");
	}
	test_noise(argv[2], "24000");
	if (!golden) {
		test_noise(argv[2], "48000");
	}
	heist_model_free(m);
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	return 0;
}
