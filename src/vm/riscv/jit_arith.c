/* SPDX-License-Identifier: MIT */
/* The M-extension operations the translator (jit.c) calls instead of emitting them inline:
 * MULH*, and DIV/REM with RISC-V's results for division by zero and overflow. */
#include "riscv.h"

uint64_t rv_jit_mulh(uint64_t a, uint64_t b)
{
	return (uint64_t)(((__int128)(int64_t)a * (__int128)(int64_t)b) >> 64);
}

uint64_t rv_jit_mulhsu(uint64_t a, uint64_t b)
{
	return (uint64_t)(((__int128)(int64_t)a * (__int128)b) >> 64);
}

uint64_t rv_jit_mulhu(uint64_t a, uint64_t b)
{
	return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

uint64_t rv_jit_div(uint64_t a, uint64_t b)
{
	if (b == 0)
		return UINT64_MAX;
	if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
		return a;
	return (uint64_t)((int64_t)a / (int64_t)b);
}

uint64_t rv_jit_divu(uint64_t a, uint64_t b)
{
	return b ? a / b : UINT64_MAX;
}

uint64_t rv_jit_rem(uint64_t a, uint64_t b)
{
	if (b == 0)
		return a;
	if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
		return 0;
	return (uint64_t)((int64_t)a % (int64_t)b);
}

uint64_t rv_jit_remu(uint64_t a, uint64_t b)
{
	return b ? a % b : a;
}

uint64_t rv_jit_divw(uint64_t a, uint64_t b)
{
	int32_t x = (int32_t)a, y = (int32_t)b;
	if (y == 0)
		return UINT64_MAX;
	if (x == INT32_MIN && y == -1)
		return (uint64_t)(int64_t)x;
	return (uint64_t)(int64_t)(x / y);
}

uint64_t rv_jit_divuw(uint64_t a, uint64_t b)
{
	uint32_t x = (uint32_t)a, y = (uint32_t)b;
	return (uint64_t)(int64_t)(int32_t)(y ? x / y : UINT32_MAX);
}

uint64_t rv_jit_remw(uint64_t a, uint64_t b)
{
	int32_t x = (int32_t)a, y = (int32_t)b;
	if (y == 0)
		return (uint64_t)(int64_t)x;
	if (x == INT32_MIN && y == -1)
		return 0;
	return (uint64_t)(int64_t)(x % y);
}

uint64_t rv_jit_remuw(uint64_t a, uint64_t b)
{
	uint32_t x = (uint32_t)a, y = (uint32_t)b;
	return (uint64_t)(int64_t)(int32_t)(y ? x % y : x);
}
