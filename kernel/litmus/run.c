/*
 * run.c — the litmus runner: a parsed test, run for s x r iterations on
 * cores of its own, gives the histogram of final states that log.c prints
 * in litmus7's format.
 *
 * The pieces, and who does what:
 *
 *   the caller (a shell command or a boot action, kernel/shell/cmd_litmus.c)
 *     generates each thread's code (gen.c), makes it executable, allocates
 *     the memory of the runs, starts one *worker* task per test thread, each
 *     pinned to its own core, and waits for them (task_join: its own core is
 *     free for a worker meanwhile).  Then it merges their histograms.
 *
 *   a worker, for run k (litmus7's "run": s iterations, each with fresh
 *   memory cells):
 *     plan     the run's random choices, computed alike by every worker
 *              from (seed, k) with no communication: which worker runs
 *              which test thread (thread-to-core assignment, +ra), where
 *              the cells go (-place), in what order the iterations visit
 *              them (-shuffle), who leads each iteration;
 *     prepare  fill the rows its thread's code will read (each iteration's
 *              cell addresses, go words, skews; see gen.h) and reset its
 *              share of the cells (iterations [w*s/n, (w+1)*s/n)) to the
 *              initial state; then preload (-preload) reads cells into its
 *              cache;
 *     run      mask interrupts, arm the expected-fault hook, call the
 *              thread's code: all s iterations without coming back to C;
 *     count    for its share of the iterations, read the final registers
 *              (from every thread's rows) and locations (from the cells),
 *              turn cell addresses back into location names, and add each
 *              state to its own histogram.
 *   Three data sets (cells, rows, go words) are used in turn, so that the
 *   workers meet once per run (workers_meet, a sense-reversing barrier):
 *   between two meetings each worker runs run k, counts run k - 1 and
 *   prepares run k + 1, on three different sets (see worker_main).
 *
 * How the cores are kept for the test: a worker is a task pinned to its
 * core, and tasks are cooperative, so once a worker runs, no other task
 * runs on that core until it yields; the meetings spin with interrupts
 * enabled and yield now and then, so tasks queued there (the collector's
 * mark workers, say) still get the core between runs.  While the test's
 * code runs, interrupts are masked too, so neither the tick nor an IPI
 * lands in the middle of an iteration.
 *
 * The stop-the-world: a stop waits for every core to take its IPI, and a
 * core with interrupts masked takes none, so the masked stretch must be
 * short.  The generated code opens an interrupt window every WINDOW_EVERY
 * iterations and in every wait loop after LITMUS_SPIN_WINDOW spins (gen.c):
 * a stop is delayed by at most a few hundred iterations, microseconds on
 * hardware.  And no thread ever waits with interrupts masked for a thread
 * that is parked in a stop, which would deadlock: the waits open windows
 * too.  The in-kernel test litmus.stops_get_through_during_runs
 * (tests/kernel/test_litmus.c) stops the world over and over while a test
 * with per-iteration waits runs, and prints the slowest stop.
 *
 * Synchronisation within a run (-barrier, litmus7's names, and -sync):
 *   none       the threads leave the meeting together and sweep their rows
 *              side by side; with -sync K they also meet at a counter every
 *              K iterations and then each waits a random few cycles (gen.c),
 *              which keeps them in step: what QEMU needs to show a store
 *              buffer's reorderings often, since its vCPUs drift apart;
 *   user       a go word per iteration, set by a leader that rotates;
 *   timebase   the leader publishes a start time on the system counter,
 *              each thread waits for it plus its own random skew: the REMS
 *              harness's and litmus7's timed start, for hardware.
 *
 * Invariants:
 *   - between two meetings no two workers touch the same data set but to
 *     run the same run; the meeting is release/acquire, so each phase sees
 *     what the previous one wrote (the generated code's stores included:
 *     they come before the worker's release in program order);
 *   - rows[p] of a set are written by the worker running thread p in that
 *     run (prepare and the generated code, the same core) and read by every
 *     worker after the next meeting;
 *   - the masked stretch without a window is at most WINDOW_EVERY
 *     iterations or LITMUS_SPIN_WINDOW spins;
 *   - a faulting access in the test's code ends that thread's run at its
 *     fault exit; its worker then sets every go word of the run so that no
 *     other thread waits for it, and every worker leaves after the next
 *     meeting: the test reports the fault, the kernel carries on.
 *
 * Memory: the code (one page per thread), the rows and the cells come from
 * the page allocator; boot/mmu.c maps all RAM Normal write-back,
 * inner-shareable, with UXN but not PXN and SCTLR_EL1.WXN clear, so EL1 may
 * execute what it wrote once the caches agree (icache_sync, kernel/arch/patch.c).  Code and
 * data never share a page: QEMU would otherwise retranslate the code on
 * every data write.
 */
#include "kernel/litmus/run.h"
#include "kernel/litmus/encode.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/irq/ipi.h"
#include "kernel/mm/page.h"
#include "kernel/task/task.h"
#include "kernel/arch/timer.h"
#include "kernel/arch/fault.h"
#include "kernel/arch/patch.h"
#include "kernel/arch/trap.h"
#include "kernel/trace/trace.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_EVERY 256 /* iterations between interrupt windows */
#define EPOCH_RUNS   64 /* runs between changes of the set of cores (+ra) */
#define MAX_SIZE     65536
#define CODE_BYTES   4096 /* per thread: LITMUS_GEN_MAX_WORDS fits */
#define HIST_SLOTS   (2 * LITMUS_MAX_STATES)
#define STACK_BYTES  (16 * 1024)
#define NSETS	     3 /* data sets in turn: see worker_main */

_Static_assert(LITMUS_GEN_MAX_WORDS * 4 <= CODE_BYTES, "a thread's code fits its page");

/* ---------------------------------------------------------------- randomness */

/* splitmix64: a small, good generator; also used as a hash of (seed, k). */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return mix(*state);
}

static uint64_t below(uint64_t *state, uint64_t n)
{
	return n ? rnd(state) % n : 0;
}

static void shuffle_ints(uint64_t *st, int *a, int n)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)below(st, (uint64_t)i + 1);
		int x = a[i];
		a[i] = a[j];
		a[j] = x;
	}
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t r = a % b;
		a = b;
		b = r;
	}
	return a;
}

