/* The FFT's passes and its real-FFT bodies on vectors of FW floats, included
 * by fft.c once per vector width (no include guard): FV is the vector type,
 * FW its lanes, FP(name) the name of this width's copy, FP(load), FP(store),
 * FP(reverse), FP(evens), FP(odds), FP(zip_lo) and FP(zip_hi) its memory and
 * shuffle helpers. Each lane runs the same operations
 * whatever the width, so a narrower copy gives the same bits on the same
 * instruction set: the baseline build has no 8-float registers and would
 * keep 8-float locals in stack memory (ARCHITECTURE.md, "Instruction sets"). */

/* ---- butterflies on vectors of FW independent transforms ------------- */

/* x[a] = p + q, x[b] = p - q: the output pair every butterfly ends with. */
FM_ALWAYS void FP(sum_diff)(FV *xr, FV *xi, int a, int b, FV pr, FV pi, FV qr, FV qi)
{
	xr[a] = pr + qr;
	xi[a] = pi + qi;
	xr[b] = pr - qr;
	xi[b] = pi - qi;
}

FM_ALWAYS void FP(dft4)(FV *xr, FV *xi, int a, int b, int c, int d)
{
	/* Indices into xr/xi of the four inputs; outputs in the same slots in
	 * order 0, 1, 2, 3. */
	const FV t0r = xr[a] + xr[c], t0i = xi[a] + xi[c];
	const FV t1r = xr[a] - xr[c], t1i = xi[a] - xi[c];
	const FV t2r = xr[b] + xr[d], t2i = xi[b] + xi[d];
	const FV t3r = xi[b] - xi[d], t3i = xr[d] - xr[b]; /* -i (x_b - x_d) */
	FP(sum_diff)(xr, xi, a, c, t0r, t0i, t2r, t2i);
	FP(sum_diff)(xr, xi, b, d, t1r, t1i, t3r, t3i);
}

/* In place: x[k] = sum_j x[j] w_r^(j k). */
FM_ALWAYS void FP(butterfly)(uint32_t r, FV *xr, FV *xi)
{
	if (r == 2) {
		const FV ur = xr[0] - xr[1], ui = xi[0] - xi[1];
		xr[0] += xr[1];
		xi[0] += xi[1];
		xr[1] = ur;
		xi[1] = ui;
	} else if (r == 3) {
		const float h = 0.86602540378443865f; /* sin(2 pi / 3) */
		const FV sr = xr[1] + xr[2], si = xi[1] + xi[2];
		const FV dr = (xi[1] - xi[2]) * h, di = (xr[2] - xr[1]) * h; /* -i h (x1 - x2) */
		const FV mr = xr[0] - 0.5f * sr, mi = xi[0] - 0.5f * si;
		xr[0] += sr;
		xi[0] += si;
		FP(sum_diff)(xr, xi, 1, 2, mr, mi, dr, di);
	} else if (r == 4) {
		FP(dft4)(xr, xi, 0, 1, 2, 3);
	} else if (r == 5) {
		const float c1 = 0.30901699437494742f, c2 = -0.80901699437494742f;
		const float s1 = 0.95105651629515357f, s2 = 0.58778525229247313f;
		const FV b1r = xr[1] + xr[4], b1i = xi[1] + xi[4];
		const FV b2r = xr[2] + xr[3], b2i = xi[2] + xi[3];
		const FV d1r = xr[1] - xr[4], d1i = xi[1] - xi[4];
		const FV d2r = xr[2] - xr[3], d2i = xi[2] - xi[3];
		const FV t1r = xr[0] + c1 * b1r + c2 * b2r, t1i = xi[0] + c1 * b1i + c2 * b2i;
		const FV t2r = xr[0] + c2 * b1r + c1 * b2r, t2i = xi[0] + c2 * b1i + c1 * b2i;
		const FV u1r = s1 * d1r + s2 * d2r, u1i = s1 * d1i + s2 * d2i;
		const FV u2r = s2 * d1r - s1 * d2r, u2i = s2 * d1i - s1 * d2i;
		xr[0] = xr[0] + b1r + b2r;
		xi[0] = xi[0] + b1i + b2i;
		/* x[1] = t1 - i u1, x[4] = t1 + i u1 (likewise 2, 3): -i u = (u.im, -u.re) */
		FP(sum_diff)(xr, xi, 1, 4, t1r, t1i, u1i, -u1r);
		FP(sum_diff)(xr, xi, 2, 3, t2r, t2i, u2i, -u2r);
	} else { /* 8: two DFT4 of the even and odd inputs, then w_8^k */
		const float h = 0.70710678118654752f;
		FP(dft4)(xr, xi, 0, 2, 4, 6); /* E0..E3 in slots 0, 2, 4, 6 */
		FP(dft4)(xr, xi, 1, 3, 5, 7); /* O0..O3 in slots 1, 3, 5, 7 */
		/* w_8 O1 = h (re + im, im - re); w_8^2 O2 = -i O2; w_8^3 O3 = h (im - re, -re - im)
		 */
		const FV o1r = h * (xr[3] + xi[3]), o1i = h * (xi[3] - xr[3]);
		const FV o2r = xi[5], o2i = -xr[5];
		const FV o3r = h * (xi[7] - xr[7]), o3i = -h * (xr[7] + xi[7]);
		const FV e0r = xr[0], e0i = xi[0], e1r = xr[2], e1i = xi[2];
		const FV e2r = xr[4], e2i = xi[4], e3r = xr[6], e3i = xi[6];
		const FV o0r = xr[1], o0i = xi[1];
		FP(sum_diff)(xr, xi, 0, 4, e0r, e0i, o0r, o0i);
		FP(sum_diff)(xr, xi, 1, 5, e1r, e1i, o1r, o1i);
		FP(sum_diff)(xr, xi, 2, 6, e2r, e2i, o2r, o2i);
		FP(sum_diff)(xr, xi, 3, 7, e3r, e3i, o3r, o3i);
	}
}

