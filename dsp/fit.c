/* Range fitting (fit.h). */
#include <math.h>

#include "fit.h"
#include "util.h"

void heist_fit_init(heist_fit *f, double frame_rate)
{
	f->pitch_alpha = (float)(1.0 - exp(-1.0 / (frame_rate * HEIST_FIT_PITCH_TIME_S)));
	f->loud_alpha = (float)(1.0 - exp(-1.0 / (frame_rate * HEIST_FIT_LOUDNESS_TIME_S)));
	f->phrase_rest = (uint32_t)ceil(HEIST_FIT_PHRASE_REST_S * frame_rate);
	heist_fit_reset(f);
}

void heist_fit_reset(heist_fit *f)
{
	f->pitch = 0.0f;
	f->loud = 0.0f;
	f->octave = 0.0f;
	f->have = 0;
	f->rest = 0;
}

/* The whole octaves that bring pitch nearest target. */
static float nearest_fold(float pitch, float target)
{
	return 12.0f * roundf((target - pitch) / 12.0f);
}

void heist_fit_frame(heist_fit *f, float midi, float loud_db, int confident, float target_midi)
{
	/* No target pitch (a model without statistics): the loudness is still
	 * followed, the fold stays where it is. */
	const int target = isfinite(target_midi);
	if (confident && isfinite(midi) && isfinite(loud_db)) {
		f->rest = 0;
		if (!f->have) {
			f->pitch = midi;
			f->loud = loud_db;
			f->octave = target ? nearest_fold(midi, target_midi) : 0.0f;
			f->have = 1;
			return;
		}
		f->pitch += (midi - f->pitch) * f->pitch_alpha;
		f->loud += (loud_db - f->loud) * f->loud_alpha;
		return;
	}
	/* Between phrases: refold if the running centre has drifted (or the
	 * target changed) by more than half an octave plus the hysteresis. */
	f->rest += f->rest < f->phrase_rest ? 1u : 0u;
	if (f->have && target && f->rest >= f->phrase_rest &&
	    fabsf(f->pitch + f->octave - target_midi) > 6.0f + HEIST_FIT_HYSTERESIS) {
		f->octave = nearest_fold(f->pitch, target_midi);
	}
}

float heist_fit_loudness_offset(const heist_fit *f, float target_db)
{
	if (!f->have || !isfinite(target_db)) {
		return 0.0f;
	}
	return heist_clampf(target_db - f->loud, -HEIST_FIT_MAX_LOUDNESS_DB,
	                    HEIST_FIT_MAX_LOUDNESS_DB);
}
