/*
 * stw.pml — allstop's stop-the-world handshake (IPI_STOP), for spin.
 *
 * N cores.  Cores 0..NREQ-1 are requesters: each calls stop_the_world() /
 * start_the_world() ROUNDS times from task code and then goes idle (still
 * answering IPIs).  The other cores loop forever between task code
 * (interrupts on), a short critical section with interrupts masked, and idle
 * (wfi, woken by the interrupt).
 *
 * Interleaving granularity: one Promela statement is one instruction that
 * touches shared state.  atomic{} is used only where the kernel has one atomic
 * instruction (the CAS on owner, the fetch-adds on acks) or to glue a ghost
 * update or an interrupt check to the instruction it belongs to.  Memory is
 * sequentially consistent here: the acquire/release annotations of the kernel
 * are what entitle it to that (see README.md).
 *
 * Interrupts: a core with interrupts unmasked takes a pending IPI_STOP before
 * its next instruction (every unmasked step is guarded by !pending[me]).  A
 * masked core (critical section, handler, or the DEAF_WAITER spin) leaves it
 * latched.  See README.md for why a delivery latency of a few instructions
 * adds no protocol states.
 *
 * Switches (spin -D...):
 *   -DDEAF_WAITER  the losing requester spins on owner with interrupts
 *                  MASKED: the broken variant; spin must find the deadlock.
 *   -DN=<3..8> -DROUNDS=<k>  size of the instance.
 */

#ifndef N
#define N 5			/* cores (3..8; the invariant below spells out 8) */
#endif
#ifndef ROUNDS
#define ROUNDS 2		/* stop/start pairs per requester */
#endif
#define NREQ 2			/* requesters: cores 0 and 1 */

#define me _pid			/* requesters are pids 0,1; workers 2..N-1 */

/* ---- shared state of the protocol ---- */
short owner = -1;		/* who is stopping the world, -1 = free */
byte gen;			/* generation of the current stop */
byte acks;			/* cores parked for the current stop */
byte released;			/* last generation released */
bit pending[N];			/* IPI_STOP latched at the core's GIC interface */

/* ---- ghost state: for the properties only, never read by the protocol ---- */
#define TASK	0		/* task code, interrupts on */
#define CRIT	1		/* critical section, interrupts masked */
#define IDLE	2		/* wfi, interrupts on */
#define SPIN	3		/* lost the CAS: waiting for owner == -1 */
#define OWNER	4		/* inside stop_the_world/start_the_world as owner */
#define HANDLER	5		/* inside the IPI_STOP handler */
byte pc[N];			/* what each core is doing */
bit parked[N];			/* between its acks++ and its acks-- */
byte pgen[N];			/* generation it parked for */
bit stopped;			/* owner is between step 4 of stop and step 1 of start */
byte nown;			/* cores that won the CAS and have not yet freed owner */
byte ndone;			/* requesters that finished all their rounds */

/*
 * Taking IPI_STOP and running its handler.  Entering the exception masks
 * interrupts; reading the interrupt acknowledge register clears the latch.
 * On return the core resumes what it was doing (back).
 */
#define IPI_STOP_HANDLER(back)						\
	atomic { pending[me] -> pending[me] = 0; pc[me] = HANDLER };	\
	hg = gen;			/* load-acquire */		\
	atomic { acks++; parked[me] = 1; pgen[me] = hg }; /* fetch-add, release */ \
	released == hg;			/* wait (wfi) until released == g (acquire) */ \
	atomic { acks--; parked[me] = 0; pgen[me] = 0; pc[me] = back; hg = 0 }

/*
 * One instruction S with interrupts unmasked, executed once cond holds (a
 * spin-wait when cond can be false): a pending IPI is taken first.
 */
#define UNMASKED_WHEN(back, cond, S)					\
	do								\
	:: IPI_STOP_HANDLER(back)					\
	:: atomic { !pending[me] && (cond) -> S }; break		\
	od
#define UNMASKED(back, S) UNMASKED_WHEN(back, true, S)

