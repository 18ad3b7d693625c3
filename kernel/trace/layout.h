/*
 * layout.h — the offsets record.S uses in the tracer's structures, checked
 * against the C definitions by _Static_asserts in trace.c.
 */
#ifndef TRACE_LAYOUT_H
#define TRACE_LAYOUT_H

#define TRACE_BUF_SHIFT	  6 /* sizeof(struct trace_buf) == 64 */
#define TRACE_BUF_EV	  0 /* struct trace_ev *ev */
#define TRACE_BUF_CAP	  8 /* uint32_t cap */
#define TRACE_BUF_COUNT	  12 /* uint32_t count */
#define TRACE_BUF_SESSION 16 /* uint32_t session */
#define TRACE_EV_SHIFT	  5 /* sizeof(struct trace_ev) == 32 */
#define CPU_ID_OFFSET	  0 /* struct cpu's id, reached through TPIDR_EL1 */

#endif
