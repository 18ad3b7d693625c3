/*
 * patch.h — writing instructions at run time: making new code visible to
 * instruction fetch (the litmus runner's generated threads), and turning one
 * instruction into another in place (the tracer's trace points: a NOP that
 * becomes a branch while tracing, kernel/trace/trace.h).
 */
#ifndef PATCH_H
#define PATCH_H

#include <stddef.h>
#include <stdint.h>

#define INSN_NOP 0xd503201fu /* HINT #0 */

/* The words in [start, start + len) were written as data: clean them to the
 * point of unification and invalidate every core's instruction cache over
 * them, then synchronize this core's fetch.  Other cores fetch anew after
 * their next context synchronization (an ISB, an exception entry or return). */
void icache_sync(void *start, size_t len);

/* B from `from` to `to` (within +-128 MiB), as a word of code. */
uint32_t insn_branch(uintptr_t from, uintptr_t to);

/*
 * Replace the instruction at site with insn, which may be running on other
 * cores right now.  Only for the instructions the architecture lets one core
 * change while another executes them (Arm ARM B2.2.5: B, BL, NOP, BRK, SVC,
 * HVC, SMC, ISB): every core then runs either the old one or the new one.
 * A core sees the new one at the latest after its next context
 * synchronization event.
 */
void patch_insn(uint32_t *site, uint32_t insn);

#endif