active [NREQ] proctype Requester()
{
	byte hg;		/* the handler's g */
	byte g;			/* stop_the_world's g */
	byte c;			/* loop index for sending the IPIs */
	byte round;

	do
	:: round == ROUNDS -> break
	:: round < ROUNDS ->

		/* ======== stop_the_world() ======== */
try:		/* 1. CAS(owner, -1 -> me), acquire: one instruction */
		do
		:: IPI_STOP_HANDLER(TASK)
		:: atomic { !pending[me] && owner == -1 ->
				owner = me; nown++; pc[me] = OWNER }; break
		:: atomic { !pending[me] && owner != -1 -> pc[me] = SPIN };
#ifdef DEAF_WAITER
			/* BROKEN: spin with interrupts masked; IPIs stay latched */
			owner == -1;
			pc[me] = TASK;		/* unmask, retry */
#else
			/* spin with interrupts on until owner == -1 */
			do
			:: IPI_STOP_HANDLER(SPIN)
			:: atomic { !pending[me] && owner == -1 -> pc[me] = TASK }; break
			od;
#endif
			goto try
		od;

		/* 2. g = gen + 1; acks = 0; gen = g (store-release) */
		UNMASKED(OWNER, g = gen + 1);
		UNMASKED(OWNER, acks = 0);
		UNMASKED(OWNER, gen = g);

		/* 3. IPI_STOP to every other core */
		c = 0;
		do
		:: c == N -> c = 0; break
		:: c == me -> c++
		:: c < N && c != me -> UNMASKED(OWNER, pending[c] = 1; c++)
		od;

		/* 4. wait until acks == N-1 (load-acquire) */
wait_acks:
		UNMASKED_WHEN(OWNER, acks == N - 1, stopped = 1);

		/* 5. the world is stopped: the collector's stop-work runs here */

		/* ======== start_the_world() ======== */
		/* 1. released = gen (store-release); IPI_WAKE the parked cores */
		UNMASKED(OWNER, assert(acks == N - 1); stopped = 0; released = gen);
		/* 2. wait until acks == 0 */
wait_unpark:
		UNMASKED_WHEN(OWNER, acks == 0, skip);
		/* 3. owner = -1 (store-release) */
		UNMASKED(TASK, owner = -1; nown--; pc[me] = TASK; g = 0);
		round++
	od;

	/* done: the core idles and still answers IPIs (woken by any interrupt) */
	atomic { ndone++; pc[me] = IDLE; round = 0 };
end_idle:
	do
	:: IPI_STOP_HANDLER(IDLE)
	od
}

active [N - NREQ] proctype Worker()
{
	byte hg;		/* the handler's g */

	do
	:: IPI_STOP_HANDLER(TASK)		/* task code: interrupts on */
	:: atomic { !pending[me] -> pc[me] = CRIT };	/* mask: critical section */
		pc[me] = TASK			/* unmask */
	:: atomic { !pending[me] -> pc[me] = IDLE };	/* wfi */
end_idle:	IPI_STOP_HANDLER(TASK)		/* woken by the IPI, back to task */
	od
}

/*
 * Invariants, checked in every reachable state: the guard is executable only
 * in a state that breaks one, and then the assertion fails.
 *   world stopped: while the owner is between step 4 of stop and step 1 of
 *     start, every other core is inside its IPI_STOP handler, has acked and
 *     parked for the current generation (so none runs task code).
 *   one owner: at most one core has won the CAS and not yet freed owner.
 */
#define STOPPED_OK(c) \
	((c) >= N || (c) == owner || (pc[c] == HANDLER && parked[c] && pgen[c] == gen))
#define WORLD_STOPPED \
	(!stopped || (owner >= 0 && pc[owner] == OWNER && \
	  STOPPED_OK(0) && STOPPED_OK(1) && STOPPED_OK(2) && STOPPED_OK(3) && \
	  STOPPED_OK(4) && STOPPED_OK(5) && STOPPED_OK(6) && STOPPED_OK(7)))
#define ONE_OWNER (nown <= 1)

active proctype Monitor()
{
end_monitor:
	atomic {
		!(WORLD_STOPPED && ONE_OWNER) ->
		assert(WORLD_STOPPED);
		assert(ONE_OWNER)
	}
}

/* Liveness (pan -a -f -N all_done, weak fairness): both requesters finish. */
ltl all_done { <> (ndone == NREQ) }