/* ---------------------------------------------------------------- histograms */

struct hist {
	int nobs;
	int n;
	int last; /* the entry added to last */
	uint64_t lost;
	uint32_t slot[HIST_SLOTS]; /* 0 empty, else entry index + 1 */
	uint64_t count[LITMUS_MAX_STATES];
	uint32_t mask[LITMUS_MAX_STATES];
	uint64_t *vals; /* LITMUS_MAX_STATES x nobs */
};

static uint32_t hash_state(const uint64_t *v, int n, uint32_t mask)
{
	uint64_t h = mask * 0x9e3779b97f4a7c15ULL;
	for (int k = 0; k < n; k++)
		h = (h ^ v[k]) * 0xff51afd7ed558ccdULL;
	return (uint32_t)(h ^ (h >> 32));
}

static bool same_state(const struct hist *h, int e, const uint64_t *v, uint32_t mask)
{
	if (h->mask[e] != mask)
		return false;
	const uint64_t *x = &h->vals[(size_t)e * h->nobs];
	for (int k = 0; k < h->nobs; k++)
		if (x[k] != v[k])
			return false;
	return true;
}

static void hist_add(struct hist *h, const uint64_t *v, uint32_t mask, uint64_t count)
{
	/* Runs of the same state are common: try the last one first. */
	if (h->n && same_state(h, h->last, v, mask)) {
		h->count[h->last] += count;
		return;
	}
	uint32_t i = hash_state(v, h->nobs, mask) & (HIST_SLOTS - 1);
	for (;; i = (i + 1) & (HIST_SLOTS - 1)) {
		uint32_t e = h->slot[i];
		if (e == 0)
			break;
		if (same_state(h, (int)e - 1, v, mask)) {
			h->last = (int)e - 1;
			h->count[e - 1] += count;
			return;
		}
	}
	if (h->n == LITMUS_MAX_STATES) {
		h->lost += count;
		return;
	}
	int e = h->n++;
	memcpy(&h->vals[(size_t)e * h->nobs], v, (size_t)h->nobs * 8);
	h->mask[e] = mask;
	h->count[e] = count;
	h->slot[i] = (uint32_t)e + 1;
	h->last = e;
}

/* ---------------------------------------------------------------- the runner */

/* What one run works on: its cells, every thread's rows, its go words. */
struct dataset {
	uint8_t *cells;
	uint64_t *rows[LITMUS_MAX_THREADS];
	uint64_t *go;
};

/* One run's random choices (plan_run), and where they put the cells:
 * location l of the iteration using cell c is at lbase[l] + c * stride. */
struct plan {
	int role[LITMUS_MAX_THREADS]; /* worker w runs thread role[w] */
	int place; /* a concrete enum litmus_place_mode */
	int slot[LITMUS_MAX_LOCS]; /* location l's place among the locations */
	uint64_t mul, add; /* iteration i uses cell (mul * i + add) % s */
	uint64_t lbase[LITMUS_MAX_LOCS];
	uint64_t stride;
	int leader0; /* thread leading iteration 0; then by turns */
	struct dataset *d;
};

struct worker {
	struct runner *R;
	int index;
	int core;
	uint32_t sense;
	uint64_t run_ticks, max_ticks;
	struct hist *hist;
	/* -sync meetings: this worker's patience now (rounds), and how many
	 * runs it stays at 0 after its meetings kept timing out */
	unsigned patience, off_runs, backoff;
	uint64_t meetings, gave_up; /* totals, for the log */
};

struct runner {
	const struct litmus_test *t;
	struct litmus_params p;
	int n; /* threads (= workers) */
	unsigned s; /* iterations per run */
	uint64_t seed;

	struct litmus_layout lay[LITMUS_MAX_THREADS];
	struct litmus_gen_map map[LITMUS_MAX_THREADS];
	uint8_t *code; /* n pages */
	uint64_t code_bytes;
	struct dataset set[NSETS]; /* run k uses set[k % NSETS] */
	uint64_t rows_bytes[LITMUS_MAX_THREADS];
	uint64_t cells_bytes;
	uint64_t go_bytes;
	uint64_t lead_ticks;
	/* Each location's initial value: the address of init_loc[l]'s cell,
	 * or (init_loc[l] < 0) the number init_num[l]. */
	int init_loc[LITMUS_MAX_LOCS];
	uint64_t init_num[LITMUS_MAX_LOCS];

	/* Where each observed value is: a register of thread obs_thread[k] in
	 * word obs_word[k] of its rows, or a location. */
	int obs_thread[LITMUS_MAX_OBSERVED];
	int obs_word[LITMUS_MAX_OBSERVED];
	bool obs_32[LITMUS_MAX_OBSERVED];

	/* The workers' meeting point (workers_meet()). */
	uint32_t bar_count __attribute__((aligned(64)));
	uint32_t bar_sense __attribute__((aligned(64)));
	int sleeping[LITMUS_MAX_THREADS]; /* worker i waits in wfi (workers_meet) */

	unsigned first_run, end_run; /* this batch of workers' runs */
	int start; /* 1: go; 2: leave at once (not every worker could start) */
	int abort; /* a worker hit a fault: everyone leaves after B2 */
	int fault_thread;
	uint64_t fault_esr, fault_far, fault_elr;

	struct worker w[LITMUS_MAX_THREADS];
};

/* One runner at a time (the shell and boot actions are one task anyway). */
static struct runner runner;
static int runner_busy;

/*
 * The workers' meeting: a sense-reversing barrier, interrupts enabled.  A
 * worker that arrives early spins a little, then sleeps in wfi until the
 * last one in sends it an IPI_WAKE (as kernel/stw/stop.c's owner does, and for
 * the same reason: under QEMU a spinning vCPU takes a host CPU away from the
 * very vCPUs it waits for).  sleeping[] and the sense are a Dekker pair:
 * the sleeper publishes sleeping = 1 then reads the sense, the last one in
 * publishes the sense then reads sleeping[], each with a full fence between;
 * at least one of them sees the other's store.
 */
#define MEET_SPINS   256
#define MEET_SPIN_NS 500000 /* spin this long before sleeping */