/* The butterfly, then outputs 1..r-1 times their twiddles (output k's at
 * tw + (k - 1) step, loaded only then: fewer registers live), into rows
 * 0..r-1 of g for a transpose: the passes whose outputs are not contiguous
 * share it. */
FM_ALWAYS void FP(butterfly_twiddled_rows)(uint32_t r, FV *vr, FV *vi, const float *tw_re,
                                           const float *tw_im, size_t step, float (*gr)[FW],
                                           float (*gi)[FW], uint32_t rs)
{
	FP(butterfly)(r, vr, vi);
	FP(store)(gr[0], vr[0]);
	FP(store)(gi[0], vi[0]);
	for (uint32_t k = 1; k < r; ++k) {
		const FV twr = FP(load)(tw_re + (k - 1) * step);
		const FV twi = FP(load)(tw_im + (k - 1) * step);
		FP(store)(gr[k * rs], C_MUL_RE(vr[k], vi[k], twr, twi));
		FP(store)(gi[k * rs], C_MUL_IM(vr[k], vi[k], twr, twi));
	}
}

FM_ALWAYS void FP(butterfly_twiddled)(uint32_t r, FV *vr, FV *vi, const float *tw_re,
                                      const float *tw_im, size_t step, float (*gr)[FW],
                                      float (*gi)[FW])
{
	FP(butterfly_twiddled_rows)(r, vr, vi, tw_re, tw_im, step, gr, gi, 1);
}

/* Rows g[0..R) of FW lanes (R >= FW) out as y[R l + i] = g[i][l]: FW rows
 * at a time through an in-register transpose (log2 FW rounds of zips: each
 * rotates the bits of row and lane index by one), whole-vector stores; the
 * last group overlaps the one before. */
FM_ALWAYS void FP(store_transposed)(float (*g)[FW], uint32_t R, float *y)
{
	for (uint32_t iv = 0; iv < R; iv += FW) {
		const uint32_t i0 = iv + FW <= R ? iv : R - FW;
		FV t[FW], u[FW];
		for (uint32_t i = 0; i < FW; ++i) {
			t[i] = FP(load)(g[i0 + i]);
		}
		for (uint32_t w = 1; w < FW; w *= 2) {
			for (uint32_t i = 0; i < FW / 2; ++i) {
				u[2 * i] = FP(zip_lo)(t[i], t[i + FW / 2]);
				u[2 * i + 1] = FP(zip_hi)(t[i], t[i + FW / 2]);
			}
			for (uint32_t i = 0; i < FW; ++i) {
				t[i] = u[i];
			}
		}
		for (uint32_t l = 0; l < FW; ++l) {
			FP(store)(y + (size_t)R * l + i0, t[l]);
		}
	}
}

