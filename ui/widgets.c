/* See widgets.h. */
#include <math.h>
#include <stddef.h>

#include "widgets.h"

#ifndef M_PI /* not in strict C11 */
#define M_PI 3.14159265358979323846
#endif

#define HUI_FONT "DejaVu Sans"

const hui_rgb hui_bg = {0.075, 0.082, 0.098};
const hui_rgb hui_card_bg = {0.118, 0.129, 0.153};
const hui_rgb hui_track = {0.200, 0.216, 0.251};
const hui_rgb hui_text_fg = {0.910, 0.918, 0.933};
const hui_rgb hui_text_dim = {0.553, 0.576, 0.624};
const hui_rgb hui_accent = {0.945, 0.557, 0.204};
const hui_rgb hui_pitch = {0.306, 0.835, 0.945};
const hui_rgb hui_meter_ok = {0.361, 0.800, 0.459};
const hui_rgb hui_meter_hot = {0.949, 0.792, 0.255};
const hui_rgb hui_meter_clip = {0.929, 0.298, 0.275};

void hui_set(cairo_t *cr, hui_rgb c, double alpha)
{
	cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

void hui_round_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
	r = fmin(r, 0.5 * fmin(w, h));
	cairo_new_sub_path(cr);
	cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
	cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
	cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
	cairo_arc(cr, x + r, y + r, r, M_PI, 3 * M_PI / 2);
	cairo_close_path(cr);
}

void hui_card(cairo_t *cr, double x, double y, double w, double h)
{
	hui_round_rect(cr, x, y, w, h, 8);
	hui_set(cr, hui_card_bg, 1.0);
	cairo_fill_preserve(cr);
	cairo_set_line_width(cr, 1.0);
	cairo_set_source_rgba(cr, 1, 1, 1, 0.05);
	cairo_stroke(cr);
}

