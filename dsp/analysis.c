/* Pitch (YIN, difference function through kissfft) and A-weighted loudness.
 *
 * Reference: de Cheveigné & Kawahara, "YIN, a fundamental frequency estimator
 * for speech and music", JASA 2002. The difference function
 *   d(tau) = sum_{j<W} (x_j - x_{j+tau})^2 = e(0) + e(tau) - 2 r(tau)
 * is computed from one cross-correlation r (two forward FFTs, one inverse) and
 * running energies e, so a frame costs O(N log N) instead of O(N * tau_max).
 */
#include "analysis.h"
#include "util.h"

#include <kiss_fftr.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define YIN_THRESHOLD 0.15
/* Mean square below this (-100 dBFS) is silence: no pitch is reported. */
#define SILENCE_POWER 1e-10
#define OCTAVE_RATIO 0.2
#define OCTAVE_CHECK_MIN 0.03

struct heist_analysis {
	double sample_rate;
	uint32_t tau_min, tau_max, width, span;
	kiss_fftr_cfg fwd, inv;
	float *head;         /* [span] first W samples, zero padded */
	kiss_fft_cpx *spec;  /* [span/2+1] spectrum of the whole span */
	kiss_fft_cpx *hspec; /* [span/2+1] spectrum of the head, then the product */
	float *corr;         /* [span] cross-correlation */
	double *cum_energy;  /* [span+1] prefix sums of x^2 */
	double *diff;        /* [tau_max+1] cumulative mean normalised difference */
	float *a_weight2;    /* [span/2+1] squared A-weighting per bin, Parseval factors */
	double hann_power;   /* sum of the periodic Hann window squared */
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
	a->width = n - a->tau_max;

	const uint32_t nb = n / 2 + 1;
	a->fwd = kiss_fftr_alloc((int)n, 0, NULL, NULL);
	a->inv = kiss_fftr_alloc((int)n, 1, NULL, NULL);
	a->head = calloc(n, sizeof(float));
	a->spec = calloc(nb, sizeof(kiss_fft_cpx));
	a->hspec = calloc(nb, sizeof(kiss_fft_cpx));
	a->corr = calloc(n, sizeof(float));
	a->cum_energy = calloc(n + 1, sizeof(double));
	a->diff = calloc(a->tau_max + 1, sizeof(double));
	a->a_weight2 = calloc(nb, sizeof(float));
	if (!a->fwd || !a->inv || !a->head || !a->spec || !a->hspec || !a->corr || !a->cum_energy ||
	    !a->diff || !a->a_weight2) {
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
	kiss_fftr_free(a->fwd);
	kiss_fftr_free(a->inv);
	free(a->head);
	free(a->spec);
	free(a->hspec);
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

/* Loudness from the span's spectrum: a periodic Hann window is a three-tap
 * convolution in the frequency domain, so no extra FFT is needed. */
static float loudness_db(const heist_analysis *a)
{
	const uint32_t n = a->span, nb = n / 2 + 1;
	const kiss_fft_cpx *x = a->spec;
	double power = 0.0;
	for (uint32_t k = 0; k < nb; ++k) {
		/* Neighbours across DC and Nyquist are conjugate mirrors. */
		const kiss_fft_cpx lo = k > 0 ? x[k - 1] : (kiss_fft_cpx){x[1].r, -x[1].i};
		const kiss_fft_cpx hi =
		    k + 1 < nb ? x[k + 1] : (kiss_fft_cpx){x[nb - 2].r, -x[nb - 2].i};
		const double re = 0.5 * x[k].r - 0.25 * (lo.r + hi.r);
		const double im = 0.5 * x[k].i - 0.25 * (lo.i + hi.i);
		power += (re * re + im * im) * a->a_weight2[k];
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

heist_features heist_analysis_frame(heist_analysis *a, const float *seg)
{
	const uint32_t n = a->span, w = a->width, tmax = a->tau_max, nb = n / 2 + 1;
	heist_features out = {0.0f, a->held_f0, 0.0f, HEIST_LOUDNESS_FLOOR_DB};

	/* r(tau) = sum_{j<W} x_j x_{j+tau}: circular cross-correlation of the
	 * zero-padded head with the span; no wrap since W + tau_max = N. */
	memcpy(a->head, seg, w * sizeof(float));
	memset(a->head + w, 0, (n - w) * sizeof(float));
	kiss_fftr(a->fwd, seg, a->spec);
	kiss_fftr(a->fwd, a->head, a->hspec);
	for (uint32_t k = 0; k < nb; ++k) {
		const kiss_fft_cpx h = a->hspec[k], s = a->spec[k];
		a->hspec[k].r = h.r * s.r + h.i * s.i; /* conj(h) * s */
		a->hspec[k].i = h.r * s.i - h.i * s.r;
	}
	kiss_fftri(a->inv, a->hspec, a->corr); /* unscaled: N * r */

	double *cum = a->cum_energy;
	cum[0] = 0.0;
	for (uint32_t i = 0; i < n; ++i) {
		cum[i + 1] = cum[i] + (double)seg[i] * seg[i];
	}
	out.loudness_db = loudness_db(a);
	const double e0 = cum[w];
	if (!(e0 / w > SILENCE_POWER)) {
		return out;
	}

	/* Cumulative mean normalised difference d'(tau). */
	double *d = a->diff;
	const double inv_n = 1.0 / n;
	double running = 0.0;
	d[0] = 1.0;
	for (uint32_t tau = 1; tau <= tmax; ++tau) {
		const double et = cum[tau + w] - cum[tau];
		double dt = e0 + et - 2.0 * inv_n * a->corr[tau];
		if (dt < 0.0) {
			dt = 0.0; /* rounding of the FFT correlation */
		}
		running += dt;
		d[tau] = running > 0.0 ? dt * tau / running : 1.0;
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
