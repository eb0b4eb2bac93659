/* For the tests that meson runs once per instruction-set level (the same test
 * with HEIST_CPU=generic, =avx2 and unset; dsp/cpu.h): says which level the
 * kernels run, skips (77) when the processor lacks the level asked for, and
 * fails when HEIST_CPU is set but did not take effect. Header only: the
 * programs that use it need nothing but dsp_dep. */
#ifndef HEIST_TEST_CPU_LEVEL_H
#define HEIST_TEST_CPU_LEVEL_H

#include <stdio.h>
#include <stdlib.h>

#include "cpu.h"

static inline void test_cpu_level(const char *prog)
{
	const char *asked = getenv("HEIST_CPU");
	const int want = heist_cpu_parse(asked);
	const heist_cpu_level_t hw = heist_cpu_hardware_level();
	const heist_cpu_level_t run = heist_cpu_level();
	printf("%s: instruction-set level %s (processor: %s; HEIST_CPU=%s)\n", prog,
	       heist_cpu_level_name(run), heist_cpu_level_name(hw), asked ? asked : "(unset)");
	if (asked && *asked && want < 0) {
		printf("FAIL: HEIST_CPU=%s names no level\n", asked);
		exit(1);
	}
	if (want > (int)hw) {
		printf("skipped: this processor lacks %s\n", asked);
		exit(77);
	}
	if (want >= 0 && want != (int)run) {
		printf("FAIL: HEIST_CPU=%s but level %s runs\n", asked, heist_cpu_level_name(run));
		exit(1);
	}
}

#endif