/* Strides of FW and more: FW consecutive q per vector, the twiddles of
 * each p broadcast. Where FW does not divide s the last vector ends at s and
 * overlaps the one before: its common lanes compute the same values again
 * (the passes are out of place), cheaper than gathering the rest. */
FM_ALWAYS void FP(stage_wide)(const fft_stage *S, const uint32_t r, const float *xr,
                              const float *xi, float *yr, float *yi)
{
	const uint32_t m = S->m, s = S->s;
	FV vr[8], vi[8];
	for (uint32_t p = 0; p < m; ++p) {
		float twr[7], twi[7];
		for (uint32_t k = 1; k < r; ++k) {
			twr[k - 1] = S->tw_re[(size_t)(k - 1) * m + p];
			twi[k - 1] = S->tw_im[(size_t)(k - 1) * m + p];
		}
		for (uint32_t qv = 0; qv < s; qv += FW) {
			const uint32_t q = qv + FW <= s ? qv : s - FW; /* the last overlaps */
			for (uint32_t j = 0; j < r; ++j) {
				const size_t at = q + (size_t)s * (p + j * m);
				vr[j] = FP(load)(xr + at);
				vi[j] = FP(load)(xi + at);
			}
			FP(butterfly)(r, vr, vi);
			const size_t out = q + (size_t)s * r * p;
			FP(store)(yr + out, vr[0]);
			FP(store)(yi + out, vi[0]);
			for (uint32_t k = 1; k < r; ++k) {
				const float wr = twr[k - 1], wi = twi[k - 1];
				FP(store)(yr + out + (size_t)s * k, C_MUL_RE(vr[k], vi[k], wr, wi));
				FP(store)(yi + out + (size_t)s * k, C_MUL_IM(vr[k], vi[k], wr, wi));
			}
		}
	}
}

/* First pass (s == 1): FW consecutive p per vector (contiguous loads and
 * twiddles); outputs y[r p + k] are interleaved, so they go out through a
 * small transpose. The last vector overlaps as in stage_wide. Returns how
 * many p it did (all, or none where m < FW). */
FM_ALWAYS uint32_t FP(stage_first)(const fft_stage *S, const uint32_t r, const float *xr,
                                   const float *xi, float *yr, float *yi)
{
	const uint32_t m = S->m;
	FV vr[8], vi[8];
	float gr[8][FW], gi[8][FW];
	if (m < FW) {
		return 0;
	}
	for (uint32_t pv = 0; pv < m; pv += FW) {
		const uint32_t p = pv + FW <= m ? pv : m - FW; /* the last overlaps */
		for (uint32_t j = 0; j < r; ++j) {
			vr[j] = FP(load)(xr + p + (size_t)j * m);
			vi[j] = FP(load)(xi + p + (size_t)j * m);
		}
		FP(butterfly_twiddled)(r, vr, vi, S->tw_re + p, S->tw_im + p, m, gr, gi);
		if (r >= FW) {
			FP(store_transposed)(gr, r, yr + (size_t)r * p);
			FP(store_transposed)(gi, r, yi + (size_t)r * p);
			continue;
		}
		for (uint32_t l = 0; l < FW; ++l) {
			for (uint32_t k = 0; k < r; ++k) {
				yr[(size_t)r * (p + l) + k] = gr[k][l];
				yi[(size_t)r * (p + l) + k] = gi[k][l];
			}
		}
	}
	return m;
}

/* Strides 2..7: with u = s p + q, input j of every butterfly is
 * x[u + j s m], contiguous in u, so FW consecutive u make a vector (the
 * twiddles of their p from the expanded tables); outputs y[q + s (r p + k)]
 * are scattered through a small transpose. The last, partial vector is
 * gathered with zeros in its dead lanes. */
