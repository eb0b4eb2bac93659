/* Pitch (YIN, difference function through kissfft) and A-weighted loudness.
 *
 * Reference: de Cheveigné & Kawahara, "YIN, a fundamental frequency estimator
 * for speech and music", JASA 2002. The difference function
 *   d(tau) = sum_{j<W} (x_j - x_{j+tau})^2 = e(0) + e(tau) - 2 r(tau)
 * is computed from one cross-correlation r (two forward FFTs, one inverse) and
 * running energies e, so a frame costs O(N log N) instead of O(N * tau_max).
 * The transforms are dsp/fft.c's (vectorised, split complex); the spectra's
 * products and the loudness sum are vector loops (fastmath.h types).
 */
#include "analysis.h"
#include "fastmath.h"
#include "fft.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define YIN_THRESHOLD 0.15
/* Where the YIN integration window starts in the span (analysis.h). */
#define YIN_OFFSET(tmax) ((tmax) / 2)
/* Mean square below this (-100 dBFS) is silence: no pitch is reported. */
#define SILENCE_POWER 1e-10
#define OCTAVE_RATIO 0.2
#define OCTAVE_CHECK_MIN 0.03

struct heist_analysis {
	double sample_rate;
	uint32_t tau_min, tau_max, width, span, offset;
	heist_rfft *fft;
	float *head;                /* [span] first W samples, zero padded */
	float *spec_re, *spec_im;   /* [span/2+1 (+8)] spectrum of the whole span */
	float *hspec_re, *hspec_im; /* [span/2+1 (+8)] spectrum of the head, then the product */
	float *corr;                /* [span] cross-correlation */
	double *cum_energy;         /* [span+1] prefix sums of x^2 */
	double *diff;               /* [tau_max+1] cumulative mean normalised difference */
	float *a_weight2;           /* [span/2+1] squared A-weighting per bin, Parseval factors */
	double hann_power;          /* sum of the periodic Hann window squared */
	float held_f0;
};

double heist_a_weighting(double f)
{
	/* IEC 61672-1 analogue A curve, normalised to 1 at 1 kHz. */
	const double f2 = f * f;
	const double c1 = 20.598997 * 20.598997, c2 = 107.65265 * 107.65265;
	const double c3 = 737.86223 * 737.86223, c4 = 12194.217 * 12194.217;
	const double ra = c4 * f2 * f2 / ((f2 + c1) * sqrt((f2 + c2) * (f2 + c3)) * (f2 + c4));
	return ra * 1.2589254117941673; /* +2.00 dB: R_A(1 kHz) = 1 */
}

double heist_frame_centre(uint64_t k, double sample_rate, double frame_rate)
{
	return (double)k * sample_rate / frame_rate;
}

int64_t heist_frame_start(uint64_t k, double sample_rate, double frame_rate, uint32_t span)
{
	return (int64_t)floor(heist_frame_centre(k, sample_rate, frame_rate) + 0.5) -
	       (int64_t)(span / 2);
}

static int is_5_smooth(uint32_t n)
{
	static const uint32_t primes[] = {2, 3, 5};
	for (int i = 0; i < 3; ++i) {
		while (n % primes[i] == 0) {
			n /= primes[i];
		}
	}
	return n == 1;
}

