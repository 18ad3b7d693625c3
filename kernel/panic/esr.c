/*
 * esr.c — decoding the Exception Syndrome Register: the exception class and,
 * for aborts, the fault's kind and level, in words for a panic report.
 */
#include "kernel/arch/trap.h"
#include "kernel/drivers/console.h" /* ksnprintf */

static const char *const ec_names[64] = {
    [0x00] = "Unknown reason (undefined instruction)",
    [0x01] = "WFI/WFE trapped",
    [0x07] = "SVE/SIMD/FP access trapped",
    [0x0e] = "Illegal execution state",
    [0x15] = "SVC instruction",
    [0x16] = "HVC instruction",
    [0x17] = "SMC instruction",
    [0x18] = "MSR/MRS/system instruction trapped",
    [0x20] = "Instruction abort from a lower EL",
    [0x21] = "Instruction abort (same EL)",
    [0x22] = "PC alignment fault",
    [0x24] = "Data abort from a lower EL",
    [0x25] = "Data abort (same EL)",
    [0x26] = "SP alignment fault",
    [0x2c] = "Floating-point exception",
    [0x2f] = "SError interrupt",
    [0x30] = "Breakpoint from a lower EL",
    [0x31] = "Breakpoint (same EL)",
    [0x32] = "Software step from a lower EL",
    [0x33] = "Software step (same EL)",
    [0x34] = "Watchpoint from a lower EL",
    [0x35] = "Watchpoint (same EL)",
    [0x3c] = "BRK instruction",
};

const char *esr_class_name(uint64_t esr)
{
	const char *n = ec_names[ESR_EC(esr)];
	return n ? n : "Reserved/unrecognised exception class";
}

/* The fault status code of an abort: its kind and translation level. */
static const char *fault_status(unsigned fsc, int *level)
{
	*level = (int)(fsc & 3);
	switch (fsc & 0x3c) {
	case 0x00:
		return "address size fault";
	case 0x04:
		return "translation fault";
	case 0x08:
		return "access flag fault";
	case 0x0c:
		return "permission fault";
	}
	*level = -1;
	switch (fsc) {
	case 0x10:
		return "synchronous external abort";
	case 0x21:
		return "alignment fault";
	case 0x30:
		return "TLB conflict abort";
	case 0x31:
		return "unsupported atomic hardware update";
	case 0x34:
		return "implementation-defined fault (lockdown)";
	case 0x35:
		return "implementation-defined fault (unsupported exclusive or atomic)";
	default:
		return "unrecognised fault status";
	}
}

void esr_describe(uint64_t esr, char *buf, int len)
{
	unsigned ec = ESR_EC(esr), iss = ESR_ISS(esr);
	int n = ksnprintf(buf, (size_t)len, "EC %#x (%s), ISS %#x", ec, esr_class_name(esr), iss);
	if (n < 0 || n >= len)
		return;
	if (ec == EC_DABT_SAME || ec == 0x24 || ec == EC_IABT_SAME || ec == 0x20) {
		int level;
		const char *what = fault_status(iss & 0x3f, &level);
		n += ksnprintf(buf + n, (size_t)(len - n), ": %s", what);
		if (level >= 0 && n < len)
			n += ksnprintf(buf + n, (size_t)(len - n), ", level %d", level);
		if ((ec == EC_DABT_SAME || ec == 0x24) && n < len)
			n += ksnprintf(buf + n, (size_t)(len - n), ", %s%s",
				       (iss & (1u << 6)) ? "write" : "read",
				       (iss & (1u << 10)) ? ", FAR not valid" : "");
	} else if (ec == EC_BRK64 || ec == 0x15 || ec == 0x16 || ec == 0x17) {
		ksnprintf(buf + n, (size_t)(len - n), ": immediate %#x", iss & 0xffff);
	}
}