static bool released(struct runner *R, uint32_t s)
{
	/* acquire: pairs with the last arriver's release of the sense */
	return __atomic_load_n(&R->bar_sense, __ATOMIC_ACQUIRE) == s;
}

static void workers_meet(struct worker *w)
{
	struct runner *R = w->R;
	uint32_t s = w->sense ^= 1;
	/* acq_rel: release what this worker did before the barrier, acquire
	 * what the others did (the last one to arrive sees them all) */
	if (__atomic_add_fetch(&R->bar_count, 1, __ATOMIC_ACQ_REL) == (uint32_t)R->n) {
		__atomic_store_n(&R->bar_count, 0,
				 __ATOMIC_RELAXED); /* ordered by the release below */
		/* release: everything every worker did before arriving (acquired
		 * by the add above) is visible to those who see the new sense */
		__atomic_store_n(&R->bar_sense, s, __ATOMIC_RELEASE);
		/* full fence: the sense is visible before we read sleeping[] */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		for (int i = 0; i < R->n; i++)
			if (i != w->index &&
			    __atomic_load_n(&R->sleeping[i], __ATOMIC_RELAXED)) /* see the fence */
				ipi_send(R->w[i].core, IPI_WAKE);
		return;
	}
	/* Spin first, for a while: sleeping has a cost beyond the wake-up's
	 * latency under QEMU, where the host tends to run a woken vCPU thread
	 * on the waker's CPU (measured: with 2 vCPUs, the two test threads
	 * then took turns for whole tests instead of running together). */
	uint64_t t0 = timer_count(), budget = ns_to_ticks(MEET_SPIN_NS);
	while (!released(R, s))
		if (timer_count() - t0 > budget)
			break;
	for (;;) {
		for (int spin = 0; spin < MEET_SPINS; spin++)
			if (released(R, s))
				return;
		task_yield(); /* let a task queued on this core have it meanwhile */
		__atomic_store_n(&R->sleeping[w->index], 1, __ATOMIC_RELAXED); /* see the fence */
		/* full fence: sleeping = 1 is visible before we read the sense */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		irq_disable(); /* an IPI_WAKE arriving from here on still ends the wfi */
		if (!released(R, s))
			wfi();
		irq_enable();
		__atomic_store_n(&R->sleeping[w->index], 0, __ATOMIC_RELAXED); /* only a hint */
	}
}

static void plan_run(struct runner *R, unsigned k, struct plan *pl)
{
	uint64_t st = mix(R->seed ^ mix(k));
	const struct litmus_params *p = &R->p;
	int nlocs = R->t->nlocs;
	for (int i = 0; i < R->n; i++)
		pl->role[i] = i;
	if (p->random_aff)
		shuffle_ints(&st, pl->role, R->n);
	pl->place = p->place;
	if (pl->place == LITMUS_PLACE_RANDOM)
		pl->place = 1 + (int)below(&st, LITMUS_PLACE_NMODES - 1);
	for (int l = 0; l < nlocs; l++)
		pl->slot[l] = l;
	shuffle_ints(&st, pl->slot, nlocs);
	pl->mul = 1;
	pl->add = 0;
	if (p->shuffle && R->s > 1) {
		do
			pl->mul = 1 + below(&st, R->s - 1);
		while (gcd(pl->mul, R->s) != 1);
		pl->add = below(&st, R->s);
	}
	/* The layouts (run.h), each within R->cells_bytes = nlocs pages-rounded
	 * runs of s x 64 bytes. */
	pl->d = (struct dataset *)&R->set[k % NSETS];
	uint64_t base = (uint64_t)(uintptr_t)pl->d->cells;
	uint64_t array = ALIGN_UP((uint64_t)R->s * 8, 64),
		 page = ALIGN_UP((uint64_t)R->s * 64, PAGE_SIZE);
	for (int l = 0; l < nlocs; l++) {
		uint64_t slot = (uint64_t)pl->slot[l];
		switch (pl->place) {
		case LITMUS_PLACE_ARRAY: /* x[c], y[c]: arrays of 8-byte cells */
			pl->lbase[l] = base + slot * array;
			pl->stride = 8;
			break;
		case LITMUS_PLACE_LINE: /* an iteration's cells side by side */
			pl->lbase[l] = base + slot * 8;
			pl->stride = ALIGN_UP((uint64_t)nlocs * 8, 64);
			break;
		case LITMUS_PLACE_LINES: /* a line per cell, an iteration's lines adjacent */
			pl->lbase[l] = base + slot * 64;
			pl->stride = (uint64_t)nlocs * 64;
			break;
		default: /* LITMUS_PLACE_PAGE: a line per cell, each location its own pages */
			pl->lbase[l] = base + slot * page;
			pl->stride = 64;
			break;
		}
	}
	pl->leader0 = (int)below(&st, (uint64_t)R->n);
}

/* The cell iteration i uses, and the next one's (shuffled order). */
static inline uint64_t first_cell(const struct runner *R, const struct plan *pl, unsigned i)
{
	return (pl->mul * i + pl->add) % R->s;
}

static inline uint64_t next_cell(const struct runner *R, const struct plan *pl, uint64_t c)
{
#ifdef LITMUS_BREAK_FRESH_CELLS
	/* Deliberately broken (tests/litmus_stage.py's mutants): every
	 * iteration of a run reuses the cells of the first, never reset. */
	return c;
#endif
	c += pl->mul;
	return c >= R->s ? c - R->s : c;
}

static inline uint64_t cell_addr(const struct plan *pl, int l, uint64_t c)
{
	return pl->lbase[l] + c * pl->stride;
}

static inline uint64_t initial_value(const struct runner *R, const struct plan *pl, int l,
				     uint64_t c)
{
	int to = R->init_loc[l];
	return to >= 0 ? cell_addr(pl, to, c) : R->init_num[l];
}

/* This worker's share of the iterations: [lo, hi). */
static void share(const struct worker *w, unsigned *lo, unsigned *hi)
{
	const struct runner *R = w->R;
	*lo = (unsigned)((uint64_t)R->s * (unsigned)w->index / (unsigned)R->n);
	*hi = (unsigned)((uint64_t)R->s * (unsigned)(w->index + 1) / (unsigned)R->n);
}