heist_analysis *heist_analysis_new(double sample_rate, float lowest_pitch)
{
	if (!(sample_rate >= 8000.0 && sample_rate <= 768000.0) ||
	    !(lowest_pitch >= 20.0f && lowest_pitch <= 1000.0f)) {
		return NULL;
	}
	heist_analysis *a = calloc(1, sizeof(*a));
	if (!a) {
		return NULL;
	}
	a->sample_rate = sample_rate;
	a->tau_max = (uint32_t)ceil(sample_rate / lowest_pitch);
	a->tau_min = (uint32_t)floor(sample_rate / HEIST_PITCH_MAX_HZ);
	if (a->tau_min < 2) {
		a->tau_min = 2;
	}
	uint32_t n = 2 * a->tau_max;
	while (!is_5_smooth(n)) {
		n += 2;
	}
	a->span = n;
	a->offset = YIN_OFFSET(a->tau_max);
	a->width = n - a->tau_max - a->offset;

	/* Spectra padded to whole vectors (the tails stay zero). */
	const uint32_t nb = n / 2 + 1, nbp = (nb + 7) / 8 * 8;
	a->fft = heist_rfft_new(n);
	a->head = calloc(n, sizeof(float));
	a->spec_re = calloc(nbp, sizeof(float));
	a->spec_im = calloc(nbp, sizeof(float));
	a->hspec_re = calloc(nbp, sizeof(float));
	a->hspec_im = calloc(nbp, sizeof(float));
	a->corr = calloc(n, sizeof(float));
	a->cum_energy = calloc(n + 1, sizeof(double));
	a->diff = calloc(a->tau_max + 1, sizeof(double));
	a->a_weight2 = calloc(nbp, sizeof(float));
	if (!a->fft || !a->head || !a->spec_re || !a->spec_im || !a->hspec_re || !a->hspec_im ||
	    !a->corr || !a->cum_energy || !a->diff || !a->a_weight2) {
		heist_analysis_free(a);
		return NULL;
	}
	for (uint32_t k = 0; k < nb; ++k) {
		const double w = heist_a_weighting((double)k * sample_rate / n);
		/* One-sided spectrum: bins other than DC and Nyquist count twice. */
		const double parseval = (k == 0 || k == n / 2) ? 1.0 : 2.0;
		a->a_weight2[k] = (float)(w * w * parseval);
	}
	a->hann_power = 0.0;
	for (uint32_t i = 0; i < n; ++i) {
		const double w = 0.5 - 0.5 * cos(2.0 * HEIST_PI * i / n);
		a->hann_power += w * w;
	}
	return a;
}

void heist_analysis_free(heist_analysis *a)
{
	if (!a) {
		return;
	}
	heist_rfft_free(a->fft);
	free(a->head);
	free(a->spec_re);
	free(a->spec_im);
	free(a->hspec_re);
	free(a->hspec_im);
	free(a->corr);
	free(a->cum_energy);
	free(a->diff);
	free(a->a_weight2);
	free(a);
}

uint32_t heist_analysis_span(const heist_analysis *a)
{
	return a->span;
}

void heist_analysis_reset(heist_analysis *a)
{
	a->held_f0 = 0.0f;
}

/* Hann-windowed bin k of the spectrum (xr, xi) of nb bins: a periodic Hann
 * window is a three-tap convolution in the frequency domain. Neighbours
 * across DC and Nyquist are conjugate mirrors. */
static double hann_bin_power(const float *xr, const float *xi, uint32_t nb, uint32_t k)
{
	const float lr = k > 0 ? xr[k - 1] : xr[1], li = k > 0 ? xi[k - 1] : -xi[1];
	const float hr = k + 1 < nb ? xr[k + 1] : xr[nb - 2];
	const float hi = k + 1 < nb ? xi[k + 1] : -xi[nb - 2];
	const double re = 0.5 * xr[k] - 0.25 * (lr + hr);
	const double im = 0.5 * xi[k] - 0.25 * (li + hi);
	return re * re + im * im;
}

/* Loudness from the span's spectrum, so no extra FFT is needed. */
FM_ALWAYS float loudness_db_body(const heist_analysis *a)
{
	const uint32_t n = a->span, nb = n / 2 + 1;
	const float *xr = a->spec_re, *xi = a->spec_im;
	/* Edge bins in double, the interior eight at a time in float (each
	 * term is a few roundings of a product; the sum of a few hundred
	 * non-negative terms loses < 1e-6 relative, 5e-6 dB). */
	double power = hann_bin_power(xr, xi, nb, 0) * a->a_weight2[0] +
	               hann_bin_power(xr, xi, nb, nb - 1) * a->a_weight2[nb - 1];
	fm_v8f acc = {0};
	uint32_t k = 1;
	for (; k + 8 <= nb - 1; k += 8) {
		const fm_v8f re =
		    0.5f * fm_load(xr + k) - 0.25f * (fm_load(xr + k - 1) + fm_load(xr + k + 1));
		const fm_v8f im =
		    0.5f * fm_load(xi + k) - 0.25f * (fm_load(xi + k - 1) + fm_load(xi + k + 1));
		acc += (re * re + im * im) * fm_load(a->a_weight2 + k);
	}
	for (; k < nb - 1; ++k) {
		power += hann_bin_power(xr, xi, nb, k) * a->a_weight2[k];
	}
	float lanes[8];
	fm_store(lanes, acc);
	for (int l = 0; l < 8; ++l) {
		power += lanes[l];
	}
	/* Parseval: sum |y|^2 = (1/N) sum |Y|^2; divide by the window's power so
	 * the result is the mean square of the signal. */
	power /= (double)n * a->hann_power;
	const double floor_power = pow(10.0, HEIST_LOUDNESS_FLOOR_DB / 10.0);
	return (float)(10.0 * log10(power > floor_power ? power : floor_power));
}