double hui_text(cairo_t *cr, const char *s, double x, double y, double size, bool bold,
                hui_align align, hui_rgb c, double max_w)
{
	cairo_select_font_face(cr, HUI_FONT, CAIRO_FONT_SLANT_NORMAL,
	                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	cairo_text_extents_t ext;
	cairo_text_extents(cr, s, &ext);
	if (max_w > 0 && ext.x_advance > max_w) {
		cairo_set_font_size(cr, size * max_w / ext.x_advance);
		cairo_text_extents(cr, s, &ext);
	}
	const double w = ext.x_advance;
	const double x0 = align == HUI_LEFT ? x : align == HUI_CENTER ? x - 0.5 * w : x - w;
	hui_set(cr, c, 1.0);
	cairo_move_to(cr, x0, y);
	cairo_show_text(cr, s);
	cairo_new_path(cr);
	return w;
}

/* The knob's travel: 270 degrees, from 7:30 to 4:30. */
#define KNOB_START (0.75 * M_PI)
#define KNOB_SPAN (1.5 * M_PI)

void hui_knob(cairo_t *cr, double cx, double cy, double r, double norm, double origin,
              hui_rgb accent, bool active)
{
	const double a = KNOB_START + KNOB_SPAN * norm;
	const double a0 = KNOB_START + KNOB_SPAN * origin;

	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	cairo_set_line_width(cr, 0.16 * r);
	hui_set(cr, hui_track, 1.0);
	cairo_arc(cr, cx, cy, r, KNOB_START, KNOB_START + KNOB_SPAN);
	cairo_stroke(cr);

	hui_set(cr, accent, 1.0);
	if (fabs(a - a0) > 1e-3) {
		if (a > a0) {
			cairo_arc(cr, cx, cy, r, a0, a);
		} else {
			cairo_arc(cr, cx, cy, r, a, a0);
		}
		cairo_stroke(cr);
	}

	cairo_pattern_t *body = cairo_pattern_create_linear(cx, cy - 0.75 * r, cx, cy + 0.75 * r);
	cairo_pattern_add_color_stop_rgb(body, 0, 0.29, 0.31, 0.36);
	cairo_pattern_add_color_stop_rgb(body, 1, 0.17, 0.18, 0.21);
	cairo_arc(cr, cx, cy, 0.72 * r, 0, 2 * M_PI);
	cairo_set_source(cr, body);
	cairo_fill(cr);
	cairo_pattern_destroy(body);
	if (active) {
		cairo_arc(cr, cx, cy, 0.72 * r, 0, 2 * M_PI);
		hui_set(cr, accent, 0.8);
		cairo_set_line_width(cr, 1.5);
		cairo_stroke(cr);
	}

	cairo_set_line_width(cr, 0.1 * r);
	hui_set(cr, hui_text_fg, 1.0);
	cairo_move_to(cr, cx + 0.25 * r * cos(a), cy + 0.25 * r * sin(a));
	cairo_line_to(cr, cx + 0.62 * r * cos(a), cy + 0.62 * r * sin(a));
	cairo_stroke(cr);
}

void hui_hslider(cairo_t *cr, double x, double y, double w, double h, double norm, hui_rgb accent,
                 bool active)
{
	const double th = 0.32 * h; /* track height */
	const double ty = y + 0.5 * (h - th);
	hui_round_rect(cr, x, ty, w, th, 0.5 * th);
	hui_set(cr, hui_track, 1.0);
	cairo_fill(cr);

	cairo_pattern_t *fill = cairo_pattern_create_linear(x, 0, x + w, 0);
	cairo_pattern_add_color_stop_rgb(fill, 0, accent.r * 0.55, accent.g * 0.55,
	                                 accent.b * 0.55);
	cairo_pattern_add_color_stop_rgb(fill, 1, accent.r, accent.g, accent.b);
	hui_round_rect(cr, x, ty, fmax(th, w * norm), th, 0.5 * th);
	cairo_set_source(cr, fill);
	cairo_fill(cr);
	cairo_pattern_destroy(fill);

	const double tx = x + w * norm;
	const double tr = 0.42 * h;
	cairo_arc(cr, tx, y + 0.5 * h, tr, 0, 2 * M_PI);
	hui_set(cr, hui_text_fg, 1.0);
	cairo_fill_preserve(cr);
	hui_set(cr, active ? accent : hui_bg, 1.0);
	cairo_set_line_width(cr, active ? 3.0 : 2.0);
	cairo_stroke(cr);
}

void hui_meter(cairo_t *cr, double x, double y, double w, double h, double norm, hui_rgb c)
{
	norm = fmax(0.0, fmin(1.0, norm));
	hui_round_rect(cr, x, y, w, h, 2);
	hui_set(cr, hui_track, 1.0);
	cairo_fill(cr);
	if (norm > 0.0) {
		hui_round_rect(cr, x, y, w * norm, h, 2);
		hui_set(cr, c, 1.0);
		cairo_fill(cr);
	}
	/* Ticks every tenth. */
	cairo_set_line_width(cr, 1.0);
	cairo_set_source_rgba(cr, 0, 0, 0, 0.35);
	for (int i = 1; i < 10; ++i) {
		const double tx = floor(x + w * i / 10.0) + 0.5;
		cairo_move_to(cr, tx, y);
		cairo_line_to(cr, tx, y + h);
	}
	cairo_stroke(cr);
}

void hui_button(cairo_t *cr, double x, double y, double w, double h, const char *label, bool on,
                bool pressed)
{
	hui_round_rect(cr, x, y, w, h, 6);
	if (on) {
		hui_set(cr, hui_accent, pressed ? 0.75 : 1.0);
	} else {
		hui_set(cr, hui_track, pressed ? 0.7 : 1.0);
	}
	cairo_fill(cr);
	hui_text(cr, label, x + 0.5 * w, y + 0.5 * h + 5, 13, true, HUI_CENTER,
	         on ? hui_bg : hui_text_fg, w - 12);
}

void hui_picker(cairo_t *cr, double x, double y, double w, double h, const char *name, bool open,
                hui_rgb accent)
{
	hui_round_rect(cr, x, y, w, h, 6);
	hui_set(cr, hui_track, 1.0);
	cairo_fill(cr);
	if (open) {
		hui_round_rect(cr, x, y, w, h, 6);
		hui_set(cr, accent, 1.0);
		cairo_set_line_width(cr, 2.0);
		cairo_stroke(cr);
	}
	/* Arrows at both ends. */
	const double cy = y + 0.5 * h, s = 0.18 * h;
	hui_set(cr, hui_text_dim, 1.0);
	cairo_move_to(cr, x + 0.5 * h + 0.5 * s, cy - s);
	cairo_line_to(cr, x + 0.5 * h - 0.5 * s, cy);
	cairo_line_to(cr, x + 0.5 * h + 0.5 * s, cy + s);
	cairo_close_path(cr);
	cairo_move_to(cr, x + w - 0.5 * h - 0.5 * s, cy - s);
	cairo_line_to(cr, x + w - 0.5 * h + 0.5 * s, cy);
	cairo_line_to(cr, x + w - 0.5 * h - 0.5 * s, cy + s);
	cairo_close_path(cr);
	cairo_fill(cr);
	hui_text(cr, name, x + 0.5 * w, cy + 6, 17, true, HUI_CENTER, hui_text_fg, w - 2.2 * h);
}