/* Step 2: this worker's thread's rows, and its share of cells and go words. */
static void prepare(struct worker *w, const struct plan *pl, uint64_t *st)
{
	struct runner *R = w->R;
	int th = pl->role[w->index];
	const struct litmus_layout *lay = &R->lay[th];
	uint64_t *row = pl->d->rows[th], *go = pl->d->go;
	int sync = R->p.sync;
	unsigned skew = R->p.skew, lead_th = (unsigned)pl->leader0, meet = R->p.meet;
	uint64_t c = first_cell(R, pl, 0);
	for (unsigned i = 0; i < R->s; i++, row += lay->words, c = next_cell(R, pl, c)) {
		if (sync == LITMUS_SYNC_NONE && meet) {
			row[ROW_SYNC] = i % meet ? 0 : (uint64_t)(uintptr_t)&go[i];
			row[ROW_LEAD] = (uint64_t)R->n | (uint64_t)w->patience << 32;
			row[ROW_SKEW] = i % meet ? 0 : below(st, skew + 1);
		} else if (sync != LITMUS_SYNC_NONE) {
			bool lead = lead_th == (unsigned)th;
			row[ROW_SYNC] = (uint64_t)(uintptr_t)&go[i];
			row[ROW_LEAD] = !lead ? 0 : sync == LITMUS_SYNC_USER ? 1 : R->lead_ticks;
			row[ROW_SKEW] = sync == LITMUS_SYNC_TIMEBASE ? below(st, skew + 1) : 0;
			lead_th = lead_th + 1 == (unsigned)R->n ? 0 : lead_th + 1;
		}
		for (int a = 0; a < lay->naddr; a++)
			row[ROW_ADDR + a] = cell_addr(pl, lay->addr_loc[a], c);
	}
	unsigned lo, hi;
	share(w, &lo, &hi);
	c = first_cell(R, pl, lo);
	for (unsigned i = lo; i < hi; i++, c = next_cell(R, pl, c)) {
		for (int l = 0; l < R->t->nlocs; l++)
			*(volatile uint64_t *)(uintptr_t)cell_addr(pl, l, c) =
			    initial_value(R, pl, l, c);
		go[i] = 0;
	}
}

/* Step 4: cache preconditioning (volatile reads). */
static void preload(struct worker *w, const struct plan *pl, uint64_t *st)
{
	struct runner *R = w->R;
	int mode = R->p.preload, th = pl->role[w->index];
	if (mode == LITMUS_PRELOAD_NONE)
		return;
	const struct litmus_layout *lay = &R->lay[th];
	const uint64_t *row = pl->d->rows[th];
	uint64_t sum = 0, c = first_cell(R, pl, 0);
	for (unsigned i = 0; i < R->s; i++, row += lay->words, c = next_cell(R, pl, c)) {
		if (mode == LITMUS_PRELOAD_OWN) {
			for (int a = 0; a < lay->naddr; a++)
				sum += *(volatile uint64_t *)(uintptr_t)row[ROW_ADDR + a];
			continue;
		}
		for (int l = 0; l < R->t->nlocs; l++)
			if (mode == LITMUS_PRELOAD_ALL || (rnd(st) & 1))
				sum += *(volatile uint64_t *)(uintptr_t)cell_addr(pl, l, c);
	}
	__asm__ volatile("" ::"r"(sum)); /* the reads are the point: keep them */
}

/* Step 7: this worker's share of the iterations into its histogram. */
static void count(struct worker *w, const struct plan *pl)
{
	struct runner *R = w->R;
	const struct litmus_test *t = R->t;
	int nobs = t->nobserved, nlocs = t->nlocs;
	unsigned lo, hi;
	share(w, &lo, &hi);
	/* Where each observed value is, for this run: a register in its
	 * thread's rows (src, advancing by step words), or a location's cell. */
	const uint64_t *src[LITMUS_MAX_OBSERVED];
	size_t step[LITMUS_MAX_OBSERVED];
	int loc[LITMUS_MAX_OBSERVED];
	for (int k = 0; k < nobs; k++) {
		const struct litmus_place *p = &t->observed[k];
		loc[k] = p->kind == LITMUS_PLACE_REG ? -1 : p->loc;
		if (loc[k] < 0) {
			int th = R->obs_thread[k];
			step[k] = (size_t)R->lay[th].words;
			src[k] = pl->d->rows[th] + (size_t)lo * step[k] + (unsigned)R->obs_word[k];
		}
	}
	uint64_t lo_addr = (uint64_t)(uintptr_t)pl->d->cells;
	uint64_t v[LITMUS_MAX_OBSERVED];
	uint64_t c = first_cell(R, pl, lo);
	for (unsigned i = lo; i < hi; i++, c = next_cell(R, pl, c)) {
		uint32_t mask = 0;
		for (int k = 0; k < nobs; k++) {
			uint64_t x;
			if (loc[k] < 0) {
				x = *src[k];
				src[k] += step[k];
			} else {
				x = *(volatile uint64_t *)(uintptr_t)cell_addr(pl, loc[k], c);
			}
			if (R->obs_32[k])
				x = (uint32_t)x;
			/* A cell's address stands for its location's name. */
			if (x - lo_addr < R->cells_bytes)
				for (int l = 0; l < nlocs; l++)
					if (x == cell_addr(pl, l, c)) {
						x = (uint64_t)l;
						mask |= 1u << k;
						break;
					}
			v[k] = x;
		}
		hist_add(w->hist, v, mask, 1);
	}
}

/*
 * After a run with -sync meetings: how they went, from what the code wrote
 * back into each meeting row's ROW_LEAD (the rounds of patience left; 0: it
 * gave up).  A meeting is slow when it needed more than its first round
 * (LITMUS_SPIN_WINDOW spins): the other threads were not running at the same
 * time.  With three or more threads, more than half of the meetings slow
 * means more busy vCPUs than host CPUs (QEMU on a small host), where no
 * amount of waiting puts them in step: this worker stops waiting for
 * ADAPT_OFF_RUNS runs, then tries again (and after each failed try, waits
 * twice as many runs, up to ADAPT_OFF_MAX).  Two threads keep waiting unless
 * nine meetings in ten are given up: a busy host delays their meetings,
 * but waiting is still what shows a store buffer's outcomes there.  Each
 * worker decides for itself: a thread that does not wait still counts
 * itself in, so the others' meetings complete when it passes.
 */
