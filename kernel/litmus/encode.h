/*
 * encode.h — a litmus thread's instructions as AArch64 machine code.
 *
 * The encoder produces a thread's *body*: the test's own instructions, each
 * as one word (MOV of a wide immediate: up to four, MOVZ then MOVK), with
 * every branch resolved to a PC-relative offset.  It produces exactly what
 * GNU as makes of the same text (the host tests compare the two word by
 * word), including as's choices: MOV #imm as MOVZ, else MOVN, else ORR
 * (bitmask); ADD/SUB/CMP of a negative immediate as SUB/ADD/CMN; LDR/STR with
 * an offset that is negative or unaligned as LDUR/STUR.
 *
 * The ABI a body assumes; the runner's prologue/epilogue provide it:
 *   - On entry, X0..X30 hold the thread's initial values (test->thread[i].init,
 *     addresses substituted), and nothing else is assumed about them: a test
 *     may use any general-purpose register it names, X29 and X30 included.
 *   - The body never touches SP (SP is refused by the parser) and never calls
 *     or returns; it may clobber NZCV.  So the runner keeps its own state
 *     (what it must restore, where to record the final registers) in memory
 *     reached through SP, or in a system register such as TPIDR_EL1, and saves
 *     the callee-saved registers (X19-X30) it relies on before entering.
 *   - The body ends by falling through past its last word; a branch to a
 *     label at the end of the thread lands on the word right after the body.
 *     So the runner places its epilogue (store X0..X30, restore, return)
 *     immediately after the body.
 *   - The code is position-independent (branches are PC-relative, no literal
 *     pools), so it may be copied anywhere; after writing it the runner must
 *     clean the data cache to the point of unification, invalidate the
 *     instruction cache, and ISB before running it.
 */
#ifndef LITMUS_ENCODE_H
#define LITMUS_ENCODE_H

#include <stdint.h>

#include "kernel/litmus/litmus.h"

#define LITMUS_MAX_INSN_WORDS 4 /* MOVZ + 3 MOVK */
#define LITMUS_MAX_BODY_WORDS (LITMUS_MAX_INSNS * LITMUS_MAX_INSN_WORDS)

/*
 * Encode one instruction into out[0..LITMUS_MAX_INSN_WORDS).  For a branch,
 * offset is the distance in words from this instruction's (first) word to the
 * target; it is ignored otherwise.  Returns the number of words, or -1 with
 * *err set (err->line/col taken from the instruction), e.g. for an immediate
 * that has no encoding.
 */
int litmus_encode_insn(const struct litmus_insn *in, int32_t offset, uint32_t *out,
		       struct litmus_error *err);

/* How many words litmus_encode_insn will produce for in (1..4), or -1 with
 * *err set when it cannot be encoded at all. */
int litmus_insn_words(const struct litmus_insn *in, struct litmus_error *err);

/*
 * Encode a whole thread's body into buf[0..cap).  If word_of is not NULL, it
 * receives th->ninsns + 1 entries: word_of[i] is where instruction i starts,
 * word_of[ninsns] the body's length (so the runner can map a PC back to an
 * instruction).  Returns the number of words, or -1 with *err set.
 */
int litmus_encode_thread(const struct litmus_thread *th, uint32_t *buf, int cap, int *word_of,
			 struct litmus_error *err);

#endif
