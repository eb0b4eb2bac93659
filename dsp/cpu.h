/* Which instruction-set level the dsp code runs: one dispatch point for every
 * kernel that has a generic (x86-64 baseline), an AVX2+FMA and an AVX-512VL
 * version (analysis frame, FFT, network step, harmonic bank, noise grain; the
 * pattern: ARCHITECTURE.md, "Instruction sets").
 *
 * The level is the best the processor supports, capped by the environment
 * variable HEIST_CPU (read once, when the library is loaded, on the thread
 * that loads it: never on the audio thread):
 *   HEIST_CPU=generic   the x86-64 baseline (SSE2) kernels everywhere,
 *   HEIST_CPU=avx2      AVX2+FMA kernels where there are some, no AVX-512,
 *   HEIST_CPU=avx512    everything the processor supports (the default).
 * An unset, empty or unknown value means no cap. A level above what the
 * processor supports is lowered to that. The tests run with each level the
 * machine supports, so that the paths of machines without AVX-512 or AVX2 are
 * tested too. Builds other than x86-64 GCC/Clang have the generic level only. */
#ifndef HEIST_CPU_H
#define HEIST_CPU_H

typedef enum {
	HEIST_CPU_GENERIC = 0, /* x86-64 baseline (SSE2), or any other architecture */
	HEIST_CPU_AVX2 = 1,    /* AVX2 + FMA + F16C (x86-64-v3) */
	HEIST_CPU_AVX512 = 2,  /* AVX2 + FMA + AVX-512F + AVX-512VL */
} heist_cpu_level_t;

/* [any] The level the kernels run (fixed after load; a plain read). */
heist_cpu_level_t heist_cpu_level(void);

/* [any] The level the processor supports, without the HEIST_CPU cap. */
heist_cpu_level_t heist_cpu_hardware_level(void);

/* [any] "generic", "avx2" or "avx512". */
const char *heist_cpu_level_name(heist_cpu_level_t level);

/* [any] The level a HEIST_CPU value names; -1 when it names none. */
int heist_cpu_parse(const char *name);

/* [any] Clears the upper halves of the AVX registers (vzeroupper) when the
 * processor has AVX; nothing elsewhere. Called before the baseline (SSE)
 * kernels: libc's AVX-512 string functions leave the upper state dirty, and
 * on Zen 4 every legacy-SSE instruction then waits on it (RTNeural's SSE2
 * build and the generic network ran 3x slower after one memcpy, measured). */
void heist_cpu_clear_upper(void);

#endif
