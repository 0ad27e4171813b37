// The x86 intrinsics header as the *_avx2.cc / *_avx512.cc kernel files
// include it. GCC 12's AVX-512 intrinsics build their "undefined" vectors by
// self-initialization (GCC bug 105593), which -Wuninitialized reports at
// every inlined use; those warnings are silenced for the including file.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

// Loops over small arrays of vector registers must be unrolled completely or
// GCC -O2 keeps the arrays on the stack; put this before every such loop.
#define IMP_UNROLL _Pragma("GCC unroll 16")
