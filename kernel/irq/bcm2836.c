/*
 * bcm2836.c — the Raspberry Pi 2/3 "ARM local" interrupt block (BCM2836 and
 * BCM2837), with the BCM2835 interrupt controller behind it for devices.
 *
 * There is no GIC on these chips.  Each core has four 32-bit mailboxes: a
 * write to a core's "set" register raises bits in its mailbox and an
 * interrupt; the core reads the bits and clears them.  allstop uses mailbox 0
 * with one bit per IPI kind, so bit n plays the part of SGI n.  The core's
 * virtual timer arrives as its own source bit (reported as INTID 27, as on a
 * GIC), and peripheral ("GPU") interrupts arrive on core 0 through the
 * BCM2835 controller (GPU interrupt n is reported as INTID 32 + n).
 */
#include "kernel/irq/bcm2836.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"
#include "kernel/irq/irq.h"
#include "kernel/arch/timer.h"

#define LOCAL_GPU_ROUTING   0x0c
#define LOCAL_TIMER_CTL(c)  (0x40 + 4 * (c))
#define LOCAL_MBOX_CTL(c)   (0x50 + 4 * (c))
#define LOCAL_IRQ_SOURCE(c) (0x60 + 4 * (c))
#define LOCAL_MBOX0_SET(c)  (0x80 + 16 * (c))
#define LOCAL_MBOX0_CLR(c)  (0xc0 + 16 * (c))

#define TIMER_CNTVIRQ_IRQ (1u << 3) /* route this core's virtual timer to IRQ */
#define MBOX0_IRQ	  (1u << 0)
#define SRC_CNTV	  (1u << 3)
#define SRC_MBOX0	  (1u << 4)
#define SRC_GPU		  (1u << 8)

/* The BCM2835 controller: 64 GPU interrupts in two banks. */
#define IC_PENDING1 0x04
#define IC_PENDING2 0x08
#define IC_ENABLE1  0x10
#define IC_ENABLE2  0x14

#define BCM_RAW_NONE IRQ_SPURIOUS

static uintptr_t local_base, ic_base;

static int core_of(int cpu)
{
	return (int)(cpus[cpu].mpidr & 0xff); /* the block numbers cores by Aff0 */
}

void bcm2836_configure(uintptr_t local_block, uintptr_t bcm2835_ic)
{
	local_base = local_block;
	ic_base = bcm2835_ic;
}

static int bcm_init(const struct boot_info *bi)
{
	(void)bi;
	if (!local_base)
		return -1; /* the board did not call bcm2836_configure */
	mmio_write32(local_base + LOCAL_GPU_ROUTING, 0); /* device interrupts to core 0 */
	return 0;
}

static void bcm_init_cpu(void)
{
	int core = core_of(cpu_id());
	mmio_write32(local_base + LOCAL_MBOX0_CLR(core), 0xffffffff); /* nothing stale */
	mmio_write32(local_base + LOCAL_MBOX_CTL(core), MBOX0_IRQ);
	mmio_write32(local_base + LOCAL_TIMER_CTL(core), TIMER_CNTVIRQ_IRQ);
}

static void bcm_send_sgi(uint64_t mask, int sgi)
{
	dsb(ishst); /* our earlier stores are visible before the target takes the IPI */
	for (int i = 0; i < ncpus; i++)
		if (mask & (1ULL << i))
			mmio_write32(local_base + LOCAL_MBOX0_SET(core_of(i)), 1u << sgi);
}

static void bcm_send_sgi_others(int sgi)
{
	uint64_t mask = 0;
	for (int i = 0; i < ncpus; i++)
		if (i != cpu_id() && cpu_state(&cpus[i]) == CPU_ONLINE)
			mask |= 1ULL << i;
	bcm_send_sgi(mask, sgi);
}

static uint32_t bcm_ack(void)
{
	int core = core_of(cpu_id());
	uint32_t src = mmio_read32(local_base + LOCAL_IRQ_SOURCE(core));
	if (src & SRC_MBOX0) {
		uint32_t bits = mmio_read32(local_base + LOCAL_MBOX0_CLR(core));
		if (bits) {
			int n = __builtin_ctz(bits);
			/* clear before handling: a new IPI of this kind sets it again */
			mmio_write32(local_base + LOCAL_MBOX0_CLR(core), 1u << n);
			dsb(sy); /* the clear reaches the block before we act on the IPI */
			return (uint32_t)n;
		}
	}
	if (src & SRC_CNTV)
		return TIMER_VIRT_PPI;
	if (src & SRC_GPU) {
		uint32_t p1 =
		    mmio_read32(ic_base + IC_PENDING1) & mmio_read32(ic_base + IC_ENABLE1);
		uint32_t p2 =
		    mmio_read32(ic_base + IC_PENDING2) & mmio_read32(ic_base + IC_ENABLE2);
		if (p1)
			return 32 + (uint32_t)__builtin_ctz(p1);
		if (p2)
			return 64 + (uint32_t)__builtin_ctz(p2);
	}
	return BCM_RAW_NONE;
}

static void bcm_eoi(uint32_t raw)
{
	(void)raw; /* each source was quietened at its origin */
}

static void bcm_enable_spi(int irq)
{
	int n = irq - 32;
	if (n < 0 || n >= 64)
		return;
	mmio_write32(ic_base + (n < 32 ? IC_ENABLE1 : IC_ENABLE2), 1u << (n % 32));
}

const struct irqchip bcm2836_chip = {
    .name = "BCM2836 local",
    .init = bcm_init,
    .init_cpu = bcm_init_cpu,
    .send_sgi = bcm_send_sgi,
    .send_sgi_others = bcm_send_sgi_others,
    .ack = bcm_ack,
    .eoi = bcm_eoi,
    .enable_spi = bcm_enable_spi,
};