/* Parabolic interpolation of the minimum around tau on the normalised
 * difference; returns the refined period. */
static double refine_period(const double *d, uint32_t tau, uint32_t tau_max)
{
	if (tau < 1 || tau >= tau_max) {
		return tau;
	}
	const double l = d[tau - 1], c = d[tau], r = d[tau + 1];
	const double den = l - 2.0 * c + r;
	if (den <= 0.0) {
		return tau;
	}
	double off = 0.5 * (l - r) / den;
	if (off > 0.5) {
		off = 0.5;
	} else if (off < -0.5) {
		off = -0.5;
	}
	return tau + off;
}

/* Depth of the dip at tau between the samples: the vertex of the parabola
 * through its neighbours. Integer lags miss a short period's true dip by up
 * to half a sample, which at 1.4 kHz leaves d' near 0.03 while a multiple
 * that happens to fall on an integer reads near 0. */
static double dip_depth(const double *d, uint32_t tau, uint32_t tau_max)
{
	if (tau < 1 || tau >= tau_max) {
		return d[tau];
	}
	const double l = d[tau - 1], c = d[tau], r = d[tau + 1], den = l - 2.0 * c + r;
	if (den <= 0.0) {
		return c;
	}
	const double v = c - (l - r) * (l - r) / (8.0 * den);
	return v < 0.0 ? 0.0 : v;
}

/* YIN's first dip lands on half the period when the odd harmonics are weak
 * (a sung "ah" whose first formant lifts the second harmonic, FluidR3's
 * bassoon): the true period then shows a far deeper dip at twice (or three
 * times) the chosen lag. A truly periodic signal's dips at multiples are no
 * deeper, and with vibrato or glides shallower. */
static uint32_t prefer_true_period(const double *d, uint32_t tau, uint32_t tau_max)
{
	uint32_t best = tau;
	for (uint32_t mult = 2; mult <= 3; ++mult) {
		const uint32_t centre = mult * tau, reach = centre / 50 + 1;
		if (centre + reach > tau_max) {
			break;
		}
		uint32_t m = centre - reach;
		for (uint32_t t = m + 1; t <= centre + reach; ++t) {
			if (d[t] < d[m]) {
				m = t;
			}
		}
		const double here = dip_depth(d, best, tau_max);
		if (dip_depth(d, m, tau_max) < OCTAVE_RATIO * here && here > OCTAVE_CHECK_MIN) {
			best = m;
		}
	}
	return best;
}

/* out[0] = 0, out[i + 1] = out[i] + v[i]: four values a step so the chain of
 * dependent additions is a quarter as long (rounding differs from the plain
 * loop by an ulp or so of the sums). */
FM_ALWAYS void prefix_sum(const double *v, uint32_t n, double *out)
{
	double c = 0.0;
	out[0] = 0.0;
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		const double s01 = v[i] + v[i + 1], s012 = s01 + v[i + 2];
		out[i + 1] = c + v[i];
		out[i + 2] = c + s01;
		out[i + 3] = c + s012;
		c += s012 + v[i + 3];
		out[i + 4] = c;
	}
	for (; i < n; ++i) {
		c += v[i];
		out[i + 1] = c;
	}
}

/* Prefix sums of seg[i]^2 in double, four values a step as prefix_sum. */
FM_ALWAYS void prefix_squares(const float *seg, uint32_t n, double *cum)
{
	double c = 0.0;
	cum[0] = 0.0;
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		const double q0 = (double)seg[i] * seg[i], q1 = (double)seg[i + 1] * seg[i + 1];
		const double q2 = (double)seg[i + 2] * seg[i + 2],
		             q3 = (double)seg[i + 3] * seg[i + 3];
		const double s01 = q0 + q1, s012 = s01 + q2;
		cum[i + 1] = c + q0;
		cum[i + 2] = c + s01;
		cum[i + 3] = c + s012;
		c += s012 + q3;
		cum[i + 4] = c;
	}
	for (; i < n; ++i) {
		c += (double)seg[i] * seg[i];
		cum[i + 1] = c;
	}
}

/* The spectral part of a frame: both spectra, their product, the inverse
 * (N r(tau)) and the loudness. Compiled for the baseline and AVX2+FMA. */