FM_ALWAYS void FP(stage_small)(const fft_stage *S, const uint32_t r, const float *xr,
                               const float *xi, float *yr, float *yi)
{
	const uint32_t s = S->s, sm = s * S->m;
	FV vr[8], vi[8];
	float gr[8][FW], gi[8][FW], wr[7][FW], wi[7][FW];
	for (uint32_t uv = 0; uv < sm; uv += FW) {
		/* The last vector overlaps the one before (as in stage_wide) where
		 * there is one. */
		const uint32_t u = uv + FW <= sm || sm < FW ? uv : sm - FW;
		const uint32_t lanes = sm - u < FW ? sm - u : FW;
		const float *tw_re = S->tu_re + u, *tw_im = S->tu_im + u;
		size_t step = sm;
		if (lanes == FW) {
			for (uint32_t j = 0; j < r; ++j) {
				vr[j] = FP(load)(xr + u + (size_t)j * sm);
				vi[j] = FP(load)(xi + u + (size_t)j * sm);
			}
		} else {
			for (uint32_t j = 0; j < r; ++j) {
				for (uint32_t l = 0; l < FW; ++l) {
					gr[j][l] = l < lanes ? xr[u + l + (size_t)j * sm] : 0.0f;
					gi[j][l] = l < lanes ? xi[u + l + (size_t)j * sm] : 0.0f;
				}
				vr[j] = FP(load)(gr[j]);
				vi[j] = FP(load)(gi[j]);
			}
			for (uint32_t k = 1; k < r; ++k) {
				for (uint32_t l = 0; l < FW; ++l) {
					const size_t at = (size_t)(k - 1) * sm + u + l;
					wr[k - 1][l] = l < lanes ? S->tu_re[at] : 0.0f;
					wi[k - 1][l] = l < lanes ? S->tu_im[at] : 0.0f;
				}
			}
			tw_re = wr[0];
			tw_im = wi[0];
			step = FW;
		}
		FP(butterfly_twiddled)(r, vr, vi, tw_re, tw_im, step, gr, gi);
		/* Lane l's output base q + s r p, stepped without divisions. */
		uint32_t q = u % s;
		size_t base = (size_t)(u - q) * r + q;
		for (uint32_t l = 0; l < lanes; ++l) {
			for (uint32_t k = 0; k < r; ++k) {
				yr[base + (size_t)s * k] = gr[k][l];
				yi[base + (size_t)s * k] = gi[k][l];
			}
			++base;
			if (++q == s) {
				q = 0;
				base += (size_t)s * (r - 1);
			}
		}
	}
}

/* Lanes are (p, q) pairs not covered by the two above (since their last
 * vectors overlap: a first pass with m < FW, every p from p_done);
 * gathered and scattered through small arrays. */
FM_ALWAYS void FP(stage_lanes)(const fft_stage *S, const uint32_t r, const float *xr,
                               const float *xi, float *yr, float *yi, uint32_t p_done)
{
	const uint32_t m = S->m, s = S->s;
	FV vr[8], vi[8];
	float gr[8][FW], gi[8][FW], wr[7][FW], wi[7][FW];
	const uint32_t q0 = s >= 8 ? s / FW * FW : 0;
	uint32_t lp[FW], lq[FW], lanes = 0;
	const uint32_t pm = m - p_done; /* p_done > 0 only when s == 1 */
	const size_t total = (size_t)pm * (s - q0);
	for (size_t idx = 0; idx < total; ++idx) {
		lp[lanes] = p_done + (uint32_t)(idx % pm);
		lq[lanes] = q0 + (uint32_t)(idx / pm);
		++lanes;
		if (lanes < FW && idx + 1 < total) {
			continue;
		}
		for (uint32_t l = 0; l < FW; ++l) {
			const int live = l < lanes;
			for (uint32_t j = 0; j < r; ++j) {
				const size_t at = live ? lq[l] + (size_t)s * (lp[l] + j * m) : 0;
				gr[j][l] = live ? xr[at] : 0.0f;
				gi[j][l] = live ? xi[at] : 0.0f;
			}
			for (uint32_t k = 1; k < r; ++k) {
				wr[k - 1][l] = live ? S->tw_re[(size_t)(k - 1) * m + lp[l]] : 0.0f;
				wi[k - 1][l] = live ? S->tw_im[(size_t)(k - 1) * m + lp[l]] : 0.0f;
			}
		}
		for (uint32_t j = 0; j < r; ++j) {
			vr[j] = FP(load)(gr[j]);
			vi[j] = FP(load)(gi[j]);
		}
		FP(butterfly_twiddled)(r, vr, vi, wr[0], wi[0], FW, gr, gi);
		for (uint32_t l = 0; l < lanes; ++l) {
			for (uint32_t k = 0; k < r; ++k) {
				const size_t at = lq[l] + (size_t)s * (r * lp[l] + k);
				yr[at] = gr[k][l];
				yi[at] = gi[k][l];
			}
		}
		lanes = 0;
	}
}

