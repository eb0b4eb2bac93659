/* The failure counter of CHECK (see check.h). */
#include "check.h"

#include <math.h>

int check_failures;

float check_max_diff(const float *a, const float *b, size_t n)
{
	float m = 0.0f;
	for (size_t i = 0; i < n; ++i) {
		const float d = fabsf(a[i] - b[i]);
		m = d > m || isnan(d) ? d : m;
	}
	return m;
}

int check_exit(const char *name)
{
	if (check_failures) {
		printf("%s: %d check(s) failed\n", name, check_failures);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

double check_peak(const float *x, size_t n)
{
	double peak = 0.0;
	for (size_t i = 0; i < n; ++i) {
		peak = fabs(x[i]) > peak ? fabs(x[i]) : peak;
	}
	return peak;
}
