/*
 * course.c — the nine lessons' words and tests.  docs/weak-memory.md is the
 * same course written out, with the output of real runs.
 *
 * Each test is one of the built-in suite (tests/litmus/, where its file says
 * its verdict and, when forbidden, the cycle).  What a machine is expected to
 * show: QEMU's from how TCG translates on an x86 host (x86 keeps stores in
 * order and loads in order, but a store may wait in the store buffer while a
 * later load goes ahead; DMB ISH, LDAR and STLR become full fences, DMB ISHST
 * and ISHLD nothing: ../shared/docs/hardware-facts.md); a Cortex-A72's from
 * the published REMS runs on a Raspberry Pi 4 where there are some (MP, MP
 * with a writer barrier only, SB, LB, WRC), otherwise from the architecture.
 */
#include "kernel/lessons/lessons.h"

#include <stddef.h>

const struct lesson lessons[LESSON_COUNT] = {
    {
	.title = "Store buffering (SB)",
	.idea = {"Each core writes its own location, then reads the other's.",
		 "A store may sit in the core's store buffer while a later load goes ahead,",
		 "so both cores can read 0. x86 has a store buffer too: QEMU shows it.",
		 "DMB ISH between the store and the load forbids it; DMB ISHST (stores only)",
		 "does not order a store before a load."},
	.test = {{"SB", "no barriers: both read 0", SHOWS, NULL, SHOWS},
		 {"SB+dmbs", "DMB ISH on both sides: never", NEVER, NULL, NEVER},
		 {"SB+dmb.ishsts", "DMB ISHST on both sides: still allowed", SHOWS, NULL, SHOWS}},
	.closing = {"SB's relaxed outcome is allowed and common; only a full barrier",
		    "(or release/acquire, lesson 4) between the store and the load stops it."},
    },
    {
	.title = "Message passing (MP)",
	.idea = {"P0 writes data, then a flag; P1 reads the flag, then the data.",
		 "Seeing the flag but old data needs the writer's stores or the reader's loads",
		 "to be reordered: Arm allows both, so each side needs its own ordering.",
		 "x86 keeps both in order: QEMU on x86 never shows MP's outcome."},
	.test = {{"MP", "no ordering: allowed", HIDDEN, NULL, SHOWS},
		 {"MP+dmb.ishst+po", "a barrier in the writer only: still allowed", HIDDEN, NULL,
		  SHOWS},
		 {"MP+po+dmb.ishld", "a barrier in the reader only: still allowed", HIDDEN, NULL,
		  SHOWS},
		 {"MP+dmb.ishst+dmb.ishld", "DMB ISHST in the writer, DMB ISHLD in the reader",
		  NEVER, NULL, NEVER},
		 {"MP+rel+acq", "STLR for the flag, LDAR to read it", NEVER, NULL, NEVER},
		 {"MP+rel+addr", "STLR, and an address dependency in the reader", NEVER, NULL,
		  NEVER}},
	.closing = {"Ordering must be paid on both sides: the writer orders its stores",
		    "(DMB ISHST, STLR), the reader its loads (DMB ISHLD, LDAR, a dependency)."},
    },
    {
	.title = "Dependencies",
	.idea = {"A load's value that feeds the address or the data of a later access orders",
		 "the two, at no cost. A branch on a loaded value (a control dependency) orders",
		 "only later stores: loads after the branch may still be speculated early,",
		 "unless an ISB follows the branch."},
	.test = {{"MP+dmb+addr", "address dependency in the reader: never", NEVER, NULL, NEVER},
		 {"LB+datas", "data dependencies on both sides: never", NEVER, NULL, NEVER},
		 {"LB+ctrls", "control dependencies to stores: never", NEVER, NULL, NEVER},
		 {"MP+dmb+ctrl", "control dependency to a load: allowed", HIDDEN, NULL, SHOWS},
		 {"MP+dmb+ctrl-isb", "control dependency and ISB: never", NEVER, NULL, NEVER}},
	.closing = {"addr and data order; ctrl orders stores only; ctrl+ISB orders loads too."},
    },
    {
	.title = "Release and acquire",
	.idea = {"STLR (release) and LDAR (acquire) are ordered with each other even across",
		 "locations: a store-release followed by a load-acquire cannot be reordered,",
		 "so SB with them is forbidden. LDAPR (ARMv8.3's RCpc acquire) drops just",
		 "that one order: SB with STLR and LDAPR is allowed."},
	.test = {{"SB+rel+acq", "STLR then LDAR: never", EMULATOR_BUG,
		  "QEMU's TCG puts a full fence before STLR's store and after LDAR's load, but\n"
		  "none between them, so the x86 host's store buffer lets the load pass the\n"
		  "store: an emulator bug that allstop shows (measured: 3-7% of iterations, QEMU "
		  "10.0.2).\n"
		  "A real Arm core must show 0.",
		  NEVER},
		 {"SB+rel+acqpc", "STLR then LDAPR: allowed", HIDDEN, NULL, SHOWS}},
	.closing = {"LDAR is sequentially consistent with STLR; LDAPR is the cheaper acquire",
		    "that C11's memory_order_acquire needs, and it lets SB happen.  LDAPR needs",
		    "FEAT_LRCPC (Armv8.3): a Pi 4's Cortex-A72 lacks it (QEMU: -cpu max has it)."},
    },
    {
	.title = "Allowed is not observed",
	.idea = {"Load buffering: each core reads, then writes the location the other reads.",
		 "Both reading the other's later write is allowed by ARMv8, but a Cortex-A72",
		 "does not show it (published: 0 in 8.5 million on a Pi 4), nor does QEMU.",
		 "A model says what may happen; a machine shows a subset."},
	.test = {{"LB", "allowed, and not expected anywhere here", HIDDEN, NULL, HIDDEN}},
	.closing = {"Code must be correct for what the architecture allows, not for what",
		    "today's cores happen to do: a later core may show LB."},
    },
    {
	.title = "Multi-copy atomicity",
	.idea = {"ARMv8 is other-multi-copy atomic: a store becomes visible to every other",
		 "core at once. So two readers cannot disagree on the order of two independent",
		 "writes (IRIW), and causality is kept (WRC), once the readers order their",
		 "loads. ARMv7 and Power allow both outcomes."},
	.test = {{"IRIW+addrs", "two writers, two readers with address dependencies", NEVER, NULL,
		  NEVER},
		 {"WRC+addrs", "write-to-read causality with address dependencies", NEVER, NULL,
		  NEVER}},
	.closing = {"On ARMv8, ordering each reader's loads is enough: no reader sees the",
		    "writes in an order the others contradict."},
    },
    {
	.title = "Coherence",
	.idea = {"Whatever else is reordered, all cores agree on one order of the writes to",
		 "each single location, and a core never reads a location going backwards."},
	.test = {{"CoRR", "two reads of one location: never the newer value, then the older", NEVER,
		  NULL, NEVER},
		 {"CoWW", "two writes by one core: the last one stays", NEVER, NULL, NEVER},
		 {"CoWR", "a read after its own core's write sees it, or a newer one", NEVER, NULL,
		  NEVER}},
	.closing = {"Coherence holds per location, always, with no barrier at all."},
    },
    {
	.title = "Emulation hides weak behaviour",
	.idea = {"QEMU's TCG translates each Arm instruction into host code. On an x86 host",
		 "the host's order (TSO) shows through: SB and R relax, MP and LB never do,",
		 "because x86 keeps stores in order and loads in order. On a Pi 4 the same",
		 "image shows MP too (published: 1.16 million of 8 million)."},
	.test = {{"SB", "x86 has a store buffer too", SHOWS, NULL, SHOWS},
		 {"MP", "x86 never reorders two stores or two loads", HIDDEN, NULL, SHOWS}},
	.closing = {"Never trust an emulator for ordering: test on the hardware."},
    },
    {
	.title = "The allgs bug",
	.idea = {"Go 1.17's collector read allgs (the task slice) while it could grow: the",
		 "grower copies the old entries into a new array (write A), then publishes the",
		 "array (write B); a marker reads the array (read A), then an entry (read B).",
		 "That is MP with an address dependency on the reader's side: allowed, because",
		 "the writer does not order A before B. A release store for B forbids it; Go",
		 "1.18 instead reads the slice only from a snapshot taken with the world stopped."},
	.test = {{"allgs", "grow, then publish with a plain store: allowed", HIDDEN, NULL, SHOWS},
		 {"allgs+rel", "publish with STLR: never", NEVER, NULL, NEVER}},
	.closing = {"The runtime half: gc=racy with inject=publish-early reads a nil task, as",
		    "Go did; gc=fixed, on the same cores, never does (docs/the-allgs-bug.md)."},
	.runtime_half = true,
    },
};