/* One pass of radix r: whole vectors of q where the stride allows, whole
 * vectors of p in the first pass, of u = s p + q for strides 2..7, and the
 * rest lane by lane. */
FM_ALWAYS void FP(run_stage_r)(const fft_stage *S, const uint32_t r, const float *xr,
                               const float *xi, float *yr, float *yi)
{
	const uint32_t s = S->s;
	if (small_stride(s)) {
		FP(stage_small)(S, r, xr, xi, yr, yi);
		return;
	}
	if (s >= 8) {
		FP(stage_wide)(S, r, xr, xi, yr, yi);
		return;
	}
	const uint32_t p_done = s == 1 ? FP(stage_first)(S, r, xr, xi, yr, yi) : 0;
	FP(stage_lanes)(S, r, xr, xi, yr, yi, p_done);
}

/* One pass with the radix a constant in each copy, so the butterfly's
 * vectors stay in registers and its loops unroll. */
FM_ALWAYS void FP(run_stage)(const fft_stage *S, const float *xr, const float *xi, float *yr,
                             float *yi)
{
	switch (S->r) {
	case 8:
		FP(run_stage_r)(S, 8, xr, xi, yr, yi);
		break;
	case 5:
		FP(run_stage_r)(S, 5, xr, xi, yr, yi);
		break;
	case 4:
		FP(run_stage_r)(S, 4, xr, xi, yr, yi);
		break;
	case 3:
		FP(run_stage_r)(S, 3, xr, xi, yr, yi);
		break;
	default:
		FP(run_stage_r)(S, 2, xr, xi, yr, yi);
		break;
	}
}

/* The first pass where the second has a small stride (first radix not 8):
 * outputs k of the p vector go to y[k m + p], a vector store each, instead
 * of interleaved through stage_first's transpose; second_from_rows reads
 * them there. The same operations per output as stage_first. */
FM_ALWAYS void FP(first_to_rows)(const fft_stage *S, const uint32_t r, const float *xr,
                                 const float *xi, float *yr, float *yi)
{
	const uint32_t m = S->m;
	FV vr[8], vi[8];
	for (uint32_t pv = 0; pv < m; pv += FW) {
		const uint32_t p = pv + FW <= m ? pv : m - FW; /* the last overlaps */
		for (uint32_t j = 0; j < r; ++j) {
			vr[j] = FP(load)(xr + p + (size_t)j * m);
			vi[j] = FP(load)(xi + p + (size_t)j * m);
		}
		FP(butterfly)(r, vr, vi);
		FP(store)(yr + p, vr[0]);
		FP(store)(yi + p, vi[0]);
		for (uint32_t k = 1; k < r; ++k) {
			const FV twr = FP(load)(S->tw_re + p + (k - 1) * m);
			const FV twi = FP(load)(S->tw_im + p + (k - 1) * m);
			FP(store)(yr + p + (size_t)k * m, C_MUL_RE(vr[k], vi[k], twr, twi));
			FP(store)(yi + p + (size_t)k * m, C_MUL_IM(vr[k], vi[k], twr, twi));
		}
	}
}

/* The second pass (stride s = the first radix, l = m0 the first pass's m)
 * on first_to_rows' layout: input j of butterfly (p, q) is at
 * q m0 + p + j m, contiguous in p, so FW consecutive p make a vector (the
 * plain twiddle tables); outputs y[q + s (r p + k)] through
 * store_transposed. */