#define ADAPT_OFF_RUNS 16
#define ADAPT_OFF_MAX  1024

static void adapt_patience(struct worker *w, const uint64_t *row, int words)
{
	struct runner *R = w->R;
	unsigned patience = w->patience;
	if (patience == 0) {
		if (w->off_runs && --w->off_runs == 0)
			w->patience = R->p.patience;
		return;
	}
	uint64_t meetings = 0, slow = 0, gave_up = 0;
	for (unsigned i = 0; i < R->s; i += R->p.meet) {
		uint64_t left = row[(size_t)i * (unsigned)words + ROW_LEAD];
		meetings++;
		slow += left < patience;
		gave_up += left == 0;
	}
	w->meetings += meetings;
	w->gave_up += gave_up;
	if (R->n >= 3 ? slow * 2 > meetings : gave_up * 10 > meetings * 9) {
		w->patience = 0;
		w->off_runs = w->backoff;
		if (w->backoff < ADAPT_OFF_MAX)
			w->backoff *= 2; /* failed again: try again later still */
	} else {
		w->backoff = ADAPT_OFF_RUNS;
	}
}

/* Step 5. */
static void run_code(struct worker *w, const struct plan *pl)
{
	struct runner *R = w->R;
	int th = pl->role[w->index];
	uint8_t *code = R->code + (size_t)th * CODE_BYTES;
	int (*fn)(uint64_t *) = (int (*)(uint64_t *))(uintptr_t)code;
	uint64_t far, elr;
	fault_expect_resume((uint64_t)(uintptr_t)(code + (size_t)R->map[th].fault_at * 4));
	uint64_t flags = irq_save();
	uint64_t t0 = timer_count();
	int rc = fn(pl->d->rows[th]);
	uint64_t dt = timer_count() - t0;
	irq_restore(flags);
	uint64_t esr = fault_expect_end(&far, &elr);
	w->run_ticks += dt;
	if (dt > w->max_ticks)
		w->max_ticks = dt;
	if (R->p.sync == LITMUS_SYNC_NONE && R->p.meet)
		adapt_patience(w, pl->d->rows[th], R->lay[th].words);
	if (rc != 0 || esr != 0) {
		/* Nobody may wait for this thread any longer: every go word set
		 * (a start time of 1 is long past for timebase; a meeting
		 * counter far above the thread count lets everyone through). */
		uint64_t pass = R->p.sync == LITMUS_SYNC_NONE ? 1ULL << 62 : 1;
		for (unsigned i = 0; i < R->s; i++)
			__atomic_store_n(&pl->d->go[i], pass,
					 __ATOMIC_RELAXED); /* read by plain polling */
		R->fault_thread = th;
		R->fault_esr = esr;
		R->fault_far = far;
		R->fault_elr = elr;
		__atomic_store_n(&R->abort, 1, __ATOMIC_RELAXED); /* published by barrier B2 */
	}
}

static void note(const char *what)
{
	this_cpu()->doing = what; /* for the stop-the-world watchdog's reports */
}

/*
 * A worker: its batch of runs [first_run, end_run), meeting the others once
 * per run.  Three data sets in turn make one meeting enough: between two
 * meetings a worker runs run k (set k % 3), counts run k - 1 (set
 * (k - 1) % 3: every thread finished it before the meeting) and prepares
 * run k + 1 (set (k + 1) % 3, whose run k - 2 every worker counted before
 * the meeting), and no two of those touch the same set.
 */
static int64_t worker_main(void *arg)
{
	struct worker *w = arg;
	struct runner *R = w->R;
	/* Wait until every worker exists (acquire: pairs with run_batch's
	 * release), so that the barriers count the right number of them. */
	int go;
	while ((go = __atomic_load_n(&R->start, __ATOMIC_ACQUIRE)) == 0)
		task_yield();
	if (go != 1)
		return 0;
	/* This core may have fetched stale instructions before the code was
	 * written: a context synchronisation event before running it. */
	isb();
	uint64_t st = mix(R->seed ^ mix(0x5eed0000ULL + (uint64_t)w->index));
	unsigned first = R->first_run, end = R->end_run;
	struct plan now, prev, next;
	plan_run(R, first, &now);
	note("litmus: prepare");
	prepare(w, &now, &st);
	preload(w, &now, &st);
	workers_meet(w);
	for (unsigned k = first; k < end; k++) {
		note("litmus: test code");
		run_code(w, &now);
		if (k > first) {
			note("litmus: count");
			count(w, &prev);
		}
		if (k + 1 < end) {
			note("litmus: prepare");
			plan_run(R, k + 1, &next);
			prepare(w, &next, &st);
			preload(w, &next, &st);
		}
		workers_meet(w);
		if (__atomic_load_n(&R->abort, __ATOMIC_RELAXED)) /* ordered by the meeting */
			break;
		if (k + 1 < end) {
			prev = now;
			now = next;
		} else {
			note("litmus: count");
			count(w, &now);
		}
	}
	note("litmus: done");
	return 0;
}

/* ---------------------------------------------------------------- set-up */

static void set_err(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(err, len, fmt, ap);
	va_end(ap);
}

void litmus_default_params(struct litmus_params *p, bool qemu)
{
	memset(p, 0, sizeof *p);
	p->size = 1000;
	p->runs = qemu ? 200 : 1000;
	/* Under QEMU the vCPUs drift apart: meeting every few iterations keeps
	 * them in step (measured, see docs/litmus.md); on hardware litmus7's
	 * per-iteration barrier. */
	p->sync = qemu ? LITMUS_SYNC_NONE : LITMUS_SYNC_USER;
	p->meet = qemu ? 4 : 0;
	p->random_aff = true;
	p->place = LITMUS_PLACE_RANDOM;
	p->shuffle = true;
	p->preload = LITMUS_PRELOAD_NONE;
	p->skew = 8;
	p->patience = 64;
	p->model = true;
}

