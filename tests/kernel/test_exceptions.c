/*
 * test_exceptions.c — faults are caught and decoded: the exception class, the
 * fault status, the faulting address and the faulting instruction.
 */
#include "tests/kernel/ktest.h"
#include "kernel/arch/fault.h"
#include "kernel/arch/trap.h"

#include <string.h>

#define UNMAPPED 0x7f00000000ULL /* inside the 39-bit space, mapped by nothing */

#define EC(esr)	  (((esr) >> 26) & 0x3f)
#define DFSC(esr) ((esr)&0x3f)
#define WNR(esr)  (((esr) >> 6) & 1)

KTEST(exceptions, data_abort_on_load_is_decoded)
{
	uint64_t far, elr, pc;
	fault_expect_begin();
	__asm__ volatile("adr %0, 1f\n"
			 "1: ldr xzr, [%1]"
			 : "=&r"(pc)
			 : "r"(UNMAPPED)
			 : "memory");
	uint64_t esr = fault_expect_end(&far, &elr);
	KASSERT_EQ(EC(esr), 0x25); /* data abort, same EL */
	KASSERT_EQ(DFSC(esr) & 0x3c, 0x04); /* translation fault */
	KASSERT_EQ(DFSC(esr) & 3, 1); /* at level 1: no 1 GiB entry there */
	KASSERT_EQ(WNR(esr), 0); /* a read */
	KASSERT_EQ(far, UNMAPPED);
	KASSERT_EQ(elr, pc);

	char text[160];
	esr_describe(esr, text, sizeof text);
	KASSERT(strstr(text, "Data abort") != NULL);
	KASSERT(strstr(text, "translation fault, level 1") != NULL);
	KASSERT(strstr(text, "read") != NULL);
}

KTEST(exceptions, data_abort_on_store_says_write)
{
	uint64_t far;
	fault_expect_begin();
	__asm__ volatile("str xzr, [%0]" ::"r"(UNMAPPED + 8) : "memory");
	uint64_t esr = fault_expect_end(&far, NULL);
	KASSERT_EQ(EC(esr), 0x25);
	KASSERT_EQ(WNR(esr), 1);
	KASSERT_EQ(far, UNMAPPED + 8);
}

KTEST(exceptions, undefined_instruction_is_decoded)
{
	uint64_t elr, pc;
	fault_expect_begin();
	__asm__ volatile("adr %0, 1f\n"
			 "1: .inst 0x00000000" /* UDF #0: permanently undefined */
			 : "=&r"(pc)::"memory");
	uint64_t esr = fault_expect_end(NULL, &elr);
	KASSERT_EQ(EC(esr), 0x00);
	KASSERT_EQ(elr, pc);
	KASSERT(strstr(esr_class_name(esr), "undefined instruction") != NULL);
}

KTEST(exceptions, no_fault_records_nothing)
{
	volatile uint64_t x = 42;
	fault_expect_begin();
	x = x + 1;
	KASSERT_EQ(fault_expect_end(NULL, NULL), 0);
	KASSERT_EQ(x, 43);
}

KTEST(exceptions, class_names)
{
	KASSERT(strstr(esr_class_name(0x25ULL << 26), "Data abort") != NULL);
	KASSERT(strstr(esr_class_name(0x21ULL << 26), "Instruction abort") != NULL);
	KASSERT(strstr(esr_class_name(0x3cULL << 26), "BRK") != NULL);
	KASSERT(strstr(esr_class_name(0x26ULL << 26), "SP alignment") != NULL);
}
