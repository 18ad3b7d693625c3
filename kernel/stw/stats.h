/*
 * stats.h — the stop's measurements, kept apart from its protocol (stop.c).
 * Private to kernel/stw: the public view is stw_summary() in stop.h.
 */
#ifndef STW_STATS_H
#define STW_STATS_H

#include <stdint.h>

/* One finished stop, from its owner before it gives up ownership (so there
 * is one writer at a time): request -> all parked, and request -> released,
 * in timer ticks. */
void stw_stats_record(uint64_t latency, uint64_t pause);

#endif
