// Arithmetic on short vectors of lanes, shared verbatim by both simulation
// backends: the runtime interpreter includes this header, and the standalone
// backend embeds its text in every generated source, so that both compute
// bit-identical values with the same operations in the same order.
//
// Self-contained on purpose (standard C++ and GCC/Clang vector extensions
// only): it is compiled into generated code that sees no other header.
#ifndef CELLFIT_WORKER_RUNTIME_VECTOR_MATH_H_
#define CELLFIT_WORKER_RUNTIME_VECTOR_MATH_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__AVX__)
#include <immintrin.h>
#endif

// Four double lanes, one AVX2 register, unless the includer defines
// CELLFIT_VM_WIDE and the target has AVX-512: then eight, one AVX-512
// register. Every lane's value comes from the same operations either way, so
// the width changes speed, never a bit of a result. The runtime backend asks
// for the wide vectors when it is built for AVX-512, and generated standalone
// code when the worker's CPU has it (NativeLaneWidth in codegen.h). The two
// widths live in different inline namespaces, so that translation units of
// both widths can share a program.
#if defined(CELLFIT_VM_WIDE) && defined(__AVX512F__)
#define CELLFIT_VM_LANES 8
#else
#define CELLFIT_VM_LANES 4
#endif

namespace cellfit_vm {
#if CELLFIT_VM_LANES == 8
inline namespace lanes8 {

inline constexpr int kVecWidth = 8;
typedef double Vec __attribute__((vector_size(64)));
typedef int64_t VecI __attribute__((vector_size(64)));

inline Vec Splat(double x) { return Vec{x, x, x, x, x, x, x, x}; }
inline VecI Splat64(int64_t x) { return VecI{x, x, x, x, x, x, x, x}; }
#else
inline namespace lanes4 {

inline constexpr int kVecWidth = 4;
typedef double Vec __attribute__((vector_size(32)));
typedef int64_t VecI __attribute__((vector_size(32)));

inline Vec Splat(double x) { return Vec{x, x, x, x}; }
inline VecI Splat64(int64_t x) { return VecI{x, x, x, x}; }
#endif

inline Vec AsVec(VecI v) {
  Vec out = {};
  std::memcpy(&out, &v, sizeof out);
  return out;
}
inline VecI AsVecI(Vec v) {
  VecI out;
  std::memcpy(&out, &v, sizeof out);
  return out;
}

// Whether any lane of a mask is set. One vmovmskpd with AVX; the portable
// lane-by-lane test costs eight instructions, and it runs after every exp.
inline bool AnyLane(VecI mask) {
#if CELLFIT_VM_LANES == 8
  return _mm512_test_epi64_mask((__m512i)mask, (__m512i)mask) != 0;
#elif defined(__AVX__)
  return _mm256_movemask_pd((__m256d)mask) != 0;
#else
  return (mask[0] | mask[1] | mask[2] | mask[3]) != 0;
#endif
}

// Whether every lane of a mask is set.
inline bool AllLanes(VecI mask) {
#if CELLFIT_VM_LANES == 8
  return _mm512_test_epi64_mask((__m512i)mask, (__m512i)mask) == 0xff;
#elif defined(__AVX__)
  return _mm256_movemask_pd((__m256d)mask) == 0xf;
#else
  return (mask[0] & mask[1] & mask[2] & mask[3]) != 0;
#endif
}

// Lane-wise select: mask lanes are all-ones (true) or zero (false).
inline Vec Blend(VecI mask, Vec if_true, Vec if_false) {
  return AsVec((mask & AsVecI(if_true)) | (~mask & AsVecI(if_false)));
}

inline Vec Bool(VecI mask) { return Blend(mask, Splat(1.0), Splat(0.0)); }

// a*b + c rounded once. Fused multiply-adds appear only where written (the
// compilers' contraction is off): with the instruction where the machine has
// it, else the C library's std::fma, which is exact by definition, so every
// machine computes the same bits.
inline Vec Fma(Vec a, Vec b, Vec c) {
#if CELLFIT_VM_LANES == 8
  return (Vec)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
#elif defined(__FMA__)
  return (Vec)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
#else
  Vec out;
  for (int k = 0; k < kVecWidth; ++k) out[k] = std::fma(a[k], b[k], c[k]);
  return out;
#endif
}

// 2**k for integral k in [-1022, 1023] given as a double.
inline Vec Pow2(Vec k) {
  // Adding 1.5*2**52 leaves k in the low mantissa bits (round-to-nearest).
  const Vec magic = Splat(6755399441055744.0);
  const VecI bits = AsVecI(k + magic) - AsVecI(magic);
  return AsVec((bits + 1023) << 52);
}

// exp(r) for |r| <= ln2/2: a degree-11 Chebyshev approximation (error 3e-18,
// below double rounding). exp(r) = 1 + r*(1 + r*g(r)): g by Estrin's scheme
// (independent FMAs), the last two steps by Horner's rule. g's rounding errors
// are scaled by r**2 <= 0.12, so the result stays as close to the C library's
// as with Horner's rule throughout, at 6 dependent FMAs instead of 12: a
// narrow group of lanes runs one chain of dependent exps a step, bound by
// their latency.
inline Vec ExpOfReduced(Vec r) {
  const Vec r2 = r * r;
  const Vec r4 = r2 * r2;
  const Vec r8 = r4 * r4;
  const Vec a0 = Fma(r, Splat(0.1666666666666668), Splat(0.5000000000000019));
  const Vec a1 = Fma(r, Splat(0.008333333333319601), Splat(0.0416666666664881));
  const Vec a2 =
      Fma(r, Splat(0.00019841269890047113), Splat(0.0013888888952314775));
  const Vec a3 =
      Fma(r, Splat(2.755724091857897e-06), Splat(2.4801485482328494e-05));
  const Vec a4 =
      Fma(r, Splat(2.5110037605963777e-08), Splat(2.763263963904103e-07));
  const Vec g = Fma(a4, r8, Fma(Fma(a3, r2, a2), r4, Fma(a1, r2, a0)));
  const Vec p = Fma(g, r, Splat(1.0));
  return Fma(p, r, Splat(1.0));
}

// exp(x) within 1 ulp of the C library's for every double. Cody-Waite
// reduction x = n*ln2 + r with |r| <= ln2/2, ExpOfReduced(r), and scaling by
// 2**n through the exponent bits. No branches in the common range
// |x| <= 708, so it vectorizes; lanes beyond (overflow, underflow to
// subnormals, infinities, NaN) take the C library's exp, identically in both
// backends.
inline Vec Exp(Vec x) {
  const Vec ax = AsVec(AsVecI(x) & Splat64(0x7fffffffffffffffLL));
  // Where every |x| <= 0.34 (below ln2/2), n is 0 in every lane: the reduction
  // leaves r == x and the scale is 1, so the polynomial alone gives the same
  // bits, 8 vector operations sooner. Exponential Euler's factors exp(B*dt)
  // take this path in most steps. NaN lanes fail the test.
  if (AllLanes(ax <= Splat(0.34))) return ExpOfReduced(x);
  // |x| <= 708, written so that NaN counts as outside.
  const VecI outside = ~(ax <= Splat(708.0));
  // t = n + 1.5*2**52, n = round(x/ln2): n sits in t's low mantissa bits.
  const Vec magic = Splat(6755399441055744.0);
  const Vec t = x * Splat(1.4426950408889634) + magic;
  const Vec n = t - magic;
  Vec r = Fma(n, Splat(-6.93147180369123816490e-01), x);
  r = Fma(n, Splat(-1.90821492927058770002e-10), r);
  // 2**n from t's bits: (n + 1023) << 52.
  const VecI scale_bits = (AsVecI(t) - AsVecI(magic) + 1023) << 52;
  Vec result = ExpOfReduced(r) * AsVec(scale_bits);
  if (__builtin_expect(AnyLane(outside), 0)) {
    for (int k = 0; k < kVecWidth; ++k) {
      if (outside[k]) result[k] = std::exp(x[k]);
    }
  }
  return result;
}

// Functions without a vector implementation go lane by lane through the C
// library, identically in both backends.
template <typename F>
inline Vec Map(Vec x, F f) {
  Vec out = {};
  for (int k = 0; k < kVecWidth; ++k) out[k] = f(x[k]);
  return out;
}

inline double ScalarMod(double a, double b) {
  // Python's modulo: the result takes the sign of the divisor.
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

inline double ScalarExprel(double x) {
  if (std::fabs(x) < 1e-16) return 1.0;
  if (x > 717) return INFINITY;
  return std::expm1(x) / x;
}

inline double ScalarSign(double x) {
  return static_cast<double>((0 < x) - (x < 0));
}

inline Vec Mod(Vec a, Vec b) {
  Vec out = {};
  for (int k = 0; k < kVecWidth; ++k) out[k] = ScalarMod(a[k], b[k]);
  return out;
}

inline Vec Pow(Vec a, Vec b) {
  Vec out = {};
  for (int k = 0; k < kVecWidth; ++k) out[k] = std::pow(a[k], b[k]);
  return out;
}

// Brian2's clip: the lower bound wins when the bounds cross.
inline Vec Clip(Vec x, Vec lo, Vec hi) {
  const Vec upper = Blend(x > hi, hi, x);
  return Blend(x < lo, lo, upper);
}

inline Vec Truthy(Vec x) { return Bool(x != Splat(0.0)); }

// One function per step-program opcode. The runtime interpreter and the
// generated standalone code call exactly these, so that both backends perform
// the same operations in the same order.
inline Vec OpAdd(Vec a, Vec b) { return a + b; }
inline Vec OpSub(Vec a, Vec b) { return a - b; }
inline Vec OpMul(Vec a, Vec b) { return a * b; }
inline Vec OpDiv(Vec a, Vec b) { return a / b; }
inline Vec OpPow(Vec a, Vec b) { return Pow(a, b); }
inline Vec OpMod(Vec a, Vec b) { return Mod(a, b); }
inline Vec OpFloorDiv(Vec a, Vec b) {
  return Map(a / b, [](double q) { return std::floor(q); });
}
inline Vec OpNeg(Vec a) { return -a; }
inline Vec OpLess(Vec a, Vec b) { return Bool(a < b); }
inline Vec OpLessEqual(Vec a, Vec b) { return Bool(a <= b); }
inline Vec OpGreater(Vec a, Vec b) { return Bool(a > b); }
inline Vec OpGreaterEqual(Vec a, Vec b) { return Bool(a >= b); }
inline Vec OpEqual(Vec a, Vec b) { return Bool(a == b); }
inline Vec OpNotEqual(Vec a, Vec b) { return Bool(a != b); }
inline Vec OpAnd(Vec a, Vec b) {
  return Bool((a != Splat(0.0)) & (b != Splat(0.0)));
}
inline Vec OpOr(Vec a, Vec b) {
  return Bool((a != Splat(0.0)) | (b != Splat(0.0)));
}
inline Vec OpNot(Vec a) { return Bool(a == Splat(0.0)); }
inline Vec OpSelect(Vec c, Vec a, Vec b) {
  return Blend(c != Splat(0.0), a, b);
}
inline Vec OpClip(Vec x, Vec lo, Vec hi) { return Clip(x, lo, hi); }
inline Vec OpExp(Vec a) { return Exp(a); }
inline Vec OpLog(Vec a) {
  return Map(a, [](double x) { return std::log(x); });
}
inline Vec OpLog10(Vec a) {
  return Map(a, [](double x) { return std::log10(x); });
}
inline Vec OpSqrt(Vec a) {
  return Map(a, [](double x) { return std::sqrt(x); });
}
inline Vec OpAbs(Vec a) {
  return Map(a, [](double x) { return std::fabs(x); });
}
inline Vec OpSin(Vec a) {
  return Map(a, [](double x) { return std::sin(x); });
}
inline Vec OpCos(Vec a) {
  return Map(a, [](double x) { return std::cos(x); });
}
inline Vec OpTan(Vec a) {
  return Map(a, [](double x) { return std::tan(x); });
}
inline Vec OpSinh(Vec a) {
  return Map(a, [](double x) { return std::sinh(x); });
}
inline Vec OpCosh(Vec a) {
  return Map(a, [](double x) { return std::cosh(x); });
}
inline Vec OpTanh(Vec a) {
  return Map(a, [](double x) { return std::tanh(x); });
}
inline Vec OpArcsin(Vec a) {
  return Map(a, [](double x) { return std::asin(x); });
}
inline Vec OpArccos(Vec a) {
  return Map(a, [](double x) { return std::acos(x); });
}
inline Vec OpArctan(Vec a) {
  return Map(a, [](double x) { return std::atan(x); });
}
inline Vec OpFloor(Vec a) {
  return Map(a, [](double x) { return std::floor(x); });
}
inline Vec OpCeil(Vec a) {
  return Map(a, [](double x) { return std::ceil(x); });
}
inline Vec OpExprel(Vec a) { return Map(a, ScalarExprel); }
inline Vec OpSign(Vec a) { return Map(a, ScalarSign); }
inline Vec OpInt(Vec a) {
  return Map(a, [](double x) { return std::trunc(x); });
}
inline Vec OpExpm1(Vec a) {
  return Map(a, [](double x) { return std::expm1(x); });
}
inline Vec OpLog1p(Vec a) {
  return Map(a, [](double x) { return std::log1p(x); });
}

}  // namespace lanes4 or lanes8
}  // namespace cellfit_vm

#endif  // CELLFIT_WORKER_RUNTIME_VECTOR_MATH_H_