FM_ALWAYS float spectral_body(heist_analysis *a, const float *seg)
{
	const uint32_t n = a->span, w = a->width, nb = n / 2 + 1;
	/* r(tau) = sum_{j<W} x_j x_{j+tau}: circular cross-correlation of the
	 * zero-padded head with the span; no wrap since W + tau_max = N. */
	const uint32_t o = a->offset;
	memset(a->head, 0, o * sizeof(float));
	memcpy(a->head + o, seg + o, w * sizeof(float));
	memset(a->head + o + w, 0, (n - o - w) * sizeof(float));
	heist_rfft_forward(a->fft, seg, a->spec_re, a->spec_im);
	heist_rfft_forward(a->fft, a->head, a->hspec_re, a->hspec_im);
	for (uint32_t k = 0; k < nb; k += 8) { /* conj(h) * s, padded tails are 0 */
		const fm_v8f hr = fm_load(a->hspec_re + k), hi = fm_load(a->hspec_im + k);
		const fm_v8f sr = fm_load(a->spec_re + k), si = fm_load(a->spec_im + k);
		fm_store(a->hspec_re + k, hr * sr + hi * si);
		fm_store(a->hspec_im + k, hr * si - hi * sr);
	}
	heist_rfft_inverse(a->fft, a->hspec_re, a->hspec_im, a->corr); /* unscaled: N * r */
	return loudness_db_body(a);
}

/* A whole frame, compiled for the baseline and AVX2+FMA below. */
FM_ALWAYS heist_features frame_body(heist_analysis *a, const float *seg)
{
	const uint32_t n = a->span, w = a->width, tmax = a->tau_max, o = a->offset;
	heist_features out = {0.0f, a->held_f0, 0.0f, HEIST_LOUDNESS_FLOOR_DB};
	const float loud = spectral_body(a, seg);

	double *cum = a->cum_energy;
	prefix_squares(seg, n, cum);
	out.loudness_db = loud;
	const double e0 = cum[o + w] - cum[o];
	if (!(e0 / w > SILENCE_POWER)) {
		return out;
	}

	/* Cumulative mean normalised difference d'(tau): the differences d(tau)
	 * (an element-wise loop), their running sum, then the ratios
	 * (element-wise again). The running sum goes into cum, no longer needed
	 * once every d(tau) is known. */
	double *d = a->diff;
	const double inv_n = 1.0 / n;
	const float *corr = a->corr;
#pragma omp simd
	for (uint32_t tau = 1; tau <= tmax; ++tau) {
		const double et = cum[o + tau + w] - cum[o + tau];
		const double dt = e0 + et - 2.0 * inv_n * corr[tau];
		d[tau] = dt < 0.0 ? 0.0 : dt; /* rounding of the FFT correlation */
	}
	double *running = cum;
	running[0] = 0.0;
	prefix_sum(d + 1, tmax, running);
	d[0] = 1.0;
#pragma omp simd
	for (uint32_t tau = 1; tau <= tmax; ++tau) {
		const double r = running[tau];
		d[tau] = r > 0.0 ? d[tau] * tau / (r > 0.0 ? r : 1.0) : 1.0;
	}

	/* First dip below the threshold, followed to its local minimum; if none,
	 * the global minimum (reported with its low confidence). */
	uint32_t best = 0;
	for (uint32_t tau = a->tau_min; tau <= tmax; ++tau) {
		if (d[tau] < YIN_THRESHOLD) {
			while (tau + 1 <= tmax && d[tau + 1] < d[tau]) {
				++tau;
			}
			best = tau;
			break;
		}
	}
	if (!best) {
		best = a->tau_min;
		for (uint32_t tau = a->tau_min + 1; tau <= tmax; ++tau) {
			if (d[tau] < d[best]) {
				best = tau;
			}
		}
	}
	best = prefer_true_period(d, best, tmax);
	const double period = refine_period(d, best, tmax);
	double conf = 1.0 - d[best];
	conf = conf < 0.0 ? 0.0 : conf > 1.0 ? 1.0 : conf;
	out.confidence = (float)conf;
	out.f0_raw = (float)(a->sample_rate / period);
	if (out.confidence >= HEIST_PITCH_HOLD_CONFIDENCE) {
		a->held_f0 = out.f0_raw;
	}
	out.f0 = a->held_f0;
	return out;
}

static heist_features frame_generic(heist_analysis *a, const float *seg)
{
	return frame_body(a, seg);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) static heist_features frame_avx2(heist_analysis *a,
                                                                     const float *seg)
{
	return frame_body(a, seg);
}
#endif

heist_features heist_analysis_frame(heist_analysis *a, const float *seg)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
		return frame_avx2(a, seg);
	}
#endif
	return frame_generic(a, seg);
}
