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
#include "cpu.h"
#include "fastmath.h"
#include "fft.h"
#include "linsolve.h"
#include "mem.h"
#include "pitch_track.h"
#include "shared.h"
#include "util.h"
#include "yin_dip.h"

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
#define NEAR_RATIO 0.5 /* prefer_deeper_near(): clearly deeper */
/* prefer_true_period(): multiples looked at, 4x left out: a span across a
 * step up of a fourth shows the two notes' common period at 4x the new
 * note's lag as a near-perfect dip (330 -> 440 Hz read at 110 Hz for a
 * frame: test_engine's note-to-note latency a frame late at 96 kHz) */
#define TRUE_PERIOD_MAX_MULT 5u
#define TRUE_PERIOD_SKIP_MULT 4u
/* prefer_sub_period(): a dip at a half or third of the lag, at most this
 * deep, with the chosen dip at least SUB_PERIOD_RATIO as deep as it */
#define SUB_PERIOD_MAX_DIV 3u
#define SUB_PERIOD_MAX_DIP 0.25
#define SUB_PERIOD_RATIO 0.6
/* prefer_held_octave() */
#define OCTAVE_UP_RATIO 0.5
#define OCTAVE_HELD_DIP 0.25
#define OCTAVE_HOLD_FRAMES 8u    /* 32 ms: past the 30 ms of an excursion */
#define OCTAVE_UP_NEAR_ST 1.0    /* octave_up_near() */
#define OCTAVE_SETTLED_FRAMES 8u /* young_octave_yields(): 32 ms */

typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4l __attribute__((vector_size(32)));
typedef double v2d __attribute__((vector_size(16)));
typedef int64_t v2l __attribute__((vector_size(16)));

/* Decimation toward ANALYSIS_RATE (see heist_analysis_new): a stage is used
 * while its output rate stays at or above MIN_ANALYSIS_RATE, so 44.1 kHz
 * (and 88.2, 176.4 kHz) is analysed at 22.05 kHz. */
#define ANALYSIS_RATE 24000.0
#define MIN_ANALYSIS_RATE 22050.0
#define DEC_MAX_STAGES 3
#define DEC_MAX_TAPS 20 /* odd-tap pairs of a half-band stage */
#define HI_TAPS 12      /* one side of the high-branch weighting filter */

/* Decimation outputs kept between frames (see decimate_stage): two slots where
 * span starts alternate in parity (44.1 kHz: hops of 176 and 177 samples),
 * so each slot sees only even steps. */
#define DEC_SLOTS 2

/* What the slots of a block of scratch hold (the engine's floors share
 * one): the analyser that wrote them and each slot's span start. */
typedef struct {
	const void *owner;
	int64_t start[DEC_SLOTS];
	int valid[DEC_SLOTS];
} dec_tag;
#define TAG_FLOATS 16u /* 64 bytes >= sizeof(dec_tag) */

/* One 2:1 half-band stage: a linear-phase lowpass h (centre 0.5, taps c_k at
 * odd offsets +-(2k - 1)) and its complement g = delta - h, both decimated.
 * The high branch is reduced at once to its A-weighted power through a short
 * zero-phase FIR whose squared response carries the weights (hi_w). */
typedef struct {
	uint32_t taps;           /* K */
	float c[DEC_MAX_TAPS];   /* c_1..c_K */
	float hi_w[HI_TAPS + 1]; /* f_0..f_L of the zero-phase weighting filter */
	const float *hann2;      /* [n_out] periodic Hann squared over the output (shared) */
	double hann2_sum;
	uint32_t n_out;
} hb_stage;

typedef struct {
	double t[3], lf[3], conf[3]; /* [0] the latest */
	uint32_t n;
} cycle_readings;