/* ID_AA64ISAR0_EL1.Atomic (bits 23:20): 2 = FEAT_LSE.
 * ID_AA64ISAR1_EL1.LRCPC (bits 23:20): 1 = FEAT_LRCPC (LDAPR). */
#define ISAR_FIELD(v) (((v) >> 20) & 0xf)

int litmus_check_cpu(const struct litmus_test *t, char *err, size_t errlen)
{
	uint64_t isar0 = read_sysreg(id_aa64isar0_el1), isar1 = read_sysreg(id_aa64isar1_el1);
	for (int th = 0; th < t->nthreads; th++)
		for (int i = 0; i < t->thread[th].ninsns; i++) {
			const struct litmus_insn *in = &t->thread[th].insn[i];
			unsigned f = litmus_op_flags(in->op);
			if ((f & LITMUS_F_LSE) && ISAR_FIELD(isar0) < 2) {
				set_err(
				    err, errlen,
				    "this CPU has no LSE atomics (ID_AA64ISAR0_EL1.Atomic = %llu): "
				    "%s at line %d, column %d needs FEAT_LSE",
				    (unsigned long long)ISAR_FIELD(isar0), litmus_op_name(in->op),
				    in->line, in->col);
				return -1;
			}
			if ((f & LITMUS_F_RCPC) && ISAR_FIELD(isar1) < 1) {
				set_err(err, errlen,
					"this CPU has no LDAPR (ID_AA64ISAR1_EL1.LRCPC = 0): %s at "
					"line "
					"%d, column %d needs FEAT_LRCPC (Armv8.3)",
					litmus_op_name(in->op), in->line, in->col);
				return -1;
			}
		}
	return 0;
}

static void free_runner(struct runner *R)
{
	if (R->code)
		page_free((uint64_t)(uintptr_t)R->code, R->code_bytes);
	for (int k = 0; k < NSETS; k++) {
		struct dataset *d = &R->set[k];
		for (int i = 0; i < LITMUS_MAX_THREADS; i++)
			if (d->rows[i])
				page_free((uint64_t)(uintptr_t)d->rows[i], R->rows_bytes[i]);
		if (d->cells)
			page_free((uint64_t)(uintptr_t)d->cells, R->cells_bytes);
		if (d->go)
			page_free((uint64_t)(uintptr_t)d->go, R->go_bytes);
	}
	for (int i = 0; i < LITMUS_MAX_THREADS; i++)
		if (R->w[i].hist) {
			free(R->w[i].hist->vals);
			free(R->w[i].hist);
		}
	memset(R, 0, sizeof *R);
}

static void *alloc_pages(uint64_t *bytes)
{
	*bytes = ALIGN_UP(*bytes, PAGE_SIZE);
	return (void *)(uintptr_t)page_alloc(*bytes, PAGE_SIZE);
}

/* The code generator's synchronisation for these parameters. */
static int gen_mode(const struct litmus_params *p)
{
	return p->sync == LITMUS_SYNC_NONE && p->meet ? LITMUS_SYNC_MEET : p->sync;
}

static int setup(struct runner *R, char *err, size_t errlen)
{
	const struct litmus_test *t = R->t;
	struct litmus_error e;

	R->code_bytes = (uint64_t)R->n * CODE_BYTES;
	R->code = alloc_pages(&R->code_bytes);
	R->cells_bytes =
	    (uint64_t)(t->nlocs ? t->nlocs : 1) * ALIGN_UP((uint64_t)R->s * 64, PAGE_SIZE);
	R->go_bytes = (uint64_t)R->s * 8;
	bool ok = R->code;
	for (int th = 0; th < R->n; th++) {
		litmus_layout(t, th, &R->lay[th]);
		R->rows_bytes[th] = (uint64_t)R->s * (uint64_t)R->lay[th].words * 8;
	}
	for (int k = 0; k < NSETS; k++) {
		struct dataset *d = &R->set[k];
		uint64_t bytes = R->cells_bytes;
		d->cells = alloc_pages(&bytes);
		bytes = R->go_bytes;
		d->go = alloc_pages(&bytes);
		ok = ok && d->cells && d->go;
		for (int th = 0; th < R->n; th++) {
			bytes = R->rows_bytes[th];
			d->rows[th] = alloc_pages(&bytes);
			ok = ok && d->rows[th];
		}
	}
	R->cells_bytes = ALIGN_UP(R->cells_bytes, PAGE_SIZE);
	R->go_bytes = ALIGN_UP(R->go_bytes, PAGE_SIZE);
	for (int th = 0; th < R->n; th++)
		R->rows_bytes[th] = ALIGN_UP(R->rows_bytes[th], PAGE_SIZE);
	for (int th = 0; th < R->n; th++) {
		R->w[th].hist = calloc(1, sizeof(struct hist));
		if (R->w[th].hist) {
			R->w[th].hist->nobs = t->nobserved;
			R->w[th].hist->vals = malloc((size_t)LITMUS_MAX_STATES *
						     (size_t)(t->nobserved ? t->nobserved : 1) * 8);
		}
		ok = ok && R->w[th].hist && R->w[th].hist->vals;
	}
	if (!ok) {
		set_err(err, errlen,
			"not enough memory for -s %u (%d locations, %d threads): %d x %llu KiB of "
			"cells; try a smaller -s",
			R->s, t->nlocs, R->n, NSETS, (unsigned long long)(R->cells_bytes >> 10));
		return -1;
	}
	for (int th = 0; th < R->n; th++) {
		uint32_t *code = (uint32_t *)(R->code + (size_t)th * CODE_BYTES);
		if (litmus_gen(t, th, gen_mode(&R->p), &R->lay[th], code, CODE_BYTES / 4,
			       &R->map[th], &e) < 0) {
			if (e.line)
				set_err(err, errlen, "P%d: line %d, column %d: %s", th, e.line,
					e.col, e.msg);
			else
				set_err(err, errlen, "P%d: %s", th, e.msg);
			return -1;
		}
	}
	icache_sync(R->code, R->code_bytes); /* fresh code: see kernel/arch/patch.c */

	for (int k = 0; k < t->nobserved; k++) {
		const struct litmus_place *p = &t->observed[k];
		R->obs_32[k] = p->kind == LITMUS_PLACE_LOC && litmus_loc_width(t, p->loc) == 32;
		if (p->kind != LITMUS_PLACE_REG)
			continue;
		const struct litmus_layout *lay = &R->lay[p->thread];
		R->obs_thread[k] = p->thread;
		for (int j = 0; j < lay->nobs; j++)
			if (lay->obs_reg[j] == p->reg)
				R->obs_word[k] = ROW_OBS(lay, j);
	}
	R->lead_ticks = timer_freq() / 500000 + 1; /* 2 us: time for the go word to travel */
	for (int l = 0; l < t->nlocs; l++) {
		const struct litmus_location *loc = &t->loc[l];
		R->init_loc[l] = loc->init.kind == LITMUS_VAL_ADDR ? loc->init.loc : -1;
		R->init_num[l] = litmus_loc_width(t, l) == 32 ? (uint32_t)loc->init.num
							      : (uint64_t)loc->init.num;
	}
	/* What to do after each iteration never changes: written once. */
	for (int k = 0; k < NSETS; k++)
		for (int th = 0; th < R->n; th++)
			for (unsigned i = 0; i < R->s; i++)
				R->set[k]
				    .rows[th][(size_t)i * (unsigned)R->lay[th].words + ROW_CTL] =
				    i == R->s - 1			   ? LITMUS_CTL_LAST
				    : i % WINDOW_EVERY == WINDOW_EVERY - 1 ? LITMUS_CTL_WINDOW
									   : 0;
	return 0;
}