FM_ALWAYS void FP(second_from_rows)(const fft_stage *S, const uint32_t r, const float *xr,
                                    const float *xi, float *yr, float *yi)
{
	const uint32_t m = S->m, s = S->s, m0 = S->l, R = s * r;
	FV vr[8], vi[8];
	/* Every q's outputs of a vector of p as rows q + s k: lane l's are
	 * y[R (p + l) + q + s k], a block of R, stored transposed. */
	float gr[7 * 8][FW], gi[7 * 8][FW];
	for (uint32_t pv = 0; pv < m; pv += FW) {
		const uint32_t p = pv + FW <= m ? pv : m - FW; /* the last overlaps */
		for (uint32_t q = 0; q < s; ++q) {
			const size_t in = (size_t)q * m0 + p;
			for (uint32_t j = 0; j < r; ++j) {
				vr[j] = FP(load)(xr + in + (size_t)j * m);
				vi[j] = FP(load)(xi + in + (size_t)j * m);
			}
			FP(butterfly_twiddled_rows)
			(r, vr, vi, S->tw_re + p, S->tw_im + p, m, gr + q, gi + q, s);
		}
		FP(store_transposed)(gr, R, yr + (size_t)R * p);
		FP(store_transposed)(gi, R, yi + (size_t)R * p);
	}
}

/* The first two passes through first_to_rows and second_from_rows, radices
 * constant as in run_stage. */
FM_ALWAYS void FP(run_rows_r)(const fft_stage *S, const uint32_t r0, const uint32_t r1, float *xr,
                              float *xi, float *yr, float *yi)
{
	FP(first_to_rows)(&S[0], r0, xr, xi, yr, yi);
	FP(second_from_rows)(&S[1], r1, yr, yi, xr, xi);
}

FM_ALWAYS void FP(run_rows_r0)(const fft_stage *S, const uint32_t r0, float *xr, float *xi,
                               float *yr, float *yi)
{
	switch (S[1].r) {
	case 5:
		FP(run_rows_r)(S, r0, 5, xr, xi, yr, yi);
		break;
	case 4:
		FP(run_rows_r)(S, r0, 4, xr, xi, yr, yi);
		break;
	case 3:
		FP(run_rows_r)(S, r0, 3, xr, xi, yr, yi);
		break;
	default:
		FP(run_rows_r)(S, r0, 2, xr, xi, yr, yi);
		break;
	}
}

/* Complex FFT of (ar, ai) in the plan's buffers; returns which pair holds
 * the result (0: a, 1: b). */
FM_ALWAYS int FP(cfft)(heist_rfft *f)
{
	float *xr = f->ar, *xi = f->ai, *yr = f->br, *yi = f->bi;
	uint32_t i = 0;
	/* A first radix below 8 leaves the second pass a small stride: both
	 * passes through the rows layout (one transpose fewer), where whole
	 * vectors of p fit in each (the result lands in a again). */
	if (f->n_stages >= 2 && small_stride(f->st[1].s) && f->st[1].m >= FW &&
	    f->st[1].s * f->st[1].r >= FW) {
		switch (f->st[0].r) {
		case 5:
			FP(run_rows_r0)(f->st, 5, xr, xi, yr, yi);
			break;
		case 4:
			FP(run_rows_r0)(f->st, 4, xr, xi, yr, yi);
			break;
		case 3:
			FP(run_rows_r0)(f->st, 3, xr, xi, yr, yi);
			break;
		default:
			FP(run_rows_r0)(f->st, 2, xr, xi, yr, yi);
			break;
		}
		i = 2;
	}
	for (; i < f->n_stages; ++i) {
		FP(run_stage)(&f->st[i], xr, xi, yr, yi);
		float *t = xr;
		xr = yr;
		yr = t;
		t = xi;
		xi = yi;
		yi = t;
	}
	return xr != f->ar;
}

