/* Ardour's LV2 inline display (a small live picture in the mixer strip).
 *
 * The protocol, as Ardour defines it (the header is not shipped by Debian):
 * the host passes a queue_draw feature; the plugin offers an extension with a
 * render() callback that the host calls from its GUI thread (non-real-time)
 * after queue_draw(), and that returns a cairo ARGB32 (premultiplied) image.
 *
 * Heist draws the recent pitch trace (confidence as brightness) and the morph
 * position between style A and style B. run() feeds the picture through
 * heist_idisp_update(), which asks the host for a redraw only when something
 * visible changed. */
#ifndef HEIST_INLINE_DISPLAY_H
#define HEIST_INLINE_DISPLAY_H

#include <stdint.h>

#include <lv2/core/lv2.h>

#define HEIST_IDISP_URI "http://harrisonconsoles.com/lv2/inlinedisplay"
#define HEIST_IDISP_PREFIX HEIST_IDISP_URI "#"
#define HEIST_IDISP__interface HEIST_IDISP_PREFIX "interface"
#define HEIST_IDISP__queue_draw HEIST_IDISP_PREFIX "queue_draw"

typedef struct {
	unsigned char *data;
	int width;
	int height;
	int stride;
} LV2_Inline_Display_Image_Surface;

typedef struct {
	LV2_Inline_Display_Image_Surface *(*render)(LV2_Handle instance, uint32_t w,
	                                            uint32_t max_h);
} LV2_Inline_Display_Interface;

typedef struct {
	void *handle;
	void (*queue_draw)(void *handle);
} LV2_Inline_Display;

typedef struct heist_idisp heist_idisp;

/* [main] NULL when the host offers no queue_draw (no inline display then) or
 * on allocation failure. */
heist_idisp *heist_idisp_new(double rate, const LV2_Feature *const *features);

/* [main] NULL is fine. */
void heist_idisp_free(heist_idisp *d);

/* [audio] After each run(): the latest analysis and the style controls. Never
 * allocates; calls the host's queue_draw() only when the picture changes. */
void heist_idisp_update(heist_idisp *d, uint32_t n_samples, float pitch_hz, float confidence,
                        float morph, int style_a, int style_b);

/* [gui] The host's render call: draws into a surface that is (re)allocated
 * here, never in run(). */
LV2_Inline_Display_Image_Surface *heist_idisp_render(heist_idisp *d, uint32_t w, uint32_t max_h);

#endif
