/* Drawing of Heist's UI widgets with cairo, in layout units (the caller sets
 * the scale). Pure drawing: no state, no X11. [gui] thread only. */
#ifndef HEIST_UI_WIDGETS_H
#define HEIST_UI_WIDGETS_H

#include <stdbool.h>

#include <cairo/cairo.h>

typedef struct {
	double r, g, b;
} hui_rgb;

/* The palette: dark, with one accent per meaning. */
extern const hui_rgb hui_bg, hui_card_bg, hui_track, hui_text_fg, hui_text_dim, hui_accent,
    hui_pitch, hui_meter_ok, hui_meter_hot, hui_meter_clip;

typedef enum { HUI_LEFT, HUI_CENTER, HUI_RIGHT } hui_align;

void hui_set(cairo_t *cr, hui_rgb c, double alpha);
void hui_round_rect(cairo_t *cr, double x, double y, double w, double h, double r);
void hui_card(cairo_t *cr, double x, double y, double w, double h);

/* Text with its baseline at y, shrunk to fit max_w when max_w > 0. Returns
 * the width drawn. */
double hui_text(cairo_t *cr, const char *s, double x, double y, double size, bool bold,
                hui_align align, hui_rgb c, double max_w);

/* A rotary knob; norm and origin in 0..1 (the arc starts at origin, so a
 * bipolar control shows its sign). */
void hui_knob(cairo_t *cr, double cx, double cy, double r, double norm, double origin,
              hui_rgb accent, bool active);

/* A horizontal slider with a thumb. */
void hui_hslider(cairo_t *cr, double x, double y, double w, double h, double norm, hui_rgb accent,
                 bool active);

/* A horizontal bar meter, norm in 0..1, with a faint scale. */
void hui_meter(cairo_t *cr, double x, double y, double w, double h, double norm, hui_rgb c);

/* A push button or a toggle (lit when on). */
void hui_button(cairo_t *cr, double x, double y, double w, double h, const char *label, bool on,
                bool pressed);

/* A style picker: a name between two arrows. */
void hui_picker(cairo_t *cr, double x, double y, double w, double h, const char *name, bool open,
                hui_rgb accent);

#endif