/* The cores a run may use; returns how many, in order, into list. */
static int usable_cores(uint64_t allowed, int *list)
{
	int n = 0;
	for_each_online_cpu(c)
	{
		if (allowed && !(allowed & (1ULL << c->id)))
			continue;
		list[n++] = c->id;
	}
	return n;
}

int litmus_cores_usable(const struct litmus_params *p)
{
	int list[MAX_CPUS];
	return usable_cores(p->cores, list);
}

/* Run workers on cores[] for runs [first, end). */
static int run_batch(struct runner *R, const int *cores, unsigned first, unsigned end, char *err,
		     size_t errlen)
{
	struct task *tasks[LITMUS_MAX_THREADS];
	R->first_run = first;
	R->end_run = end;
	R->bar_count = 0;
	R->bar_sense = 0;
	for (int i = 0; i < R->n; i++) {
		struct worker *w = &R->w[i];
		w->R = R;
		w->index = i;
		w->core = cores[i];
		w->sense = 0;
	}
	R->start = 0;
	int made = 0;
	for (int i = 0; i < R->n; i++) {
		tasks[i] =
		    task_create_on(cores[i], true, "litmus", worker_main, &R->w[i], STACK_BYTES);
		if (!tasks[i])
			break;
		made++;
	}
	/* release: the workers see the code, the layouts and the plan inputs
	 * written before; 2 sends the ones made home when some are missing */
	__atomic_store_n(&R->start, made == R->n ? 1 : 2, __ATOMIC_RELEASE);
	for (int i = 0; i < made; i++)
		task_join(tasks[i]);
	if (made < R->n) {
		set_err(err, errlen, "cannot start %d worker tasks (out of task stacks or memory)",
			R->n);
		return -1;
	}
	return 0;
}

static int cmp_state(const void *a, const void *b, int n)
{
	const struct litmus_state *x = a, *y = b;
	for (int k = 0; k < n; k++) {
		bool ax = x->addr_mask & (1u << k), ay = y->addr_mask & (1u << k);
		if (ax != ay)
			return ax ? 1 : -1; /* numbers before addresses */
		int64_t vx = (int64_t)x->v[k], vy = (int64_t)y->v[k];
		if (vx != vy)
			return vx < vy ? -1 : 1;
	}
	return 0;
}

/* Insertion sort: at most a few hundred states. */
static void sort_states(struct litmus_result *r, int nobs)
{
	for (int i = 1; i < r->nstates; i++) {
		struct litmus_state s = r->state[i];
		int j = i;
		for (; j > 0 && cmp_state(&r->state[j - 1], &s, nobs) > 0; j--)
			r->state[j] = r->state[j - 1];
		r->state[j] = s;
	}
}

static int merge(struct runner *R, struct litmus_result *r, char *err, size_t errlen)
{
	int nobs = R->t->nobserved;
	struct hist *all = calloc(1, sizeof *all);
	if (!all ||
	    !(all->vals = malloc((size_t)LITMUS_MAX_STATES * (size_t)(nobs ? nobs : 1) * 8))) {
		free(all);
		set_err(err, errlen, "not enough memory for the histogram");
		return -1;
	}
	all->nobs = nobs;
	for (int i = 0; i < R->n; i++) {
		struct hist *h = R->w[i].hist;
		for (int e = 0; e < h->n; e++)
			hist_add(all, &h->vals[(size_t)e * nobs], h->mask[e], h->count[e]);
		all->lost += h->lost;
	}
	r->values = all->vals;
	r->nstates = all->n;
	r->lost = all->lost;
	for (int e = 0; e < all->n; e++) {
		r->state[e].count = all->count[e];
		r->state[e].addr_mask = all->mask[e];
		r->state[e].v = &all->vals[(size_t)e * nobs];
	}
	free(all);
	sort_states(r, nobs);
	return 0;
}

static void describe_fault(struct runner *R, char *err, size_t errlen)
{
	const struct litmus_test *t = R->t;
	int th = R->fault_thread;
	uint64_t code = (uint64_t)(uintptr_t)(R->code + (size_t)th * CODE_BYTES);
	char what[96] = "its harness code";
	const struct litmus_gen_map *m = &R->map[th];
	if (R->fault_elr >= code) {
		int64_t word = (int64_t)(R->fault_elr - code) / 4 - m->body_at;
		for (int i = 0; i < t->thread[th].ninsns; i++)
			if (word >= m->word_of[i] && word < m->word_of[i + 1]) {
				char insn[64];
				litmus_format_insn(&t->thread[th], &t->thread[th].insn[i], insn,
						   sizeof insn);
				ksnprintf(what, sizeof what, "'%s' (line %d, column %d)", insn,
					  t->thread[th].insn[i].line, t->thread[th].insn[i].col);
			}
	}
	char esr[100];
	esr_describe(R->fault_esr, esr, sizeof esr);
	set_err(err, errlen,
		"P%d faulted at %s: %s, address %#llx is no location of the test; the test was "
		"abandoned",
		th, what, esr, (unsigned long long)R->fault_far);
}

