/* Ardour inline display for Heist: pitch trace and morph position. See
 * inline_display.h for the protocol and the thread classes. */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cairo/cairo.h>
#include <lv2/core/lv2_util.h>

#include "inline_display.h"

/* 32 points per second over 4 s: enough for a phrase, cheap to draw. */
#define IDISP_RATE_HZ 32.0
#define IDISP_POINTS 128u
/* Below this pitch confidence a point is drawn as a gap. */
#define IDISP_MIN_CONFIDENCE 0.2f
/* Morph moves smaller than this are not visible on a strip-wide bar. */
#define IDISP_MORPH_EPSILON 0.002f

struct heist_idisp {
	LV2_Inline_Display *host;

	/* Written by run() ([audio]), read by render() ([gui]): relaxed atomics,
	 * a torn picture is at worst one stale point. */
	_Atomic float note[IDISP_POINTS]; /* MIDI note; 0 = unvoiced */
	_Atomic float conf[IDISP_POINTS];
	atomic_uint head; /* points written so far */
	_Atomic float morph;
	atomic_int style_a, style_b;
	atomic_bool queued; /* a redraw was asked for and not yet rendered */

	/* [audio] only. */
	double step, acc; /* samples per point, samples since the last point */
	unsigned voiced;  /* voiced points in the window */
	float drawn_morph;
	int drawn_a, drawn_b;

	/* [gui] only. */
	cairo_surface_t *surface;
	LV2_Inline_Display_Image_Surface image;
};

heist_idisp *heist_idisp_new(double rate, const LV2_Feature *const *features)
{
	/* Not lv2_features_query(): lv2file 0.95 passes a feature whose URI is
	 * NULL, and its strcmp() crashes the host. */
	LV2_Inline_Display *host = NULL;
	for (size_t i = 0; features && features[i]; ++i) {
		if (features[i]->URI && !strcmp(features[i]->URI, HEIST_IDISP__queue_draw)) {
			host = features[i]->data;
		}
	}
	if (!host || !host->queue_draw || !(rate > 0.0)) {
		return NULL;
	}
	heist_idisp *d = calloc(1, sizeof(*d));
	if (!d) {
		return NULL;
	}
	d->host = host;
	d->step = rate / IDISP_RATE_HZ;
	d->drawn_morph = -1.0f; /* forces the first picture */
	d->drawn_a = d->drawn_b = -1;
	for (unsigned i = 0; i < IDISP_POINTS; ++i) {
		atomic_init(&d->note[i], 0.0f);
		atomic_init(&d->conf[i], 0.0f);
	}
	atomic_init(&d->head, 0u);
	atomic_init(&d->morph, 0.0f);
	atomic_init(&d->style_a, 0);
	atomic_init(&d->style_b, 0);
	atomic_init(&d->queued, false);
	return d;
}

void heist_idisp_free(heist_idisp *d)
{
	if (d) {
		if (d->surface) {
			cairo_surface_destroy(d->surface);
		}
		free(d);
	}
}

/* [audio] Append one point; keeps the count of voiced points in the window. */
static void push_point(heist_idisp *d, float note, float conf)
{
	const unsigned head = atomic_load_explicit(&d->head, memory_order_relaxed);
	const unsigned slot = head % IDISP_POINTS;
	if (head >= IDISP_POINTS &&
	    atomic_load_explicit(&d->note[slot], memory_order_relaxed) > 0.0f) {
		--d->voiced; /* the point scrolling out was voiced */
	}
	atomic_store_explicit(&d->note[slot], note, memory_order_relaxed);
	atomic_store_explicit(&d->conf[slot], conf, memory_order_relaxed);
	atomic_store_explicit(&d->head, head + 1u, memory_order_release);
	if (note > 0.0f) {
		++d->voiced;
	}
}

void heist_idisp_update(heist_idisp *d, uint32_t n_samples, float pitch_hz, float confidence,
                        float morph, int style_a, int style_b)
{
	if (!d) {
		return;
	}
	const bool voiced =
	    pitch_hz > 0.0f && isfinite(pitch_hz) && confidence >= IDISP_MIN_CONFIDENCE;
	const float note = voiced ? 69.0f + 12.0f * log2f(pitch_hz / 440.0f) : 0.0f;
	const float conf = isfinite(confidence) ? confidence : 0.0f;

	/* The trace is visible while any voiced point is in the window: then
	 * each new point scrolls it. A window of silence stays still. */
	bool changed = false;
	d->acc += n_samples;
	while (d->acc >= d->step) { /* at most n_samples / step rounds */
		d->acc -= d->step;
		const unsigned before = d->voiced;
		push_point(d, note > 0.0f ? note : 0.0f, conf);
		changed = changed || before > 0 || d->voiced > 0;
	}
	if (fabsf(morph - d->drawn_morph) > IDISP_MORPH_EPSILON || style_a != d->drawn_a ||
	    style_b != d->drawn_b) {
		d->drawn_morph = morph;
		d->drawn_a = style_a;
		d->drawn_b = style_b;
		atomic_store_explicit(&d->morph, morph, memory_order_relaxed);
		atomic_store_explicit(&d->style_a, style_a, memory_order_relaxed);
		atomic_store_explicit(&d->style_b, style_b, memory_order_relaxed);
		changed = true;
	}
	if (changed && !atomic_exchange_explicit(&d->queued, true, memory_order_acq_rel)) {
		d->host->queue_draw(d->host->handle);
	}
}

