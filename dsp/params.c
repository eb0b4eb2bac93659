/* Parameter metadata shared by the engine, the tools and the tests. */
#include <string.h>

#include "heist.h"

static const heist_param_info param_info[HEIST_PARAM_COUNT] = {
    [HEIST_PARAM_PITCH_SHIFT] = {"pitch_shift", -24.0f, 24.0f, 0.0f},
    [HEIST_PARAM_LOUDNESS_SHIFT] = {"loudness_shift", -24.0f, 24.0f, 0.0f},
    [HEIST_PARAM_HARMONIC_LEVEL] = {"harmonic_level", -60.0f, 12.0f, 0.0f},
    [HEIST_PARAM_NOISE_LEVEL] = {"noise_level", -60.0f, 12.0f, 0.0f},
    [HEIST_PARAM_CONFIDENCE_GATE] = {"confidence_gate", 0.0f, 1.0f, 0.3f},
    [HEIST_PARAM_DRY_WET] = {"dry_wet", 0.0f, 1.0f, 1.0f},
    [HEIST_PARAM_OUTPUT_GAIN] = {"output_gain", -60.0f, 24.0f, 0.0f},
    [HEIST_PARAM_ENABLED] = {"enabled", 0.0f, 1.0f, 1.0f},
    [HEIST_PARAM_STYLE_A] = {"style_a", 0.0f, 255.0f, 0.0f},
    [HEIST_PARAM_STYLE_B] = {"style_b", 0.0f, 255.0f, 0.0f},
    [HEIST_PARAM_MORPH] = {"morph", 0.0f, 1.0f, 0.0f},
    [HEIST_PARAM_LOWEST_PITCH] = {"lowest_pitch", 50.0f, 300.0f, HEIST_DEFAULT_LOWEST_PITCH},
    [HEIST_PARAM_AUTO_OCTAVE] = {"auto_octave", 0.0f, 1.0f, 0.0f},
    [HEIST_PARAM_LOUDNESS_FIT] = {"loudness_fit", 0.0f, 1.0f, 0.0f},
    [HEIST_PARAM_INPUT_GATE] = {"input_gate", -90.0f, 0.0f, HEIST_DEFAULT_INPUT_GATE_DB},
    [HEIST_PARAM_LEVEL_MATCH] = {"level_match", 0.0f, 1.0f, 1.0f},
};

const heist_param_info *heist_param_get_info(heist_param p)
{
	return (unsigned)p < HEIST_PARAM_COUNT ? &param_info[p] : NULL;
}

heist_param heist_param_from_symbol(const char *symbol)
{
	for (int p = 0; p < HEIST_PARAM_COUNT; ++p) {
		if (symbol && !strcmp(param_info[p].symbol, symbol)) {
			return (heist_param)p;
		}
	}
	return HEIST_PARAM_COUNT;
}
