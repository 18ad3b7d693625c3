/*
 * board.c — the parts of the board interface shared by every board.
 */
#include "kernel/boards/board.h"

#include <stddef.h>

const struct irqchip *board_irqchip(const struct boot_info *bi)
{
	if (board.irqchip)
		return board.irqchip(bi);
	if (bi->gic_version == 3)
		return &gicv3_chip;
	if (bi->gic_version == 2)
		return &gicv2_chip;
	return NULL;
}