/* [gui] */
static void draw(heist_idisp *d, cairo_t *cr, double w, double h)
{
	cairo_set_source_rgb(cr, 0.09, 0.10, 0.12);
	cairo_paint(cr);

	const double bar_h = h > 40.0 ? 10.0 : 6.0;
	const double trace_h = h - bar_h - 4.0;

	/* Snapshot of the window, oldest first. */
	float note[IDISP_POINTS], conf[IDISP_POINTS];
	const unsigned head = atomic_load_explicit(&d->head, memory_order_acquire);
	float lo = 1e9f, hi = -1e9f;
	for (unsigned i = 0; i < IDISP_POINTS; ++i) {
		const unsigned k = head + i; /* oldest is at head % N */
		note[i] = atomic_load_explicit(&d->note[k % IDISP_POINTS], memory_order_relaxed);
		conf[i] = atomic_load_explicit(&d->conf[k % IDISP_POINTS], memory_order_relaxed);
		if (note[i] > 0.0f) {
			lo = fminf(lo, note[i]);
			hi = fmaxf(hi, note[i]);
		}
	}
	/* Fit the range to the phrase, at least an octave, centred. */
	if (hi < lo) {
		lo = 57.0f;
		hi = 69.0f;
	}
	const float mid = 0.5f * (lo + hi);
	const float span = fmaxf(12.0f, hi - lo + 4.0f);
	lo = mid - 0.5f * span;

	/* Octave guide lines at every C. */
	cairo_set_line_width(cr, 1.0);
	cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, 0.08);
	for (int c = 12 * (int)ceilf(lo / 12.0f); c < lo + span; c += 12) {
		const double y = 2.0 + trace_h * (1.0 - (c - lo) / span);
		cairo_move_to(cr, 0, floor(y) + 0.5);
		cairo_line_to(cr, w, floor(y) + 0.5);
	}
	cairo_stroke(cr);

	cairo_set_line_width(cr, h > 40.0 ? 2.0 : 1.5);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	const double dx = w / (IDISP_POINTS - 1);
	for (unsigned i = 1; i < IDISP_POINTS; ++i) {
		if (note[i] <= 0.0f || note[i - 1] <= 0.0f || fabsf(note[i] - note[i - 1]) > 7.0f) {
			continue; /* gaps and octave jumps are not joined */
		}
		const double a = 0.35 + 0.65 * fmin(1.0, conf[i]);
		cairo_set_source_rgba(cr, 0.30, 0.85, 0.95, a);
		cairo_move_to(cr, (i - 1) * dx, 2.0 + trace_h * (1.0 - (note[i - 1] - lo) / span));
		cairo_line_to(cr, i * dx, 2.0 + trace_h * (1.0 - (note[i] - lo) / span));
		cairo_stroke(cr);
	}

	/* Morph bar: style A on the left, style B on the right. */
	const float morph = atomic_load_explicit(&d->morph, memory_order_relaxed);
	const double y = h - bar_h - 1.0;
	cairo_set_source_rgb(cr, 0.20, 0.22, 0.26);
	cairo_rectangle(cr, 1.0, y, w - 2.0, bar_h);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.95, 0.55, 0.20);
	cairo_rectangle(cr, 1.0, y, (w - 2.0) * fmin(1.0, fmax(0.0, morph)), bar_h);
	cairo_fill(cr);
}

LV2_Inline_Display_Image_Surface *heist_idisp_render(heist_idisp *d, uint32_t w, uint32_t max_h)
{
	if (!d || w < 8 || max_h < 8) {
		return NULL;
	}
	uint32_t h = w * 9 / 16;
	h = h > max_h ? max_h : h < 16 ? 16 : h;
	h = h > max_h ? max_h : h;
	if (!d->surface || (uint32_t)cairo_image_surface_get_width(d->surface) != w ||
	    (uint32_t)cairo_image_surface_get_height(d->surface) != h) {
		if (d->surface) {
			cairo_surface_destroy(d->surface);
		}
		d->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)w, (int)h);
	}
	if (cairo_surface_status(d->surface) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(d->surface);
		d->surface = NULL;
		return NULL;
	}
	/* Cleared before drawing: a point run() writes meanwhile queues the
	 * next picture. */
	atomic_store_explicit(&d->queued, false, memory_order_release);
	cairo_t *cr = cairo_create(d->surface);
	draw(d, cr, w, h);
	cairo_destroy(cr);
	cairo_surface_flush(d->surface);

	d->image.data = cairo_image_surface_get_data(d->surface);
	d->image.width = (int)w;
	d->image.height = (int)h;
	d->image.stride = cairo_image_surface_get_stride(d->surface);
	return &d->image;
}
