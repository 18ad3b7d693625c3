/*
 * fdt.h — a small, bounds-checked reader for flattened device trees (the DTB
 * that firmware or QEMU hands the kernel in x0).
 *
 * Portable C with no kernel dependencies, so the host unit tests run it under
 * ASan/UBSan on real and deliberately broken blobs.  Nothing here allocates.
 *
 * A node is named by its offset in the structure block (the offset of its
 * FDT_BEGIN_NODE token); the root node is at offset 0.  Every function that can
 * meet a malformed blob returns a negative FDT_ERR_* instead of reading outside
 * the blob.
 */
#ifndef FDT_H
#define FDT_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define FDT_MAGIC 0xd00dfeedu

enum {
	FDT_ERR_NOTFOUND = -1, /* no such node or property */
	FDT_ERR_BADMAGIC = -2, /* not a device tree at all */
	FDT_ERR_BADVERSION = -3,
	FDT_ERR_TRUNCATED = -4, /* a header field points outside the blob */
	FDT_ERR_BADSTRUCT = -5, /* a bad token, name or property in the structure block */
	FDT_ERR_TOODEEP = -6,
};

struct fdt {
	const uint8_t *blob;
	uint32_t size; /* totalsize from the header */
	const uint8_t *structs; /* structure block */
	uint32_t struct_size;
	const char *strings; /* strings block */
	uint32_t strings_size;
	const uint8_t *rsvmap; /* memory reservation block */
	uint32_t rsvmap_size;
};

/* Check the header and set up *f.  max_size bounds how far the blob may extend
 * (pass the size of the memory it sits in, or SIZE_MAX if unknown). */
int fdt_open(struct fdt *f, const void *blob, size_t max_size);
const char *fdt_strerror(int err);

/* Walk nodes in document order.  *depth is updated (root = 0); returns the next
 * node's offset, or FDT_ERR_NOTFOUND at the end. */
int fdt_next_node(const struct fdt *f, int offset, int *depth);
int fdt_first_child(const struct fdt *f, int parent);
int fdt_next_sibling(const struct fdt *f, int node);
int fdt_parent(const struct fdt *f, int node);
/* "/cpus/cpu@0"; a component without "@unit" also matches a name that has one. */
int fdt_path_offset(const struct fdt *f, const char *path);
/* Find the node whose phandle property equals the value. */
int fdt_node_by_phandle(const struct fdt *f, uint32_t phandle);
const char *fdt_node_name(const struct fdt *f, int node);

/* A property's value and length, or NULL (with *len = error) if absent. */
const void *fdt_getprop(const struct fdt *f, int node, const char *name, int *len);
/* A NUL-terminated string property, or NULL. */
const char *fdt_getprop_string(const struct fdt *f, int node, const char *name);
bool fdt_getprop_u32(const struct fdt *f, int node, const char *name, uint32_t *out);
/* True if the "compatible" string list contains compat. */
bool fdt_is_compatible(const struct fdt *f, int node, const char *compat);
/* The next node (after `from`, -1 to start) with a compatible entry, or error. */
int fdt_find_compatible(const struct fdt *f, int from, const char *compat);

/* #address-cells / #size-cells that apply to a node's "reg" (read from its
 * parent, with the specification's defaults of 2 and 1). */
int fdt_address_cells(const struct fdt *f, int node);
int fdt_size_cells(const struct fdt *f, int node);
/* The index-th (address, size) pair of "reg", translated to a CPU physical
 * address through the "ranges" of every ancestor. */
int fdt_get_reg(const struct fdt *f, int node, int index, uint64_t *addr, uint64_t *size);

/* Entries of the memory reservation block; returns the count read. */
int fdt_get_rsvmap(const struct fdt *f, uint64_t (*out)[2], int max);

static inline uint32_t fdt_be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Read n (1 or 2) big-endian cells as one number. */
uint64_t fdt_read_cells(const void *p, int n);

#endif
