/* Stage timing for the benchmark (bench/heist-bench). Not for the plugin:
 * with a profile set, the engine calls prof->now() around its stages. */
#ifndef HEIST_PROFILE_H
#define HEIST_PROFILE_H

#include <stdint.h>

#include "heist.h"

typedef enum {
	HEIST_STAGE_ANALYSIS,  /* pitch and loudness of a frame */
	HEIST_STAGE_NETWORK,   /* controls, embedding, network, synthesis controls */
	HEIST_STAGE_SYNTHESIS, /* harmonic bank and noise grains */
	HEIST_STAGE_COUNT      /* the rest of process() is input, mix and bookkeeping */
} heist_stage;

typedef struct {
	uint64_t (*now)(void); /* nanoseconds */
	uint64_t ns[HEIST_STAGE_COUNT];
	uint64_t visits[HEIST_STAGE_COUNT]; /* timed intervals, two clock reads each */
} heist_profile;

/* [main] Start (prof != NULL) or stop (NULL) timing the stages into prof. */
void heist_engine_set_profile(heist_engine *e, heist_profile *prof);

#endif