FM_ALWAYS void FP(forward_body)(heist_rfft *f, const float *x, float *re, float *im)
{
	const uint32_t h = f->half;
	float *restrict ar = f->ar, *restrict ai = f->ai;
	/* Even and odd samples by shuffles: as an index loop the compiler
	 * gathers them one by one. */
	uint32_t t = 0;
	for (; t + FW <= h; t += FW) {
		const FV lo = FP(load)(x + 2 * t), hi = FP(load)(x + 2 * t + FW);
		FP(store)(ar + t, FP(evens)(lo, hi));
		FP(store)(ai + t, FP(odds)(lo, hi));
	}
	for (; t < h; ++t) {
		ar[t] = x[2 * t];
		ai[t] = x[2 * t + 1];
	}
	const int which = FP(cfft)(f);
	const float *zr = which ? f->br : f->ar, *zi = which ? f->bi : f->ai;
	/* X[k] = E + w^k O, E = (Z[k] + conj Z[h-k]) / 2,
	 * O = -i (Z[k] - conj Z[h-k]) / 2, w = e^(-2 pi i / n). */
	re[0] = zr[0] + zi[0];
	im[0] = 0.0f;
	re[h] = zr[0] - zi[0];
	im[h] = 0.0f;
	uint32_t k = 1;
	for (; k + FW <= h; k += FW) {
		/* Bins k..k+FW-1 pair with h-k..h-k-FW+1: a reversed load. */
		const FV ar = FP(load)(zr + k), ai = FP(load)(zi + k);
		const FV br = FP(reverse)(FP(load)(zr + h - k - (FW - 1)));
		const FV bi = -FP(reverse)(FP(load)(zi + h - k - (FW - 1)));
		const FV er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);
		const FV or_ = 0.5f * (ai - bi), oi = -0.5f * (ar - br);
		const FV wr = FP(load)(f->post_re + k), wi = FP(load)(f->post_im + k);
		FP(store)(re + k, er + (or_ * wr - oi * wi));
		FP(store)(im + k, ei + (or_ * wi + oi * wr));
	}
	for (; k < h; ++k) {
		const float ar = zr[k], ai = zi[k], br = zr[h - k], bi = -zi[h - k];
		const float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);
		const float or_ = 0.5f * (ai - bi), oi = -0.5f * (ar - br);
		const float wr = f->post_re[k], wi = f->post_im[k];
		re[k] = er + (or_ * wr - oi * wi);
		im[k] = ei + (or_ * wi + oi * wr);
	}
}

FM_ALWAYS void FP(inverse_body)(heist_rfft *f, const float *re, const float *im, float *x)
{
	const uint32_t h = f->half;
	/* Z[k] = (X[k] + conj X[h-k]) + i conj(w^k) (X[k] - conj X[h-k]);
	 * the inverse complex FFT as conj(FFT(conj Z)). */
	uint32_t k = 0;
	{
		/* k = 0 alone: im[0] and im[h] are taken as zero. */
		const float sr = re[0] + re[h], dr = re[0] - re[h];
		f->ar[0] = sr;
		f->ai[0] = -dr * f->post_re[0];
		k = 1;
	}
	for (; k + FW <= h; k += FW) {
		const FV ar = FP(load)(re + k), ai = FP(load)(im + k);
		const FV br = FP(reverse)(FP(load)(re + h - k - (FW - 1)));
		const FV bi = -FP(reverse)(FP(load)(im + h - k - (FW - 1)));
		const FV sr = ar + br, si = ai + bi, dr = ar - br, di = ai - bi;
		const FV wr = FP(load)(f->post_re + k), wi = -FP(load)(f->post_im + k);
		const FV tr = dr * wr - di * wi, ti = dr * wi + di * wr;
		FP(store)(f->ar + k, sr - ti);
		FP(store)(f->ai + k, -(si + tr));
	}
	for (; k < h; ++k) {
		const float ar = re[k], ai = k == 0 ? 0.0f : im[k];
		const float br = re[h - k], bi = -(k == 0 ? 0.0f : im[h - k]);
		const float sr = ar + br, si = ai + bi, dr = ar - br, di = ai - bi;
		const float wr = f->post_re[k], wi = -f->post_im[k];
		const float tr = dr * wr - di * wi, ti = dr * wi + di * wr; /* conj(w)^k d */
		f->ar[k] = sr - ti;                                         /* + i t */
		f->ai[k] = -(si + tr);
	}
	const int which = FP(cfft)(f);
	const float *zr = which ? f->br : f->ar, *zi = which ? f->bi : f->ai;
	uint32_t t = 0;
	for (; t + FW <= h; t += FW) { /* interleaved by shuffles, as above */
		const FV r = FP(load)(zr + t), i = -FP(load)(zi + t);
		FP(store)(x + 2 * t, FP(zip_lo)(r, i));
		FP(store)(x + 2 * t + FW, FP(zip_hi)(r, i));
	}
	for (; t < h; ++t) {
		x[2 * t] = zr[t];
		x[2 * t + 1] = -zi[t];
	}
}
