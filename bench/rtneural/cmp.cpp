// bench/rtneural/cmp.cpp: Heist's network against RTNeural (Eigen backend,
// compile-time layers) at the same shape and with the same weights:
// GRU(I -> H), dense(H + I -> D) + ReLU, dense(D -> O), one frame per call.
// Heist's step also computes exp_sigmoid on its O outputs (RTNeural's does not).
// Rounds of 2000 frames alternate between the two; prints medians, ranges and
// the per-round ratio. Built by bench/rtneural/build.sh (RTNeural is not a
// Debian package, so this is outside the meson build).
//
//   cmp_sse2|cmp_avx2 MODEL.hsm [ROUNDS] [ISA]
// ISA (1..3, heist_net_isa) adds that Heist kernel to the rounds.
#include <RTNeural/RTNeural.h>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>
extern "C" {
const void *hs_load(const char *path);
int hs_set(int isa);
const char *hs_name(int isa);
void hs_run(const float *frames, unsigned T);
const float *hs_h(void);
void hs_reset(void);
void vz(void);
const float *hs_tensor(int which);
}
// The layout of heist_model's leading fields we need (dsp/model.h).
struct model_head {
	char name[64];
	float frame_rate, sample_rate;
	uint32_t n_styles, embed_dim, gru_hidden, dense_hidden;
	uint32_t n_harmonics, n_noise, n_inputs, n_outputs;
};
constexpr int I = 11, H = 192, D = 128, O = 126;
static double now()
{
	timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}
struct RTN {
	RTNeural::GRULayerT<float, I, H> gru;
	RTNeural::DenseT<float, H + I, D> d1;
	RTNeural::ReLuActivationT<float, D> relu;
	RTNeural::DenseT<float, D, O> d2;
	Eigen::Matrix<float, I, 1> x;
	Eigen::Matrix<float, H + I, 1> hx;
	float sink = 0;
	void step(const float *in)
	{
		for (int i = 0; i < I; ++i) x(i) = in[i];
		gru.forward(x);
		for (int i = 0; i < H; ++i) hx(i) = gru.outs(i);
		for (int i = 0; i < I; ++i) hx(H + i) = in[i];
		d1.forward(hx);
		relu.forward(d1.outs);
		d2.forward(relu.outs);
		sink += d2.outs(0);
	}
};
int main(int argc, char **argv)
{
	const char *model = argv[1];
	const int rounds = argc > 2 ? atoi(argv[2]) : 9;
	const int heavy = argc > 3 ? atoi(argv[3]) : 0; // also time the best kernel
	const void *mp = hs_load(model);
	const model_head *mh = (const model_head *)mp;
	if ((int)mh->n_inputs != I || (int)mh->gru_hidden != H || (int)mh->dense_hidden != D ||
	    (int)mh->n_outputs != O) {
		fprintf(stderr, "shape mismatch\n");
		return 1;
	}
	static RTN r;
	const float *wih = hs_tensor(0), *whh = hs_tensor(1), *bih = hs_tensor(2), *bhh = hs_tensor(3);
	const float *w1 = hs_tensor(4), *b1 = hs_tensor(5), *w2 = hs_tensor(6), *b2 = hs_tensor(7);
	const int kg[3] = {1, 0, 2}; // keras z, r, c <- torch r, z, n
	std::vector<std::vector<float>> W(I, std::vector<float>(3 * H)), U(H, std::vector<float>(3 * H)),
	    B(2, std::vector<float>(3 * H));
	for (int g = 0; g < 3; ++g)
		for (int j = 0; j < H; ++j) {
			const int tr = kg[g] * H + j, kr = g * H + j;
			for (int i = 0; i < I; ++i) W[i][kr] = wih[tr * I + i];
			for (int i = 0; i < H; ++i) U[i][kr] = whh[tr * H + i];
			B[0][kr] = bih[tr];
			B[1][kr] = bhh[tr];
		}
	r.gru.setWVals(W);
	r.gru.setUVals(U);
	r.gru.setBVals(B);
	std::vector<std::vector<float>> W1(D, std::vector<float>(H + I)), W2(O, std::vector<float>(D));
	for (int o = 0; o < D; ++o)
		for (int c = 0; c < H + I; ++c) W1[o][c] = w1[o * (H + I) + c];
	for (int o = 0; o < O; ++o)
		for (int c = 0; c < D; ++c) W2[o][c] = w2[o * D + c];
	r.d1.setWeights(W1);
	r.d1.setBias(b1);
	r.d2.setWeights(W2);
	r.d2.setBias(b2);
	const unsigned T = 2000;
	std::vector<float> fr(T * I);
	uint32_t s = 7;
	for (unsigned k = 0; k < T; ++k) {
		for (int i = 0; i < I; ++i) {
			s = s * 1664525u + 1013904223u;
			fr[k * I + i] = (float)((s >> 8) / 16777216.0 * 2.0 - 1.0) * (i < 3 ? 1.0f : 0.3f);
		}
	}
	// Check the shape is the same network: h after 50 frames agrees.
	hs_set(0);
	hs_reset();
	hs_run(fr.data(), 50);
	r.gru.reset();
	for (int k = 0; k < 50; ++k) r.step(&fr[k * I]);
	double dmax = 0;
	for (int j = 0; j < H; ++j) dmax = std::max(dmax, (double)std::fabs(hs_h()[j] - r.gru.outs(j)));
	printf("RTNeural vs Heist h after 50 frames: max |diff| %.2e\n", dmax);
	std::vector<double> tg, tb, tr;
	int best = heavy;
	for (int k = 0; k < rounds; ++k) {
		hs_set(0);
		double t0 = now();
		hs_run(fr.data(), T);
		tg.push_back((now() - t0) / T * 1e6);
		vz(); // both sides start from a clean upper state (heist_cpu_clear_upper)
		t0 = now();
		for (unsigned f = 0; f < T; ++f) r.step(&fr[f * I]);
		tr.push_back((now() - t0) / T * 1e6);
		if (best) {
			hs_set(best);
			t0 = now();
			hs_run(fr.data(), T);
			tb.push_back((now() - t0) / T * 1e6);
		}
	}
	auto med = [](std::vector<double> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2]; };
	auto lo = [](std::vector<double> v) { return *std::min_element(v.begin(), v.end()); };
	auto hi = [](std::vector<double> v) { return *std::max_element(v.begin(), v.end()); };
	std::vector<double> rg, rb;
	for (size_t k = 0; k < tr.size(); ++k) {
		rg.push_back(tg[k] / tr[k]);
		if (best) rb.push_back(tb[k] / tr[k]);
	}
	printf("RTNeural (%s)            %6.2f us/frame (%.2f-%.2f)\n", RTN_FLAGS, med(tr), lo(tr), hi(tr));
	printf("Heist %-36s %6.2f us/frame (%.2f-%.2f)  ratio to RTNeural %.2f (%.2f-%.2f)\n", hs_name(0),
	       med(tg), lo(tg), hi(tg), med(rg), lo(rg), hi(rg));
	if (best)
		printf("Heist %-36s %6.2f us/frame (%.2f-%.2f)  ratio to RTNeural %.2f (%.2f-%.2f)\n",
		       hs_name(best), med(tb), lo(tb), hi(tb), med(rb), lo(rb), hi(rb));
	return r.sink == 12345.f;
}
