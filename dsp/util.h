/* Small helpers shared inside dsp/ (not part of the public API). */
#ifndef HEIST_UTIL_H
#define HEIST_UTIL_H

#include <math.h>

#define HEIST_PI 3.14159265358979323846
#define HEIST_TWO_PI 6.28318530717958647692

static inline float heist_clampf(float v, float lo, float hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static inline float heist_db_to_gain(float db)
{
	return powf(10.0f, 0.05f * db);
}

#endif
