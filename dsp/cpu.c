/* Instruction-set level (cpu.h). Detected and capped by HEIST_CPU in a
 * constructor, which runs when the program starts or the plugin is dlopen()ed,
 * before any engine exists: heist_cpu_level() is then a plain read of a value
 * no thread writes again. */
#include "cpu.h"

#include <stdlib.h>
#include <string.h>

static heist_cpu_level_t hw_level = HEIST_CPU_GENERIC;
static heist_cpu_level_t run_level = HEIST_CPU_GENERIC;
static int has_avx; /* vzeroupper exists (heist_cpu_clear_upper) */

int heist_cpu_parse(const char *name)
{
	static const char *const names[] = {"generic", "avx2", "avx512"};
	for (int i = 0; name && i < 3; i++) {
		if (strcmp(name, names[i]) == 0) {
			return i;
		}
	}
	return -1;
}

const char *heist_cpu_level_name(heist_cpu_level_t level)
{
	switch (level) {
	case HEIST_CPU_AVX512:
		return "avx512";
	case HEIST_CPU_AVX2:
		return "avx2";
	default:
		return "generic";
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>

/* F16C by CPUID (clang's __builtin_cpu_supports does not know it). */
static int has_f16c(void)
{
	unsigned a, b, c, d;
	return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
}
#endif

static heist_cpu_level_t detect(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	/* x86-64-v3: AVX2, FMA and F16C (the binary16 weights of net.c). */
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") || !has_f16c()) {
		return HEIST_CPU_GENERIC;
	}
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
		return HEIST_CPU_AVX512;
	}
	return HEIST_CPU_AVX2;
#else
	return HEIST_CPU_GENERIC;
#endif
}

#if defined(__GNUC__)
__attribute__((constructor))
#endif
static void
cpu_init(void)
{
	hw_level = detect();
	run_level = hw_level;
#if defined(__x86_64__) && defined(__GNUC__)
	has_avx = __builtin_cpu_supports("avx");
#endif
	const int cap = heist_cpu_parse(getenv("HEIST_CPU"));
	if (cap >= 0 && (heist_cpu_level_t)cap < run_level) {
		run_level = (heist_cpu_level_t)cap;
	}
}

heist_cpu_level_t heist_cpu_level(void)
{
	return run_level;
}

heist_cpu_level_t heist_cpu_hardware_level(void)
{
	return hw_level;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Out of line: the ABI makes every vector register caller-saved across a
 * call, so nothing live is lost. */
__attribute__((target("avx"), noinline)) static void zero_upper(void)
{
	_mm256_zeroupper();
}
#endif

void heist_cpu_clear_upper(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (has_avx) {
		zero_upper();
	}
#endif
}
