/* The depth of a YIN dip between two lags, shared by the frame analysis
 * (analysis.c, in double) and the sub-floor tracker (pitch_track.c, in
 * float): one body, instantiated per type so each keeps its own arithmetic
 * (and its results bit for bit). */
#ifndef HEIST_YIN_DIP_H
#define HEIST_YIN_DIP_H

#include <stdint.h>

/* [any] Defines `static T name(const T *d, uint32_t tau, uint32_t hi)`: the
 * vertex of the parabola through d' at tau and its neighbours. Integer lags
 * miss a short period's true dip by up to half a sample, which at 1.4 kHz
 * leaves d' near 0.03 while a multiple that falls on an integer reads near 0. */
#define HEIST_DEFINE_DIP_DEPTH(name, T)                                                            \
	static T name(const T *d, uint32_t tau, uint32_t hi)                                       \
	{                                                                                          \
		if (tau < 1 || tau >= hi) {                                                        \
			return d[tau];                                                             \
		}                                                                                  \
		const T l = d[tau - 1], c = d[tau], r = d[tau + 1], den = l - (T)2 * c + r;        \
		if (den <= (T)0) {                                                                 \
			return c;                                                                  \
		}                                                                                  \
		const T v = c - (l - r) * (l - r) / ((T)8 * den);                                  \
		return v < (T)0 ? (T)0 : v;                                                        \
	}

#endif
