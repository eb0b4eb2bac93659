#!/bin/sh
# bench/rtneural/build.sh RTNEURAL_DIR HEIST_BUILD_DIR OUT_DIR
# Builds cmp_sse2 (x86-64 baseline, what RTNeural's Eigen code is on a CPU
# without AVX) and cmp_avx2 (-march=x86-64-v3) against the dsp library of a
# Heist build. Needs libeigen3-dev and an RTNeural checkout (its RTNeural/
# and modules/json/ folders; github.com/jatinchowdhury18/RTNeural).
# Compare with: OUT_DIR/cmp_sse2 models/heist-default.hsm 9
#               OUT_DIR/cmp_avx2 models/heist-default.hsm 9 3
set -e
R=$1
B=$2
O=$3
S=$(dirname "$0")
D=$S/../../dsp
mkdir -p "$O"
cc -O2 -std=c11 -I"$D" -c "$S/heist_side.c" -o "$O/heist_side.o"
L=$B/dsp/libheist_dsp.a
F="-std=c++17 -O3 -DNDEBUG -DRTNEURAL_USE_EIGEN=1 -DEIGEN_STACK_ALLOCATION_LIMIT=0 -I$R -I/usr/include/eigen3"
c++ $F -DRTN_FLAGS='"Eigen, SSE2 baseline"' "$S/cmp.cpp" "$O/heist_side.o" "$L" -lm -lpthread -o "$O/cmp_sse2"
c++ $F -march=x86-64-v3 -DRTN_FLAGS='"Eigen, AVX2+FMA"' "$S/cmp.cpp" "$O/heist_side.o" "$L" -lm -lpthread -o "$O/cmp_avx2"
