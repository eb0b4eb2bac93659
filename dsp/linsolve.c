/* Small dense linear solve (linsolve.h). */
#include "linsolve.h"

#include <math.h>

int heist_linsolve(double *m, int n, double min_pivot, double *x)
{
	const int w = n + 1; /* row stride */
	for (int c = 0; c < n; ++c) {
		int piv = c;
		for (int r = c + 1; r < n; ++r) {
			piv = fabs(m[r * w + c]) > fabs(m[piv * w + c]) ? r : piv;
		}
		if (!(fabs(m[piv * w + c]) > min_pivot)) {
			return 0;
		}
		for (int k = 0; k < w; ++k) {
			const double tmp = m[c * w + k];
			m[c * w + k] = m[piv * w + k];
			m[piv * w + k] = tmp;
		}
		for (int r = 0; r < n; ++r) {
			if (r != c) {
				const double f = m[r * w + c] / m[c * w + c];
				for (int k = c; k < w; ++k) {
					m[r * w + k] -= f * m[c * w + k];
				}
			}
		}
	}
	for (int i = 0; i < n; ++i) {
		x[i] = m[i * w + n] / m[i * w + i];
		if (!isfinite(x[i])) {
			return 0;
		}
	}
	return 1;
}
