/* The safety stage of the wet path: a memoryless soft ceiling, so that no
 * model (the parser accepts any finite weights) and no control setting can
 * make the resynthesis loud beyond a stated bound. */
#ifndef HEIST_LIMITER_H
#define HEIST_LIMITER_H

#include <stdint.h>

/* The bound: the wet signal reaches the output at no more than +6 dBFS peak
 * (after the output gain), whatever the model and the controls. */
#define HEIST_WET_CEILING 2.0f

/* [audio] x[n] in place: unchanged up to half the ceiling, then bent
 * smoothly (tanh, slope 1 at the knee) so that |x| <= ceiling; non-finite
 * samples become 0. Memoryless, so block splits give the same samples.
 * ceiling > 0. */
void heist_soft_ceiling(float *x, uint32_t n, float ceiling);

#endif