struct heist_analysis {
	double sample_rate;
	uint32_t tau_min, tau_max, width, span, offset;
	heist_rfft *fft;
	/* Per-frame scratch in one block (see arena_layout): buffers whose
	 * lifetimes within a frame do not overlap share memory, so the bytes a
	 * frame touches (what an instance brings back into cache per frame when
	 * many run in turn) stay few. */
	float *head;                /* [span] first W samples, zero padded; then corr */
	float *spec_re, *spec_im;   /* [span/2+1 (+8)] spectrum of the whole span */
	float *hspec_re, *hspec_im; /* [span/2+1 (+8)] spectrum of the head, then the product */
	float *corr;                /* [span] cross-correlation (aliases head) */
	double *cum_energy;         /* [span+1] prefix sums of x^2 (aliases the spectra) */
	double *diff;               /* [tau_max+1] cumulative mean normalised difference */
	const float
	    *a_weight2;    /* [span/2+1] squared A-weighting per bin, Parseval factors (shared) */
	double hann_power; /* sum of the periodic Hann window squared */
	double w2_max;     /* largest a_weight2[k] without its Parseval factor */
	float lowest_pitch;
	heist_pitch_track track; /* sub-floor detector and jump confirmation */
	/* Decimating front end (decim > 1): see heist_analysis_new(). */
	uint32_t decim, host_span, n_stages;
	hb_stage stage[DEC_MAX_STAGES];
	/* Per slot and stage, kept between frames (decimate_stage): the stage's
	 * output low[host_span >> (s + 1)] and its high branch after the
	 * weighting filter, y[same]. A frame whose span starts d samples after
	 * the slot's last one takes the values its overlap shares from there. */
	uint32_t n_slots;
	float *low[DEC_SLOTS][DEC_MAX_STAGES], *hy[DEC_SLOTS][DEC_MAX_STAGES];
	dec_tag *tag;      /* which analyser and span start the slots hold */
	float *pad;        /* [host_span + 4 * DEC_MAX_TAPS + 16] reflected input */
	float *even, *odd; /* [(host_span + 4 * DEC_MAX_TAPS + 16) / 2] */
	double hi_power;   /* A-weighted mean square of the high branches */
	void *arena;       /* the block holding every buffer above but a_weight2 */
	/* Where the frame's reading of the period sits (cycle_to_centre): in
	 * the span, in decimated samples (negative: no reading), and the last
	 * three distinct readings of the stream: host sample, log f0 and
	 * confidence. */
	double reading_at;
	cycle_readings cyc;
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

/* The analysis span at a rate (analysis.h). */
static uint32_t span_at(double sample_rate, float lowest_pitch)
{
	uint32_t n = 2 * (uint32_t)ceil(sample_rate / lowest_pitch);
	while (!is_5_smooth(n)) {
		n += 2;
	}
	return n;
}

/* Modified Bessel function of the first kind, order 0 (Kaiser window). */
static double bessel_i0(double x)
{
	double sum = 1.0, term = 1.0;
	for (int k = 1; k < 40; ++k) {
		term *= (x / (2.0 * k)) * (x / (2.0 * k));
		sum += term;
	}
	return sum;
}

/* Amplitude response of a half-band stage at f for input rate fin. */
static double halfband_gain(const hb_stage *st, double f, double fin)
{
	double g = 0.5;
	for (uint32_t k = 1; k <= st->taps; ++k) {
		g += 2.0 * st->c[k - 1] * cos(2.0 * HEIST_PI * f * (2.0 * k - 1.0) / fin);
	}
	return g;
}

static double a_weight_sq(double f)
{
	const double w = heist_a_weighting(f);
	return w * w;
}

/* Weights that make the low and high branch of the last stage measure every
 * tone at its A-weighted power: a tone at phi (< fout / 2) reaches the low
 * branch with a = A_h(phi)^2 and the high branch (at phi too) with
 * b = (1 - A_h(phi))^2; its mirror fout - phi the other way round. Two
 * equations per phi give the low-branch weight wl and the high-branch weight
 * wh (at phi = fout / 4 the two tones meet and both weights are equal). */
static void last_stage_weights(const hb_stage *st, double phi, double fin, double *wl, double *wh)
{
	const double fout = 0.5 * fin, h = halfband_gain(st, phi, fin);
	const double a = h * h, b = (1.0 - h) * (1.0 - h);
	const double a1 = a_weight_sq(phi), a2 = a_weight_sq(fout - phi);
	const double d = a - b;
	if (fabs(d) < 1e-9) {
		*wl = *wh = 0.5 * (a1 + a2) / (a + b);
	} else {
		*wl = (a * a1 - b * a2) / (d * (a + b));
		*wh = (a * a2 - b * a1) / (d * (a + b));
	}
	*wl = *wl > 0.0 ? *wl : 0.0;
	*wh = *wh > 0.0 ? *wh : 0.0;
}

/* High-branch weight of an earlier stage: its mirror tone fout - phi arrives
 * with a there and b in the low branch, which the later stages weigh as
 * A(phi)^2. */
static double early_stage_weight(const hb_stage *st, double phi, double fin)
{
	const double fout = 0.5 * fin, h = halfband_gain(st, phi, fin);
	const double a = h * h, b = (1.0 - h) * (1.0 - h);
	const double w = (a_weight_sq(fout - phi) - a_weight_sq(phi) * b) / (a > 1e-3 ? a : 1e-3);
	return w > 0.0 ? w : 0.0;
}

/* Least-squares zero-phase FIR f_0 + 2 sum f_n cos(2 pi n phi / fout) through
 * sqrt(weight) on [0, fout / 2]: its squared response weighs the high
 * branch's power. 0 if the solve fails. */
static int fit_hi_filter(hb_stage *st, double fin, int last)
{
	enum { L = HI_TAPS + 1, G = 512 };
	const double fout = 0.5 * fin;
	double ata[L][L + 1];
	memset(ata, 0, sizeof ata);
	for (int g = 0; g <= G; ++g) {
		const double phi = 0.5 * fout * g / G;
		double wl = 0.0, wh = 0.0;
		if (last) {
			last_stage_weights(st, phi, fin, &wl, &wh);
		} else {
			wh = early_stage_weight(st, phi, fin);
		}
		const double t = sqrt(wh);
		double basis[L];
		for (int n = 0; n < L; ++n) {
			basis[n] = n ? 2.0 * cos(2.0 * HEIST_PI * n * phi / fout) : 1.0;
		}
		for (int r = 0; r < L; ++r) {
			for (int c = 0; c < L; ++c) {
				ata[r][c] += basis[r] * basis[c];
			}
			ata[r][L] += basis[r] * t;
		}
	}
	/* Small and well conditioned: fails only on a zero pivot or a non-finite
	 * weight, neither ever met. */
	double coef[L];
	if (!heist_linsolve(&ata[0][0], L, 0.0, coef)) {
		return 0;
	}
	for (int n = 0; n < L; ++n) {
		st->hi_w[n] = (float)coef[n];
	}
	return 1;
}

/* Kaiser-windowed half-band lowpass with K odd-tap pairs, DC gain 1. */
static void design_stage(hb_stage *st, uint32_t taps)
{
	const double beta = 8.0, half = 2.0 * taps;
	double sum = 0.0;
	st->taps = taps;
	for (uint32_t k = 1; k <= taps; ++k) {
		const double t = 2.0 * k - 1.0, r = t / half;
		const double ideal = (k % 2 ? 1.0 : -1.0) / (HEIST_PI * t);
		const double c = ideal * bessel_i0(beta * sqrt(1.0 - r * r)) / bessel_i0(beta);
		st->c[k - 1] = (float)c;
		sum += c;
	}
	for (uint32_t k = 0; k < taps; ++k) {
		st->c[k] = (float)(st->c[k] * (0.25 / sum));
	}
}

static size_t arena_align(size_t floats)
{
	return (floats + 15u) / 16u * 16u; /* 64 bytes */
}

/* Lay the per-frame buffers out in one block. Ahead of them, what is kept
 * between frames: the tag and every slot's stage outputs (low, hy). Within
 * a frame the decimation stages run first (pad, even, odd; the high branch
 * in pad), then the core on the last output: head and both spectra, then
 * the correlation (into head, consumed by the second forward transform),
 * then the prefix sums (over the spectra, dead once the loudness is read)
 * and the differences; last, on some frames, the sub-floor detector (its
 * decimated input and differences, written before they are read). So the
 * stages' scratch, the core's and the detector's share one region, and
 * inside the core head/corr and spectra/cum_energy do. */
/* The decimation stages' padded input (floats; 0 without stages). */
static size_t arena_padded(const heist_analysis *a)
{
	return a->n_stages ? arena_align((size_t)a->host_span + 4 * DEC_MAX_TAPS + 16) : 0;
}

/* The stages' kept outputs and high branches (every slot) and the tag,
 * ahead of the shared region. */
static size_t arena_outs(const heist_analysis *a)
{
	if (!a->n_stages) {
		return TAG_FLOATS;
	}
	size_t per_slot = 0;
	for (uint32_t st = 0; st < a->n_stages; ++st) {
		per_slot += 2 * arena_align(a->host_span >> (st + 1));
	}
	return TAG_FLOATS + a->n_slots * per_slot;
}

/* The sub-floor detector's two buffers (pitch_track.h), at the start of the
 * shared region. */
#define TRACK_FLOATS (2u * HEIST_SUBFLOOR_MAX_N)

static size_t arena_floats(const heist_analysis *a, uint32_t n)
{
	const size_t nbp = arena_align(n / 2 + 1);
	const size_t core = arena_align(n) + 4 * nbp + arena_align(2 * ((size_t)a->tau_max + 1));
	const size_t dec = 2 * arena_padded(a);
	const size_t shared = core > dec ? core : dec;
	return arena_outs(a) + (shared > TRACK_FLOATS ? shared : TRACK_FLOATS);
}

/* Point the per-frame buffers into b (arena_floats() floats). */
static void arena_place(heist_analysis *a, uint32_t n, float *b)
{
	const size_t nbp = arena_align(n / 2 + 1);
	const size_t outs = arena_outs(a);
	a->tag = (dec_tag *)(void *)b;
	if (a->n_stages) {
		const size_t padded = arena_padded(a);
		float *o = b + TAG_FLOATS;
		for (uint32_t k = 0; k < a->n_slots; ++k) {
			for (uint32_t st = 0; st < a->n_stages; ++st) {
				const size_t len = arena_align(a->host_span >> (st + 1));
				a->low[k][st] = o;
				a->hy[k][st] = o + len;
				o += 2 * len;
			}
		}
		a->pad = b + outs;
		a->even = a->pad + padded;
		a->odd = a->even + padded / 2;
	}
	float *c = b + outs;
	a->head = c;
	a->corr = c;
	a->spec_re = c + arena_align(n);
	a->spec_im = a->spec_re + nbp;
	a->hspec_re = a->spec_im + nbp;
	a->hspec_im = a->hspec_re + nbp;
	a->cum_energy = (double *)(void *)a->spec_re; /* 2 (n + 1) <= 4 nbp floats */
	a->diff = (double *)(void *)(a->spec_re + 4 * nbp);
}

/* The detector's buffers over the shared region of the block b (set after
 * heist_pitch_track_init(), which clears them). */
static void place_track(heist_analysis *a, float *b)
{
	a->track.x = b + arena_outs(a);
	a->track.d = a->track.x + HEIST_SUBFLOOR_MAX_N;
}

static int arena_layout(heist_analysis *a, uint32_t n)
{
	float *b = heist_mem_alloc(arena_align(arena_floats(a, n)) * sizeof(float));
	if (!b) {
		return 0;
	}
	a->arena = b;
	arena_place(a, n, b);
	return 1;
}

/* Squared A-weighting per bin of the (decimated) span's spectrum, with the
 * Parseval factors (ctx: the analyser, its core rate and span set). */
static int fill_a_weight2(float *w, size_t floats, const void *ctx)
{
	(void)floats;
	const heist_analysis *a = ctx;
	const uint32_t n = a->span, nb = n / 2 + 1;
	const hb_stage *last = a->n_stages ? &a->stage[a->n_stages - 1] : NULL;
	for (uint32_t k = 0; k < nb; ++k) {
		const double f = (double)k * a->sample_rate / n;
		double w2 = a_weight_sq(f);
		if (last) {
			double wh = 0.0;
			last_stage_weights(last, f, 2.0 * a->sample_rate, &w2, &wh);
		}
		/* One-sided spectrum: bins other than DC and Nyquist count twice. */
		const double parseval = (k == 0 || k == n / 2) ? 1.0 : 2.0;
		w[k] = (float)(w2 * parseval);
	}
	return 1;
}

/* A periodic Hann window squared over floats samples. */
static int fill_hann2(float *w, size_t floats, const void *ctx)
{
	(void)ctx;
	for (size_t j = 0; j < floats; ++j) {
		const double h = 0.5 - 0.5 * cos(2.0 * HEIST_PI * (double)j / (double)floats);
		w[j] = (float)(h * h);
	}
	return 1;
}

/* The YIN and loudness tables for the (decimated) analysis rate. */
/* own: the analyser gets its own scratch (else heist_analysis_new_set places
 * it). */
static int core_init(heist_analysis *a, double sample_rate, float lowest_pitch, int own)
{
	a->sample_rate = sample_rate;
	a->tau_max = (uint32_t)ceil(sample_rate / lowest_pitch);
	a->tau_min = (uint32_t)floor(sample_rate / HEIST_PITCH_MAX_HZ);
	if (a->tau_min < 2) {
		a->tau_min = 2;
	}
	const uint32_t n = span_at(sample_rate, lowest_pitch);
	a->span = n;
	a->offset = YIN_OFFSET(a->tau_max);
	a->width = n - a->tau_max - a->offset;

	const uint32_t nb = n / 2 + 1;
	a->fft = own ? heist_rfft_new(n) : heist_rfft_new_unbacked(n);
	/* The weights depend on the rate, the span and the last stage (whose
	 * design is fixed): shared by every analyser with the same three. */
	const double key[3] = {sample_rate, n, a->n_stages ? 1.0 : 0.0};
	a->a_weight2 = heist_shared_get("a_weight2", key, 3, nb / 8 * 8 + 8, fill_a_weight2, a);
	if (!a->fft || !a->a_weight2 || (own && !arena_layout(a, n))) {
		return 0;
	}
	a->hann_power = 0.0;
	for (uint32_t i = 0; i < n; ++i) {
		const double w = 0.5 - 0.5 * cos(2.0 * HEIST_PI * i / n);
		a->hann_power += w * w;
	}
	a->w2_max = 0.0;
	for (uint32_t k = 0; k < nb; ++k) {
		const double w2 = a->a_weight2[k] / ((k == 0 || k == n / 2) ? 1.0 : 2.0);
		a->w2_max = w2 > a->w2_max ? w2 : a->w2_max;
	}
	return 1;
}

/* Host rates at or above twice MIN_ANALYSIS_RATE are analysed after exact 2:1
 * half-band decimation stages (44.1 and 48 kHz once, 88.2 and 96 kHz twice:
 * a rational 80:147 resampler to exactly 24 kHz from 44.1 kHz would cost a
 * polyphase filter several times the half-band's and a new high-branch
 * loudness path, for an analysis band of 12 instead of 11 kHz), as long as the
 * span in host samples stays what the host rate alone gives (so framing and
 * latency do not change): the features then come from the same band and
 * the same FFT sizes as the 24 kHz training data, at a half or a quarter of
 * the cost. Each stage is zero-phase and reads only the span (reflected at
 * its ends), so a frame still depends on its span alone. The loudness adds
 * the A-weighted power of every stage's high branch, with weights that keep
 * each tone's reading exact across the transition bands. */
static heist_analysis *analysis_create(double sample_rate, float lowest_pitch, int own)
{
	if (!(sample_rate >= 8000.0 && sample_rate <= 768000.0) ||
	    !(lowest_pitch >= 20.0f && lowest_pitch <= 1000.0f)) {
		return NULL;
	}
	heist_analysis *a = heist_mem_calloc(1, sizeof(*a));
	if (!a) {
		return NULL;
	}
	const uint32_t host_span = span_at(sample_rate, lowest_pitch);
	uint32_t decim = 1;
	while (a->n_stages < DEC_MAX_STAGES && sample_rate / (2.0 * decim) >= MIN_ANALYSIS_RATE &&
	       span_at(sample_rate / (2.0 * decim), lowest_pitch) * 2 * decim == host_span) {
		decim *= 2;
		a->n_stages++;
	}
	a->decim = decim;
	a->host_span = host_span;
	/* A slot per span-start parity where hops at 250 frames/s (every
	 * model's rate so far) are no even number of samples: 44.1 kHz
	 * (176.4). Elsewhere one (memory): 48 kHz hops 192; with more stages
	 * (88.2 kHz and up) odd steps reuse the first stage only. Another
	 * frame rate is still exact, only slower. */
	a->n_slots = a->n_stages == 1 && fmod(sample_rate, 500.0) != 0.0 ? 2u : 1u;
	for (uint32_t s = 0; s < a->n_stages; ++s) {
		hb_stage *st = &a->stage[s];
		const int last = s + 1 == a->n_stages;
		design_stage(st, last ? 12 : DEC_MAX_TAPS);
		st->n_out = host_span >> (s + 1);
		const double key = st->n_out;
		st->hann2 = heist_shared_get("hann2", &key, 1, st->n_out, fill_hann2, NULL);
		if (!st->hann2) {
			heist_analysis_free(a);
			return NULL;
		}
		st->hann2_sum = 0.0;
		for (uint32_t j = 0; j < st->n_out; ++j) {
			st->hann2_sum += st->hann2[j];
		}
		if (!fit_hi_filter(st, sample_rate / (double)(1u << s), last)) {
			heist_analysis_free(a);
			return NULL;
		}
	}
	if (!core_init(a, sample_rate / decim, lowest_pitch, own)) {
		heist_analysis_free(a);
		return NULL;
	}
	a->lowest_pitch = lowest_pitch;
	heist_pitch_track_init(&a->track, sample_rate, lowest_pitch);
	if (own) {
		place_track(a, (float *)a->arena);
	}
	return a;
}

heist_analysis *heist_analysis_new(double sample_rate, float lowest_pitch)
{
	return analysis_create(sample_rate, lowest_pitch, 1);
}

void heist_analysis_free(heist_analysis *a)
{
	if (!a) {
		return;
	}
	heist_rfft_free(a->fft);
	heist_shared_put(a->a_weight2);
	for (uint32_t s = 0; s < a->n_stages; ++s) {
		heist_shared_put(a->stage[s].hann2);
	}
	heist_mem_free(a->arena);
	heist_mem_free(a);
}

int heist_analysis_new_set(double sample_rate, const float *lowest_pitch, uint32_t n,
                           heist_analysis **a)
{
	size_t arena = 0, work = 0;
	int ok = 1;
	for (uint32_t i = 0; i < n; ++i) {
		a[i] = analysis_create(sample_rate, lowest_pitch[i], 0);
		if (!a[i]) {
			ok = 0;
			continue;
		}
		const size_t f = arena_align(arena_floats(a[i], a[i]->span));
		const size_t w = heist_rfft_work_floats(a[i]->fft);
		arena = f > arena ? f : arena;
		work = w > work ? w : work;
	}
	float *b = ok && n ? heist_mem_alloc((arena + work) * sizeof(float)) : NULL;
	if (!b) {
		for (uint32_t i = 0; i < n; ++i) {
			heist_analysis_free(a[i]);
			a[i] = NULL;
		}
		return 0;
	}
	for (uint32_t i = 0; i < n; ++i) {
		a[i]->arena = i == 0 ? b : NULL; /* a[0] owns the block */
		arena_place(a[i], a[i]->span, b);
		heist_rfft_share_work(a[i]->fft, b + arena);
		place_track(a[i], b);
	}
	return 1;
}

uint32_t heist_analysis_span(const heist_analysis *a)
{
	return a->host_span;
}

uint32_t heist_analysis_history(const heist_analysis *a)
{
	const uint32_t h = heist_pitch_track_history(&a->track);
	return h > a->host_span ? h - a->host_span : 0u;
}

float heist_analysis_subfloor_hz(const heist_analysis *a)
{
	return a->track.sub_out;
}

void heist_analysis_reset(heist_analysis *a)
{
	heist_pitch_track_reset(&a->track);
	a->cyc.n = 0;
	if (a->tag && a->tag->owner == a) {
		memset(a->tag->valid, 0, sizeof a->tag->valid); /* a new stream */
	}
}

void heist_analysis_carry(heist_analysis *to, const heist_analysis *from)
{
	heist_pitch_track_carry(&to->track, &from->track);
	to->cyc = from->cyc; /* the stream's samples: the same for every floor */
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
	if (a->n_stages) {
		power += a->hi_power;
	}
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

/* Depth of the dip at tau between the samples (yin_dip.h). */
HEIST_DEFINE_DIP_DEPTH(dip_depth, double)

/* YIN's first dip lands on half the period when the odd harmonics are weak
 * (a sung "ah" whose first formant lifts the second harmonic, FluidR3's
 * bassoon): the true period then shows a far deeper dip at twice (or three
 * times) the chosen lag. A truly periodic signal's dips at multiples are no
 * deeper, and with vibrato or glides shallower. Up to five times: a low
 * bassoon note in reverb reads its 5th harmonic (d' 0.10-0.14) on every
 * other frame while its period's dip is near 0. */
static uint32_t prefer_true_period(const double *d, uint32_t tau, uint32_t tau_max)
{
	uint32_t best = tau;
	for (uint32_t mult = 2; mult <= TRUE_PERIOD_MAX_MULT; ++mult) {
		if (mult == TRUE_PERIOD_SKIP_MULT) {
			continue;
		}
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

/* YIN's first dip under the threshold lands on a multiple of the period
 * when noise lifts the period's own dip just over it (a voice's soft ending
 * over mains hum: d' 0.16-0.22 at the period, 0.11-0.15 at three times it,
 * read as a note a twelfth down). A dip at a half or a third of the chosen
 * lag that is nearly as deep (SUB_PERIOD_RATIO) and near the threshold is
 * the period; a weak fundamental's half period is far shallower than its
 * period (prefer_true_period's side of the same comparison). */
static uint32_t prefer_sub_period(const double *d, uint32_t tau, uint32_t tau_min, uint32_t tau_max)
{
	const double here = dip_depth(d, tau, tau_max);
	for (uint32_t div = SUB_PERIOD_MAX_DIV; div >= 2; --div) {
		const uint32_t centre = (tau + div / 2) / div, reach = centre / 50 + 1;
		if (centre < tau_min + reach) {
			continue;
		}
		uint32_t m = centre - reach;
		for (uint32_t t = m + 1; t <= centre + reach; ++t) {
			m = d[t] < d[m] ? t : m;
		}
		const double sub = dip_depth(d, m, tau_max);
		if (m > centre - reach && m < centre + reach && sub < SUB_PERIOD_MAX_DIP &&
		    here > SUB_PERIOD_RATIO * sub) {
			return m;
		}
	}
	return tau;
}

/* YIN's integration window is shorter than the period at low pitches (at
 * the default floor W is about 8 ms): where it sits on a plain stretch of
 * the waveform, a dip before the true period can cross the threshold first
 * (a 83 Hz vowel read at 96 Hz every third frame). A clearly deeper dip
 * further on but under 1.5 times the lag is no multiple of the chosen
 * period (those lie at 2x, 3x), so it is the period. */
static uint32_t prefer_deeper_near(const double *d, uint32_t tau, uint32_t tau_max)
{
	const uint32_t hi = tau + tau / 2 < tau_max ? tau + tau / 2 : tau_max;
	uint32_t m = tau;
	for (uint32_t t = tau + 1; t <= hi; ++t) {
		if (d[t] < d[m]) {
			m = t;
		}
	}
	return m != tau && dip_depth(d, m, tau_max) < NEAR_RATIO * dip_depth(d, tau, tau_max) ? m
	                                                                                      : tau;
}

/* [audio] A held note younger than OCTAVE_SETTLED_FRAMES gives way to YIN's octave
 * below where that is the clearly deeper dip (under OCTAVE_UP_RATIO of the
 * held one, as the octave above must be to win): a voice's attack under a
 * rising amplitude reads its octave up, and holding that from its first
 * accepted frame kept a low note's attack an octave up for 70 ms (sung-low
 * 10.50 s: 0.07 against 0.15-0.2). A settled note holds (an excursion). */
static int young_octave_yields(const heist_pitch_track *t, double held, double here)
{
	return t->held_run < OCTAVE_SETTLED_FRAMES && here < OCTAVE_UP_RATIO * held;
}

/* [audio] YIN's lag lies near an octave above the held period (r: held lag over
 * YIN's): a sung vowel whose second harmonic is lifted reads 0.5-0.8 st
 * sharp of the octave (sung-male 1.82 s, sung-low 1.68 s: 12.6-12.8 st up
 * at 0.90-0.93), so within OCTAVE_UP_NEAR_ST of it; a real leap there
 * leaves no dip at the held period, which prefer_held_octave requires. */
static int octave_up_near(double r)
{
	return r > 0.0 && fabs(12.0 * log2(r) - 12.0) < OCTAVE_UP_NEAR_ST;
}

/* Inside a voiced stretch, YIN's choice between a period and its double
 * leans toward the octave being played: a vowel read an octave off for 4-7
 * frames at confidence 0.83-0.99 (sung-high, oohs, sung-male) outlasts any
 * jump confirmation short enough for a real leap. YIN's octave above the
 * held one is taken only where the held period is no real dip (under half
 * as deep, as a clean leap up leaves it); its octave below only where the
 * held period's dip is shallow (OCTAVE_HELD_DIP: a real leap down leaves
 * the new note's half period far shallower). At most OCTAVE_HOLD_FRAMES in
 * a row, so a leap whose old octave stays a dip sounds that much late. */
static uint32_t prefer_held_octave(heist_analysis *a, const double *d, uint32_t best, uint32_t tmax)
{
	heist_pitch_track *t = &a->track;
	const int in_stretch =
	    t->unvoiced < HEIST_VOICED_GAP_FRAMES && t->held > 0.0f && t->sub_out == 0.0f;
	const double held_tau = in_stretch ? a->sample_rate / t->held : 0.0;
	const double r = held_tau / best;
	const int up = octave_up_near(r), down = fabs(r - 0.5) < 0.015;
	if (!up && !down) {
		t->octave_held = 0;
		return best;
	}
	const uint32_t c = (uint32_t)lrint(held_tau), reach = c / 50u + 1u;
	if (t->octave_held >= OCTAVE_HOLD_FRAMES || c < a->tau_min + reach || c + reach >= tmax) {
		return best;
	}
	uint32_t m = c - reach;
	for (uint32_t i = m + 1; i <= c + reach; ++i) {
		m = d[i] < d[m] ? i : m;
	}
	const double held = dip_depth(d, m, tmax), here = dip_depth(d, best, tmax);
	const int is_dip = m > c - reach && m < c + reach;
	const int keep =
	    is_dip && (up ? held < OCTAVE_UP_RATIO * here
	                  : held < OCTAVE_HELD_DIP && !young_octave_yields(t, held, here));
	t->octave_held += keep ? 1u : 0u;
	return keep ? m : best;
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

/* The spectral part of a frame: the span's spectrum and the loudness, and
 * with corr the head's spectrum, their product and the inverse (N r(tau)).
 * Compiled for the baseline and AVX2+FMA. */
FM_ALWAYS float spectral_body(heist_analysis *a, const float *seg, int corr)
{
	const uint32_t n = a->span, w = a->width, nb = n / 2 + 1;
	heist_rfft_forward(a->fft, seg, a->spec_re, a->spec_im);
	if (!corr) {
		return loudness_db_body(a);
	}
	/* r(tau) = sum_{j<W} x_j x_{j+tau}: circular cross-correlation of the
	 * zero-padded head with the span; no wrap since W + tau_max = N. */
	const uint32_t o = a->offset;
	memset(a->head, 0, o * sizeof(float));
	memcpy(a->head + o, seg + o, w * sizeof(float));
	memset(a->head + o + w, 0, (n - o - w) * sizeof(float));
	heist_rfft_forward(a->fft, a->head, a->hspec_re, a->hspec_im);
	/* The vector tails past nb held the last frame's prefix sums. */
	for (uint32_t k = nb; k % 8; ++k) {
		a->spec_re[k] = a->spec_im[k] = a->hspec_re[k] = a->hspec_im[k] = 0.0f;
	}
	for (uint32_t k = 0; k < nb; k += 8) { /* conj(h) * s, padded tails are 0 */
		const fm_v8f hr = fm_load(a->hspec_re + k), hi = fm_load(a->hspec_im + k);
		const fm_v8f sr = fm_load(a->spec_re + k), si = fm_load(a->spec_im + k);
		fm_store(a->hspec_re + k, hr * sr + hi * si);
		fm_store(a->hspec_im + k, hr * si - hi * sr);
	}
	heist_rfft_inverse(a->fft, a->hspec_re, a->hspec_im, a->corr); /* unscaled: N * r */
	return loudness_db_body(a);
}

/* Where the reading of lag tau over YIN's window [o, o + w) sits in the span
 * (analysis.h, Framing). d(tau) bends in tau where the waveform moves: a
 * low voice's glottal pulses, one in the window (or two), so the lag read is
 * the length of the stretch from that pulse to the one tau later, and its
 * time is that stretch's middle: each sample's slope energy at both ends
 * weighs j + tau / 2. Negative for a span without slope. */
FM_ALWAYS double reading_centre(const float *x, uint32_t o, uint32_t w, uint32_t tau)
{
	/* RC_LANES running sums each, in float with positions from o (at most
	 * w): a loop the compiler vectorises (the double sums in one chain cost
	 * 10-14 % of the analysis); the lanes add up in double. */
	enum { RC_LANES = 8 };
	float sw[RC_LANES] = {0.0f}, swj[RC_LANES] = {0.0f};
	/* Each sample's neighbours: pa[j] = x[o + j + 1], pb[j] = x[o + j - 1]. */
	const float *pa = x + o + 1, *pb = x + o - 1, *qa = pa + tau, *qb = pb + tau;
	const uint32_t whole = w - w % RC_LANES;
	for (uint32_t j = 0; j < whole; j += RC_LANES) {
		for (uint32_t l = 0; l < RC_LANES; ++l) {
			const float p = pa[j + l] - pb[j + l], q = qa[j + l] - qb[j + l];
			const float e = p * p + q * q;
			sw[l] += e;
			swj[l] += e * (float)(j + l);
		}
	}
	double s = 0.0, sj = 0.0;
	for (uint32_t l = 0; l < RC_LANES; ++l) {
		s += sw[l];
		sj += swj[l];
	}
	for (uint32_t j = whole; j < w; ++j) {
		const float p = pa[j] - pb[j], q = qa[j] - qb[j];
		const float e = p * p + q * q;
		s += e;
		sj += (double)e * j;
	}
	return s > 0.0 ? o + sj / s + 0.5 * tau : -1.0;
}

/* A whole frame, compiled for the baseline and AVX2+FMA below. */
FM_ALWAYS heist_features frame_body(heist_analysis *a, const float *seg, int wide)
{
	const uint32_t n = a->span, w = a->width, tmax = a->tau_max, o = a->offset;
	heist_features out = {0.0f, 0.0f, 0.0f, HEIST_LOUDNESS_FLOOR_DB, 0, 0, 0.0f};
	a->reading_at = -1.0;
	/* Near-silent spans (digital silence: rests, tracks that play now and
	 * then) skip the work whose result is known: the energy of the whole
	 * span, in any order, bounds every energy below with room for its
	 * rounding (half the limits). Features are the same bit for bit. */
	fm_v8f sq8 = {0};
	fm_v4f sq4[2] = {{0}}; /* the baseline build: sq8 as two registers */
	uint32_t i = 0;
	for (; i + 8 <= n; i += 8) {
		if (wide) {
			const fm_v8f v = fm_load(seg + i);
			sq8 += v * v;
		} else {
			for (int h = 0; h < 2; ++h) {
				fm_v4f v;
				memcpy(&v, seg + i + 4 * h, sizeof v);
				sq4[h] += v * v;
			}
		}
	}
	float sq = 0.0f;
	for (; i < n; ++i) {
		sq += seg[i] * seg[i];
	}
	float sq_lanes[8];
	if (wide) {
		fm_store(sq_lanes, sq8);
	} else {
		memcpy(sq_lanes, sq4, sizeof sq_lanes);
	}
	for (int l = 0; l < 8; ++l) {
		sq += sq_lanes[l];
	}
	const double floor_power = pow(10.0, HEIST_LOUDNESS_FLOOR_DB / 10.0);
	if (a->w2_max * sq / a->hann_power + (a->n_stages ? a->hi_power : 0.0) <
	    0.5 * floor_power) { /* loudness_db_body's floor: power <= this */
		out.loudness_db = (float)(10.0 * log10(floor_power));
		return out;
	}
	if (sq < 0.5 * SILENCE_POWER * w) { /* e0 / w under SILENCE_POWER */
		out.loudness_db = spectral_body(a, seg, 0);
		return out;
	}
	const float loud = spectral_body(a, seg, 1);

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
	/* Four lanes at a time (IEEE operations, so the same values as the
	 * plain loop: gcc leaves that one scalar); two in the baseline build,
	 * where 4-double vectors live in stack memory. */
	uint32_t tau = 1;
	if (!wide) {
		v2d tv2 = {1.0, 2.0};
		const v2d zero2 = {0.0, 0.0}, one2 = {1.0, 1.0}, two2 = {2.0, 2.0};
		for (; tau + 2 <= tmax + 1; tau += 2, tv2 += two2) {
			v2d r, dv;
			memcpy(&r, running + tau, sizeof r);
			memcpy(&dv, d + tau, sizeof dv);
			const v2l pos = r > zero2;
			const v2d den = (v2d)(((v2l)r & pos) | ((v2l)one2 & ~pos));
			const v2d q = dv * tv2 / den;
			dv = (v2d)(((v2l)q & pos) | ((v2l)one2 & ~pos));
			memcpy(d + tau, &dv, sizeof dv);
		}
	}
	v4d tv = {1.0, 2.0, 3.0, 4.0};
	const v4d zero = {0.0, 0.0, 0.0, 0.0}, one = {1.0, 1.0, 1.0, 1.0};
	const v4d four = {4.0, 4.0, 4.0, 4.0};
	for (; wide && tau + 4 <= tmax + 1; tau += 4, tv += four) {
		v4d r, dv;
		memcpy(&r, running + tau, sizeof r);
		memcpy(&dv, d + tau, sizeof dv);
		const v4l pos = r > zero;
		const v4d den = (v4d)(((v4l)r & pos) | ((v4l)one & ~pos));
		const v4d q = dv * tv / den;
		dv = (v4d)(((v4l)q & pos) | ((v4l)one & ~pos));
		memcpy(d + tau, &dv, sizeof dv);
	}
	for (; tau <= tmax; ++tau) {
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
	best = prefer_deeper_near(d, best, tmax);
	best = prefer_sub_period(d, best, a->tau_min, tmax);
	best = prefer_true_period(d, best, tmax);
	best = prefer_held_octave(a, d, best, tmax);
	const double period = refine_period(d, best, tmax);
	double conf = 1.0 - d[best];
	conf = conf < 0.0 ? 0.0 : conf > 1.0 ? 1.0 : conf;
	/* A minimum on the last lag is the edge of a longer period (a note or
	 * mains hum under the floor), not a period: never confident. */
	conf = best >= tmax && conf >= HEIST_PITCH_HOLD_CONFIDENCE ? 0.49 : conf;
	out.confidence = (float)conf;
	out.f0_raw = (float)(a->sample_rate / period);
	a->reading_at = reading_centre(seg, o, w, best < tmax ? best : tmax - 1);
	return out;
}

/* Low and high branch outputs j0 <= j < j1 of a half-band stage from its
 * even and odd input samples: low[j] = x[2j] / 2 + sum_k c_k (x[2j - (2k -
 * 1)] + x[2j + 2k - 1]), hb[j] = x[2j] / 2 - the same sum. Thirty-two, then
 * eight at a time, then single outputs; the scalar path may round an output
 * differently (FMA contraction), so decimate_stage only gives it ranges
 * that keep each output on the path a whole computation takes. */
FM_ALWAYS void stage_outputs(const hb_stage *st, const float *ev, const float *od, float *low,
                             float *hb, uint32_t j, uint32_t j1, int wide)
{
	const uint32_t K = st->taps;
	const float *e = ev + K;
	/* The baseline build (wide 0) has no 8-float registers: gcc kept the
	 * 8-float chains in stack memory. There each 8 lanes run as two 4-float
	 * vectors, with the same operations per lane (so the same values). */
	for (; !wide && j + 32 <= j1; j += 32) {
		fm_v4f acc[8] = {{0}};
		for (uint32_t k = 1; k <= K; ++k) {
			const float c = st->c[k - 1];
			const float *lo = od + K - k + j, *up = od + K + k - 1 + j;
			for (uint32_t v = 0; v < 8; ++v) {
				fm_v4f l4, u4;
				memcpy(&l4, lo + 4 * v, sizeof l4);
				memcpy(&u4, up + 4 * v, sizeof u4);
				acc[v] += c * (l4 + u4);
			}
		}
		for (uint32_t v = 0; v < 8; ++v) {
			fm_v4f e4;
			memcpy(&e4, e + j + 4 * v, sizeof e4);
			const fm_v4f c = 0.5f * e4, l4 = c + acc[v], h4 = c - acc[v];
			memcpy(low + j + 4 * v, &l4, sizeof l4);
			memcpy(hb + j + 4 * v, &h4, sizeof h4);
		}
	}
	for (; j + 32 <= j1; j += 32) { /* four independent FMA chains */
		fm_v8f a0 = {0}, a1 = a0, a2 = a0, a3 = a0;
		for (uint32_t k = 1; k <= K; ++k) {
			const float c = st->c[k - 1];
			const float *lo = od + K - k + j, *up = od + K + k - 1 + j;
			a0 += c * (fm_load(lo) + fm_load(up));
			a1 += c * (fm_load(lo + 8) + fm_load(up + 8));
			a2 += c * (fm_load(lo + 16) + fm_load(up + 16));
			a3 += c * (fm_load(lo + 24) + fm_load(up + 24));
		}
		const fm_v8f acc[4] = {a0, a1, a2, a3};
		for (uint32_t v = 0; v < 4; ++v) {
			const fm_v8f c = 0.5f * fm_load(e + j + 8 * v);
			fm_store(low + j + 8 * v, c + acc[v]);
			fm_store(hb + j + 8 * v, c - acc[v]);
		}
	}
	for (; !wide && j + 8 <= j1; j += 8) {
		fm_v4f acc[2] = {{0}};
		for (uint32_t k = 1; k <= K; ++k) {
			for (uint32_t v = 0; v < 2; ++v) {
				fm_v4f l4, u4;
				memcpy(&l4, od + K - k + j + 4 * v, sizeof l4);
				memcpy(&u4, od + K + k - 1 + j + 4 * v, sizeof u4);
				acc[v] += st->c[k - 1] * (l4 + u4);
			}
		}
		for (uint32_t v = 0; v < 2; ++v) {
			fm_v4f e4;
			memcpy(&e4, e + j + 4 * v, sizeof e4);
			const fm_v4f c = 0.5f * e4, l4 = c + acc[v], h4 = c - acc[v];
			memcpy(low + j + 4 * v, &l4, sizeof l4);
			memcpy(hb + j + 4 * v, &h4, sizeof h4);
		}
	}
	for (; j + 8 <= j1; j += 8) {
		fm_v8f acc = {0};
		for (uint32_t k = 1; k <= K; ++k) {
			acc +=
			    st->c[k - 1] * (fm_load(od + K - k + j) + fm_load(od + K + k - 1 + j));
		}
		const fm_v8f c = 0.5f * fm_load(e + j);
		fm_store(low + j, c + acc);
		fm_store(hb + j, c - acc);
	}
	for (; j < j1; ++j) {
		float acc = 0.0f;
		for (uint32_t k = 1; k <= K; ++k) {
			acc += st->c[k - 1] * (od[K - k + j] + od[K + k - 1 + j]);
		}
		low[j] = 0.5f * e[j] + acc;
		hb[j] = 0.5f * e[j] - acc;
	}
}

/* The high branch through the zero-phase weighting FIR f, y[j] for
 * j0 <= j < j1 (HI_TAPS <= j0, j1 <= n - HI_TAPS); eight at a time from
 * j0, as stage_outputs on the same blocks as a whole computation. */
FM_ALWAYS void stage_weighted(const float *f, const float *hb, float *y, uint32_t j, uint32_t j1)
{
	for (; j + 8 <= j1; j += 8) {
		fm_v8f v = f[0] * fm_load(hb + j);
		for (uint32_t t = 1; t <= HI_TAPS; ++t) {
			v += f[t] * (fm_load(hb + j - t) + fm_load(hb + j + t));
		}
		fm_store(y + j, v);
	}
	for (; j < j1; ++j) {
		float v = f[0] * hb[j];
		for (uint32_t t = 1; t <= HI_TAPS; ++t) {
			v += f[t] * (hb[j - t] + hb[j + t]);
		}
		y[j] = v;
	}
}

/* Span input x[n_in] reflected at both ends into pad, split into its even
 * and odd samples (odd[m] is x[2m + 1 - P]) for m in [m0, m1). */
FM_ALWAYS void stage_split(heist_analysis *a, uint32_t P, const float *x, uint32_t n_in,
                           uint32_t m0, uint32_t m1)
{
	float *pad = a->pad, *ev = a->even, *od = a->odd;
	const uint32_t q0 = 2 * m0, q1 = 2 * m1 < n_in + 2 * P ? 2 * m1 : n_in + 2 * P;
	const uint32_t in0 = q0 > P ? q0 : P, in1 = q1 < P + n_in ? q1 : P + n_in;
	for (uint32_t q = q0; q < P && q < q1; ++q) {
		pad[q] = x[P - q];
	}
	if (in1 > in0) {
		memcpy(pad + in0, x + (in0 - P), (in1 - in0) * sizeof(float));
	}
	for (uint32_t q = in1 > q0 ? in1 : q0; q < q1; ++q) {
		pad[q] = x[2 * n_in + P - 2 - q];
	}
	uint32_t m = m0;
	for (; m + 8 <= m1; m += 8) {
		const fm_v8f v0 = fm_load(pad + 2 * m), v1 = fm_load(pad + 2 * m + 8);
		fm_store(ev + m, __builtin_shufflevector(v0, v1, 0, 2, 4, 6, 8, 10, 12, 14));
		fm_store(od + m, __builtin_shufflevector(v0, v1, 1, 3, 5, 7, 9, 11, 13, 15));
	}
	for (; m < m1; ++m) {
		ev[m] = pad[2 * m];
		od[m] = pad[2 * m + 1];
	}
}

/* The high branch's Hann-weighted mean square from y: the first and last
 * HI_TAPS samples, where the window squared is below 1e-3 of its peak, are
 * left out. Float lanes: a few hundred non-negative terms, < 1e-6
 * relative. */
FM_ALWAYS double stage_hi_power(const hb_stage *st, const float *y, uint32_t n_out)
{
	const float *w2 = st->hann2;
	fm_v8f sum8 = {0}, sum8b = {0};
	uint32_t j = HI_TAPS;
	for (; j + 16 + HI_TAPS <= n_out; j += 16) {
		const fm_v8f y0 = fm_load(y + j), y1 = fm_load(y + j + 8);
		sum8 += fm_load(w2 + j) * y0 * y0;
		sum8b += fm_load(w2 + j + 8) * y1 * y1;
	}
	sum8 += sum8b;
	double sum = 0.0;
	for (; j + HI_TAPS < n_out; ++j) {
		sum += (double)(w2[j] * y[j] * y[j]);
	}
	float lanes[8];
	fm_store(lanes, sum8);
	for (int l = 0; l < 8; ++l) {
		sum += lanes[l];
	}
	return sum / st->hann2_sum;
}

/* One half-band stage: x[n_in] -> low[n_in / 2], y (the weighted high
 * branch); returns the high branch's A-weighted mean square (Hann over the
 * span). Decimated sample j sits at input sample 2 j; the input is
 * reflected at both ends. Where x[i] equals the slot's last input at
 * i + shift for i in [*ca, *cb) (shift even; *cb == 0: nothing shared),
 * the outputs that read only those samples are the last frame's, moved;
 * on return [*ca, *cb) is the range of outputs so shared (shift / 2). */
FM_ALWAYS double decimate_stage(heist_analysis *a, const hb_stage *st, const float *x,
                                uint32_t n_in, float *low, float *y, uint32_t shift, uint32_t *ca,
                                uint32_t *cb, int wide)
{
	const uint32_t K = st->taps, P = 2 * K, n_out = n_in / 2, half = n_in / 2 + P;
	/* Outputs whose 4K - 1 inputs are all shared: r0 <= j < r1. */
	uint32_t r0 = 0, r1 = 0;
	if (*cb > *ca && shift % 2 == 0 && *cb >= 2 * K) {
		r0 = (*ca + 2 * K) / 2;
		r1 = (*cb - 2 * K) / 2 + 1;
		r1 = r1 < n_out ? r1 : n_out;
	}
	float *hb = a->pad; /* read by no stage_split after this */
	const uint32_t D = shift / 2;
	/* The ends computed again: the outputs on the same 32-output blocks
	 * and the high branch on the same 8-output blocks (from HI_TAPS) as a
	 * whole computation, so each value takes the same path (a scalar tail
	 * may round otherwise); the high branch reads HI_TAPS on either side. */
	const uint32_t y0 = HI_TAPS + (r0 + 7) / 8 * 8;
	const uint32_t y1 = r1 > 3 * HI_TAPS ? HI_TAPS + (r1 - 2 * HI_TAPS) / 8 * 8 : 0;
	const uint32_t e0 = (y0 + HI_TAPS + 31) / 32 * 32;
	const uint32_t e1 = y1 > HI_TAPS ? (y1 - HI_TAPS) / 32 * 32 : 0;
	if (r1 > r0 && e1 > e0 && e0 <= n_out / 32 * 32) {
		memmove(low + r0, low + r0 + D, (r1 - r0) * sizeof(float));
		memmove(y + y0, y + y0 + D, (y1 - y0) * sizeof(float));
		stage_split(a, P, x, n_in, 0, e0 + 2 * K);
		stage_split(a, P, x, n_in, e1, half);
		stage_outputs(st, a->even, a->odd, low, hb, 0, e0, wide);
		stage_outputs(st, a->even, a->odd, low, hb, e1, n_out, wide);
		stage_weighted(st->hi_w, hb, y, HI_TAPS, y0);
		stage_weighted(st->hi_w, hb, y, y1, n_out - HI_TAPS);
		*ca = r0;
		*cb = r1;
	} else {
		stage_split(a, P, x, n_in, 0, half);
		stage_outputs(st, a->even, a->odd, low, hb, 0, n_out, wide);
		stage_weighted(st->hi_w, hb, y, HI_TAPS, n_out - HI_TAPS);
		*ca = *cb = 0;
	}
	return stage_hi_power(st, y, n_out);
}

/* Decimate (if this analyser does) and analyse; start: the span's first
 * sample in the stream, or NULL when unknown (nothing is taken from the
 * last frame). */
FM_ALWAYS heist_features analyse_body(heist_analysis *a, const float *seg, const int64_t *start,
                                      int wide)
{
	dec_tag *tag = a->tag;
	if (tag->owner != a) {  /* another floor's frames were in the slots */
		tag->owner = a; /* (one without stages overwrites them too) */
		memset(tag->valid, 0, sizeof tag->valid);
	}
	if (!a->n_stages) {
		return frame_body(a, seg, wide);
	}
	const uint32_t slot = start && a->n_slots > 1 ? (uint32_t)(*start & 1) : 0u;
	uint32_t ca = 0, cb = 0, shift = 0;
	if (start && tag->valid[slot] && *start >= tag->start[slot] &&
	    *start - tag->start[slot] < a->host_span) {
		shift = (uint32_t)(*start - tag->start[slot]);
		cb = a->host_span - shift; /* the caller's stream: its samples do not change */
	}
	tag->valid[slot] = start != NULL;
	tag->start[slot] = start ? *start : 0;
	const float *x = seg;
	uint32_t n = a->host_span;
	double hi = 0.0;
	for (uint32_t s = 0; s < a->n_stages; ++s) {
		float *low = a->low[slot][s];
		hi += decimate_stage(a, &a->stage[s], x, n, low, a->hy[slot][s], shift, &ca, &cb,
		                     wide);
		x = low;
		n /= 2;
		shift /= 2;
	}
	a->hi_power = hi;
	return frame_body(a, x, wide);
}

static heist_features frame_generic(heist_analysis *a, const float *seg, const int64_t *start)
{
	return analyse_body(a, seg, start, 0);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) static heist_features
frame_avx2(heist_analysis *a, const float *seg, const int64_t *start)
{
	return analyse_body(a, seg, start, 1);
}
#endif

/* YIN on the span, at the processor's level. */
static heist_features frame_yin(heist_analysis *a, const float *seg, const int64_t *start)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (heist_cpu_level() >= HEIST_CPU_AVX2) {
		return frame_avx2(a, seg, start);
	}
#endif
	return frame_generic(a, seg, start);
}

/* Run the sub-floor detector only where a note under the floor can hide: an
 * audible frame whose estimate is unsure or lies within the few harmonics
 * above the floor that a lower note would show. */
#define SUBFLOOR_MIN_DB (-70.0f)
#define SUBFLOOR_HARMONICS 3.5f
#define SUBFLOOR_SURE 0.95f
/* YIN's confidence at which its own period stands against a sub-floor
 * multiple of it: a note under the floor leaves YIN's harmonic at most 0.80
 * (test_front_end's voice tones: its odd harmonics spoil the shorter
 * period), a note in range read at 0.99 has the multiple as a period too. */
#define SUBFLOOR_YIN_CLEAN 0.95f

/* A note under the floor shows in YIN's range as one of its harmonics: the
 * detector is believed when YIN found a clear harmonic of its period, or
 * when its own period is near perfect. A chord's common period (a sub-floor
 * "root" its tones share) mostly has neither. */
static int subfloor_agrees(const heist_features *f, float low, float conf)
{
	const float k = f->f0_raw / low;
	const int harmonic = k > 1.5f && k < 8.5f && fabsf(k - roundf(k)) < 0.03f * roundf(k);
	if (harmonic && f->confidence >= SUBFLOOR_YIN_CLEAN) {
		/* YIN's own period this clean is the note; a multiple of it is
		 * as periodic (sung-male's 157 Hz vowel read at 3x its period,
		 * 52 Hz at 0.998, and doubled into range: a fifth low for 96 ms) */
		return 0;
	}
	if (conf >= SUBFLOOR_SURE) {
		return 1;
	}
	return f->confidence >= HEIST_PITCH_HOLD_CONFIDENCE && harmonic;
}

/* Consecutive readings of one cycle, cycle_to_centre(): apart by less than
 * this share of the period. Readings of distinct cycles are carried along
 * their slope while every frame between them read confidently, within a
 * span of each other and CYCLE_MAX_ST apart (more is a note change, or an
 * octave reading). */
#define CYCLE_SAME 0.4
#define CYCLE_MAX_ST 4.0
/* Both readings of the step at least this confident: at a note change the
 * spans that hold both notes read between them (0.8-0.9 on a pulse-like
 * voice's instant change of 2-3 st), and a slope carried from such a reading
 * overshot the new note by up to 29 cents for a frame; a glide's readings
 * stay at 0.95 and over. */
#define CYCLE_MIN_CONF 0.9
/* And both readings' aperiodicity (1 - confidence) no more than the step
 * between them explains: CYCLE_APER + CYCLE_APER_ST2 * (step in st)^2. A
 * gliding, periodic voice reads within it (glide_steps: 0.007 at steps
 * under 0.35 st, 0.04 at 1-2.6 st); a voice whose cycles are irregular
 * (speech-low, 75 Hz: 0.035 median at 0.05-0.35 st) reads the step between
 * two cycles' jitter, which the reference trackers average
 * over several cycles: carried, it moved the output 0.8-1.1 cents further
 * from the voice (median), so its readings stay their own frames'. */
#define CYCLE_APER 0.01
#define CYCLE_APER_ST2 0.04
#define CYCLE_FREE_ST 0.5
#define CYCLE_STEP_RATIO 3.0
/* How far past the latest reading the slope is carried, in gaps. */
#define CYCLE_AHEAD 1.0

/* [audio] The frame's period moved from where it was read to the frame's
 * centre (analysis.h, Framing): along the slope of log f0 between the last
 * two distinct cycles' readings, so that on a glide the estimate slides from
 * one cycle's period to the next instead of holding each for 2-3 frames.
 * start: the span's first sample in the stream. */
static float cycle_to_centre(heist_analysis *a, const heist_features *f, int64_t start)
{
	cycle_readings *c = &a->cyc;
	if (!(f->f0_raw > 0.0f) || f->confidence < HEIST_PITCH_HOLD_CONFIDENCE ||
	    a->reading_at < 0.0) {
		c->n = 0;
		return f->f0_raw;
	}
	const double t = (double)start + a->reading_at * a->decim, lf = log((double)f->f0_raw);
	const double period = a->sample_rate * a->decim / f->f0_raw;
	if (c->n == 0 || fabs(t - c->t[0]) >= CYCLE_SAME * period) {
		for (int i = 2; i > 0; --i) {
			c->t[i] = c->t[i - 1];
			c->lf[i] = c->lf[i - 1];
			c->conf[i] = c->conf[i - 1];
		}
		c->n = c->n < 3 ? c->n + 1 : 3;
	}
	c->t[0] = t;
	c->lf[0] = lf;
	c->conf[0] = f->confidence;
	const double gap = c->t[0] - c->t[1], step = c->lf[0] - c->lf[1];
	const double st = log(2.0) / 12.0;
	const double step_st = step / st;
	const double aper = 1.0 - fmin(c->conf[0], c->conf[1]);
	if (c->n < 2 || gap <= 0.0 || gap > a->host_span || fabs(step) > CYCLE_MAX_ST * st ||
	    c->conf[0] < CYCLE_MIN_CONF || c->conf[1] < CYCLE_MIN_CONF ||
	    aper > CYCLE_APER + CYCLE_APER_ST2 * step_st * step_st) {
		return f->f0_raw;
	}
	/* A step beyond CYCLE_FREE_ST goes on the way the one before went, and
	 * at most CYCLE_STEP_RATIO times as far: a glide. A misread cycle
	 * (speech near the floor: a reading 2.6 st off between true ones) steps
	 * out and back, and its reading stays its own frame's. */
	const double before = c->n >= 3 ? c->lf[1] - c->lf[2] : 0.0;
	if (fabs(step) > CYCLE_FREE_ST * st &&
	    !(step * before > 0.0 && fabs(step) <= CYCLE_STEP_RATIO * fabs(before))) {
		return f->f0_raw;
	}
	double u = ((double)start + 0.5 * a->host_span - t) / gap;
	u = u < -1.0 ? -1.0 : u > CYCLE_AHEAD ? CYCLE_AHEAD : u;
	return (float)exp(lf + u * step);
}

/* start: the span's first sample in the stream, or NULL (no position: the
 * period stays where it was read); reuse: take what the decimation stages
 * share with the last frame (only with start). */
static heist_features analysis_frame(heist_analysis *a, const float *seg, int with_history,
                                     const int64_t *start, int reuse)
{
	heist_features f = frame_yin(a, seg, reuse ? start : NULL);
	f.f0_read = f.f0_raw;
	if (start) {
		f.f0_raw = cycle_to_centre(a, &f, *start);
	} else {
		a->cyc.n = 0;
	}
	if (with_history && f.loudness_db > SUBFLOOR_MIN_DB &&
	    (f.confidence < HEIST_PITCH_HOLD_CONFIDENCE ||
	     f.f0_raw < SUBFLOOR_HARMONICS * a->lowest_pitch)) {
		float conf = 0.0f;
		const float low = heist_pitch_track_subfloor(&a->track, seg + a->host_span, &conf);
		if (low > 0.0f && subfloor_agrees(&f, low, conf)) {
			/* Whole octaves up into the range: steady, never wandering. */
			float up = low;
			while (up < a->lowest_pitch) {
				up *= 2.0f;
			}
			f.f0_raw = f.f0_read = up;
			f.confidence = conf;
			f.below_range = 1;
		}
	} else {
		heist_pitch_track_subfloor_skip(&a->track);
	}
	f.f0 = heist_pitch_track_step(&a->track, f.f0_raw, f.confidence, &f.voiced);
	return f;
}

heist_features heist_analysis_frame_ext(heist_analysis *a, const float *seg, int with_history)
{
	return analysis_frame(a, seg, with_history, NULL, 0);
}

heist_features heist_analysis_frame_at(heist_analysis *a, const float *seg, int with_history,
                                       int64_t start)
{
	return analysis_frame(a, seg, with_history, &start, 1);
}

heist_features heist_analysis_frame_whole_at(heist_analysis *a, const float *seg, int with_history,
                                             int64_t start)
{
	return analysis_frame(a, seg, with_history, &start, 0);
}

heist_features heist_analysis_frame(heist_analysis *a, const float *seg)
{
	return analysis_frame(a, seg, 0, NULL, 0);
}
