/* Heist Synth's descriptor, exported by the bundle's lv2_descriptor() in
 * heist_lv2.c at index 1. */
#ifndef HEIST_SYNTH_LV2_H
#define HEIST_SYNTH_LV2_H

#include <lv2/core/lv2.h>

/* [any] */
const LV2_Descriptor *heist_synth_descriptor(void);

#endif