int litmus_run(const struct litmus_test *t, const struct litmus_params *p, struct litmus_result *r,
	       char *err, size_t errlen)
{
	int cores[MAX_CPUS];
	memset(r, 0, sizeof *r);
	if (t->nthreads < 1) {
		set_err(err, errlen, "the test has no thread");
		return -1;
	}
	int ncores = usable_cores(p->cores, cores);
	if (t->nthreads > ncores) {
		set_err(err, errlen,
			"the test needs %d cores, one per thread, and %d %s available%s",
			t->nthreads, ncores, ncores == 1 ? "is" : "are",
			p->cores ? " among the cores -p allows" : "");
		return -1;
	}
	if (p->size < 1 || p->size > MAX_SIZE || p->runs < 1) {
		set_err(err, errlen, "-s must be 1 to %d and -r at least 1 (got -s %u -r %u)",
			MAX_SIZE, p->size, p->runs);
		return -1;
	}
	if (litmus_check_cpu(t, err, errlen) < 0)
		return -1;
	if (__atomic_exchange_n(&runner_busy, 1,
				__ATOMIC_ACQUIRE)) { /* pairs with the release below */
		set_err(err, errlen, "another litmus test is running");
		return -1;
	}

	struct runner *R = &runner;
	memset(R, 0, sizeof *R);
	R->t = t;
	R->p = *p;
	R->n = t->nthreads;
	R->s = p->size;
	R->seed = p->seed ? p->seed : mix(timer_count());
	r->seed = R->seed;
	int rc = setup(R, err, errlen);
	for (int i = 0; i < R->n; i++) { /* kept across batches: see adapt_patience */
		R->w[i].patience = p->patience;
		R->w[i].backoff = ADAPT_OFF_RUNS;
	}
	uint64_t start = timer_count();
	uint64_t st = mix(R->seed ^ 0xc0e5ULL);
	int chosen[LITMUS_MAX_THREADS];
	for (unsigned k = 0; rc == 0 && k < p->runs;) {
		/* The set of cores: a new random one every EPOCH_RUNS runs when
		 * there are more cores than threads (+ra), else the first ones. */
		unsigned end = p->runs;
		if (p->random_aff && ncores > R->n) {
			shuffle_ints(&st, cores, ncores);
			end = k + EPOCH_RUNS < p->runs ? k + EPOCH_RUNS : p->runs;
		}
		for (int i = 0; i < R->n; i++)
			chosen[i] = cores[i];
		if (k == 0) {
			r->ncores = R->n;
			memcpy(r->cores, chosen, sizeof chosen);
		}
		trace_event(TR_LITMUS_BEGIN, k, end, 0);
		rc = run_batch(R, chosen, k, end, err, errlen);
		trace_event(TR_LITMUS_END, k, end, 0);
		if (rc == 0 && R->abort) {
			describe_fault(R, err, errlen);
			rc = -1;
		}
		k = end;
	}
	r->ticks = timer_count() - start;
	r->iterations = (uint64_t)p->size * p->runs;
	for (int i = 0; i < R->n; i++) {
		if (R->w[i].run_ticks > r->run_ticks)
			r->run_ticks = R->w[i].run_ticks;
		if (R->w[i].max_ticks > r->max_batch_ticks)
			r->max_batch_ticks = R->w[i].max_ticks;
		r->meetings += R->w[i].meetings;
		r->gave_up += R->w[i].gave_up;
	}
	if (rc == 0)
		rc = merge(R, r, err, errlen);
	free_runner(R);
	__atomic_store_n(&runner_busy, 0, __ATOMIC_RELEASE); /* the runner is free again */
	return rc;
}

void litmus_result_free(struct litmus_result *r)
{
	free(r->values);
	r->values = NULL;
	r->nstates = 0;
}

/* ---------------------------------------------------------------- states */

/* A fake address per location, to evaluate conditions on states. */
#define FAKE_ADDR(l) (0xfa4e000000000000ULL + (uint64_t)(l)*64)

bool litmus_state_holds(const struct litmus_test *t, const struct litmus_state *s)
{
	uint64_t v[LITMUS_MAX_OBSERVED], addr[LITMUS_MAX_LOCS];
	for (int l = 0; l < t->nlocs; l++)
		addr[l] = FAKE_ADDR(l);
	for (int k = 0; k < t->nobserved; k++)
		v[k] = s->addr_mask & (1u << k) ? FAKE_ADDR(s->v[k]) : s->v[k];
	return litmus_cond_holds(t, v, addr);
}

bool litmus_state_shown(const struct litmus_test *t, const struct litmus_state *s)
{
	bool holds = litmus_state_holds(t, s);
	return t->cond.quant == LITMUS_FORALL ? !holds : holds;
}

/* ---------------------------------------------------------------- listings */

void litmus_print_code(const struct litmus_test *t, const struct litmus_params *p)
{
	int sync = gen_mode(p);
	static uint32_t code[LITMUS_GEN_MAX_WORDS];
	struct litmus_gen_map map;
	struct litmus_layout lay;
	struct litmus_error e;
	for (int th = 0; th < t->nthreads; th++) {
		litmus_layout(t, th, &lay);
		kprintf("#START _litmus_P%d\n", th);
		if (litmus_gen(t, th, sync, &lay, code, LITMUS_GEN_MAX_WORDS, &map, &e) < 0) {
			kprintf("\t(cannot encode: %s)\n", e.msg);
			continue;
		}
		const struct litmus_thread *thr = &t->thread[th];
		for (int i = 0; i < thr->ninsns; i++) {
			char insn[64];
			litmus_format_insn(thr, &thr->insn[i], insn, sizeof insn);
			for (int w = map.word_of[i]; w < map.word_of[i + 1]; w++)
				kprintf("\t%08x%s%s\n", code[map.body_at + w],
					w == map.word_of[i] ? "  " : "",
					w == map.word_of[i] ? insn : "");
		}
	}
}
