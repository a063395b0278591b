/*
 * clock.h: the one clock every timer and age is measured on: monotonic
 * milliseconds.
 */
#ifndef SOFTETHER_CLOCK_H
#define SOFTETHER_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The same clock in seconds, to the nanosecond (benchmarks). */
static inline double
clock_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
