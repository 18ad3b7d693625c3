/*
 * fdt.c — the device-tree reader.  See fdt.h.
 *
 * Layout of a flattened device tree (all numbers big-endian):
 *   header | memory reservation block | structure block | strings block
 * The structure block is a stream of 32-bit tokens: BEGIN_NODE (followed by
 * the node's NUL-terminated name, padded to 4 bytes), PROP (length, offset of
 * the name in the strings block, then the value, padded), END_NODE, NOP and END.
 *
 * The reader never trusts a length or an offset: every one is checked against
 * the block it points into before it is used.
 */
#include "fdt.h"

#include <string.h>

enum {
	FDT_BEGIN_NODE = 1,
	FDT_END_NODE = 2,
	FDT_PROP = 3,
	FDT_NOP = 4,
	FDT_END = 9,
};

#define FDT_HEADER_SIZE 40
#define FDT_MAX_DEPTH	32

const char *fdt_strerror(int err)
{
	switch (err) {
	case FDT_ERR_NOTFOUND:
		return "not found";
	case FDT_ERR_BADMAGIC:
		return "bad magic (not a device tree blob)";
	case FDT_ERR_BADVERSION:
		return "unsupported device tree version";
	case FDT_ERR_TRUNCATED:
		return "truncated or inconsistent header";
	case FDT_ERR_BADSTRUCT:
		return "malformed structure block";
	case FDT_ERR_TOODEEP:
		return "nodes nested too deeply";
	default:
		return "unknown error";
	}
}

static inline uint32_t hdr(const uint8_t *blob, int field)
{
	return fdt_be32(blob + 4 * field);
}

int fdt_open(struct fdt *f, const void *blob, size_t max_size)
{
	const uint8_t *b = blob;

	if (!blob || max_size < FDT_HEADER_SIZE)
		return FDT_ERR_TRUNCATED;
	if (hdr(b, 0) != FDT_MAGIC)
		return FDT_ERR_BADMAGIC;

	uint32_t total = hdr(b, 1), off_struct = hdr(b, 2), off_strings = hdr(b, 3);
	uint32_t off_rsv = hdr(b, 4), version = hdr(b, 5), last_comp = hdr(b, 6);
	uint32_t size_strings = hdr(b, 8), size_struct = hdr(b, 9);
	/* size_dt_struct arrived in version 17; in 16 the block runs up to the
	 * strings block (or the end). */
	if (version == 16)
		size_struct =
		    (off_strings > off_struct ? off_strings - off_struct : total - off_struct) &
		    ~3u;

	/* Version 17 is current; 16 lacks nothing we use.  last_comp_version is the
	 * oldest version a reader must understand to read this blob. */
	if (version < 16 || last_comp > 17)
		return FDT_ERR_BADVERSION;
	if (total < FDT_HEADER_SIZE || total > max_size)
		return FDT_ERR_TRUNCATED;
	if (off_struct > total || size_struct > total - off_struct)
		return FDT_ERR_TRUNCATED;
	if (off_strings > total || size_strings > total - off_strings)
		return FDT_ERR_TRUNCATED;
	if (off_rsv < FDT_HEADER_SIZE || off_rsv > total)
		return FDT_ERR_TRUNCATED;
	if ((off_struct & 3) || (size_struct & 3) || (off_rsv & 7) || size_struct < 8)
		return FDT_ERR_BADSTRUCT;

	f->blob = b;
	f->size = total;
	f->structs = b + off_struct;
	f->struct_size = size_struct;
	f->strings = (const char *)b + off_strings;
	f->strings_size = size_strings;
	f->rsvmap = b + off_rsv;
	/* The reservation block runs up to whichever block follows it. */
	uint32_t rsv_end = total;
	if (off_struct >= off_rsv && off_struct < rsv_end)
		rsv_end = off_struct;
	if (off_strings >= off_rsv && off_strings < rsv_end)
		rsv_end = off_strings;
	f->rsvmap_size = rsv_end - off_rsv;

	/* The first token must open the root node. */
	if (fdt_be32(f->structs) != FDT_BEGIN_NODE)
		return FDT_ERR_BADSTRUCT;
	return 0;
}

/* Length of a NUL-terminated string starting at s, if it ends before end. */
static int bounded_strlen(const char *s, const char *end)
{
	const char *p = s;
	while (p < end && *p)
		p++;
	return p < end ? (int)(p - s) : -1;
}

static uint32_t token_at(const struct fdt *f, uint32_t off)
{
	if (off + 4 > f->struct_size)
		return 0; /* 0 is no valid token: callers treat it as malformed */
	return fdt_be32(f->structs + off);
}

/*
 * Given the offset of a token, return the offset of the token after it
 * (skipping a node name or a property value), or a negative error.
 */
static int next_token(const struct fdt *f, uint32_t off, uint32_t *tok)
{
	*tok = token_at(f, off);
	uint32_t p = off + 4;
	switch (*tok) {
	case FDT_BEGIN_NODE: {
		const char *name = (const char *)f->structs + p;
		int len = bounded_strlen(name, (const char *)f->structs + f->struct_size);
		if (len < 0)
			return FDT_ERR_BADSTRUCT;
		p += (uint32_t)len + 1;
		break;
	}
	case FDT_PROP: {
		if (p + 8 > f->struct_size)
			return FDT_ERR_BADSTRUCT;
		uint32_t len = fdt_be32(f->structs + p);
		uint32_t nameoff = fdt_be32(f->structs + p + 4);
		if (len > f->struct_size - p - 8 || nameoff >= f->strings_size)
			return FDT_ERR_BADSTRUCT;
		p += 8 + len;
		break;
	}
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		break;
	default:
		return FDT_ERR_BADSTRUCT;
	}
	p = (p + 3) & ~3u;
	if (p > f->struct_size)
		return FDT_ERR_BADSTRUCT;
	return (int)p;
}

int fdt_next_node(const struct fdt *f, int offset, int *depth)
{
	uint32_t tok;
	int off;

	if (offset < 0)
		return FDT_ERR_NOTFOUND;
	/* Step over the current node's BEGIN_NODE token first. */
	off = next_token(f, (uint32_t)offset, &tok);
	if (off < 0)
		return off;
	if (tok != FDT_BEGIN_NODE)
		return FDT_ERR_BADSTRUCT;

	for (;;) {
		uint32_t here = (uint32_t)off;
		off = next_token(f, here, &tok);
		if (off < 0)
			return off;
		switch (tok) {
		case FDT_BEGIN_NODE:
			if (depth) {
				if (++*depth > FDT_MAX_DEPTH)
					return FDT_ERR_TOODEEP;
			}
			return (int)here;
		case FDT_END_NODE:
			if (depth && --*depth < 0)
				return FDT_ERR_NOTFOUND; /* walked out of the subtree */
			break;
		case FDT_END:
			return FDT_ERR_NOTFOUND;
		default:
			break; /* properties and NOPs */
		}
	}
}

int fdt_first_child(const struct fdt *f, int parent)
{
	int depth = 0;
	int off = fdt_next_node(f, parent, &depth);
	if (off < 0 || depth != 1)
		return off < 0 ? off : FDT_ERR_NOTFOUND;
	return off;
}

int fdt_next_sibling(const struct fdt *f, int node)
{
	/* Count depth from node's parent (1 = node's level): node's own END_NODE
	 * brings it to 0, and only the parent's END_NODE drives it below 0, which
	 * fdt_next_node reports as the end.  Starting at 0 made a leaf's END_NODE
	 * look like the end of the parent, so no node after a leaf was found. */
	int depth = 1;
	int off = node;
	do {
		off = fdt_next_node(f, off, &depth);
		if (off < 0)
			return off;
	} while (depth > 1);
	return depth == 1 ? off : FDT_ERR_NOTFOUND;
}

int fdt_parent(const struct fdt *f, int node)
{
	int stack[FDT_MAX_DEPTH + 2];
	int depth = 0, off = 0;

	if (node == 0)
		return FDT_ERR_NOTFOUND;
	stack[0] = 0;
	for (;;) {
		off = fdt_next_node(f, off, &depth);
		if (off < 0)
			return off;
		if (depth < 1 || depth > FDT_MAX_DEPTH)
			return FDT_ERR_BADSTRUCT;
		stack[depth] = off;
		if (off == node)
			return stack[depth - 1];
	}
}

const char *fdt_node_name(const struct fdt *f, int node)
{
	if (node < 0 || token_at(f, (uint32_t)node) != FDT_BEGIN_NODE)
		return NULL;
	const char *name = (const char *)f->structs + node + 4;
	if (bounded_strlen(name, (const char *)f->structs + f->struct_size) < 0)
		return NULL;
	return name;
}

/* Does node name `name` ("cpu@0") match the path component comp[0..len)? */
static bool name_matches(const char *name, const char *comp, size_t len)
{
	if (strncmp(name, comp, len) != 0)
		return false;
	return name[len] == '\0' || (name[len] == '@' && memchr(comp, '@', len) == NULL);
}

int fdt_path_offset(const struct fdt *f, const char *path)
{
	int node = 0;

	if (!path || path[0] != '/')
		return FDT_ERR_NOTFOUND;
	while (*path) {
		while (*path == '/')
			path++;
		if (!*path)
			break;
		size_t len = strcspn(path, "/");
		int child = fdt_first_child(f, node);
		while (child >= 0) {
			const char *name = fdt_node_name(f, child);
			if (name && name_matches(name, path, len))
				break;
			child = fdt_next_sibling(f, child);
		}
		if (child < 0)
			return child;
		node = child;
		path += len;
	}
	return node;
}

const void *fdt_getprop(const struct fdt *f, int node, const char *name, int *lenp)
{
	uint32_t tok;
	int off;

	if (lenp)
		*lenp = FDT_ERR_NOTFOUND;
	if (node < 0)
		return NULL;
	off = next_token(f, (uint32_t)node, &tok);
	if (off < 0 || tok != FDT_BEGIN_NODE) {
		if (lenp)
			*lenp = FDT_ERR_BADSTRUCT;
		return NULL;
	}
	/* Properties come before subnodes; stop at the first subnode or end. */
	for (;;) {
		uint32_t here = (uint32_t)off;
		off = next_token(f, here, &tok);
		if (off < 0) {
			if (lenp)
				*lenp = off;
			return NULL;
		}
		if (tok == FDT_NOP)
			continue;
		if (tok != FDT_PROP)
			return NULL;
		uint32_t len = fdt_be32(f->structs + here + 4);
		uint32_t nameoff = fdt_be32(f->structs + here + 8);
		const char *pname = f->strings + nameoff;
		int plen = bounded_strlen(pname, f->strings + f->strings_size);
		if (plen < 0) {
			if (lenp)
				*lenp = FDT_ERR_BADSTRUCT;
			return NULL;
		}
		if (strcmp(pname, name) == 0) {
			if (lenp)
				*lenp = (int)len;
			return f->structs + here + 12;
		}
	}
}

const char *fdt_getprop_string(const struct fdt *f, int node, const char *name)
{
	int len;
	const char *s = fdt_getprop(f, node, name, &len);
	if (!s || len < 1 || s[len - 1] != '\0')
		return NULL; /* absent, or not terminated within its value */
	return s;
}

bool fdt_getprop_u32(const struct fdt *f, int node, const char *name, uint32_t *out)
{
	int len;
	const void *p = fdt_getprop(f, node, name, &len);
	if (!p || len != 4)
		return false;
	*out = fdt_be32(p);
	return true;
}

bool fdt_is_compatible(const struct fdt *f, int node, const char *compat)
{
	int len;
	const char *s = fdt_getprop(f, node, "compatible", &len);
	if (!s || len <= 0)
		return false;
	const char *end = s + len;
	while (s < end) {
		int l = bounded_strlen(s, end);
		if (l < 0)
			return false;
		if (strcmp(s, compat) == 0)
			return true;
		s += l + 1;
	}
	return false;
}

int fdt_find_compatible(const struct fdt *f, int from, const char *compat)
{
	int off = from < 0 ? 0 : from;
	if (from < 0 && fdt_is_compatible(f, 0, compat))
		return 0;
	for (;;) {
		off = fdt_next_node(f, off, NULL);
		if (off < 0)
			return off;
		if (fdt_is_compatible(f, off, compat))
			return off;
	}
}

int fdt_node_by_phandle(const struct fdt *f, uint32_t phandle)
{
	int off = 0;
	while (off >= 0) {
		uint32_t v;
		if ((fdt_getprop_u32(f, off, "phandle", &v) ||
		     fdt_getprop_u32(f, off, "linux,phandle", &v)) &&
		    v == phandle)
			return off;
		off = fdt_next_node(f, off, NULL);
	}
	return off;
}

static int cells_of(const struct fdt *f, int node, const char *prop, int dflt)
{
	uint32_t v;
	if (node < 0 || !fdt_getprop_u32(f, node, prop, &v))
		return dflt;
	return v <= 4 ? (int)v : -1;
}

int fdt_address_cells(const struct fdt *f, int node)
{
	return cells_of(f, fdt_parent(f, node), "#address-cells", 2);
}

int fdt_size_cells(const struct fdt *f, int node)
{
	return cells_of(f, fdt_parent(f, node), "#size-cells", 1);
}

uint64_t fdt_read_cells(const void *p, int n)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 32) | fdt_be32(b + 4 * i);
	return v;
}

/*
 * Translate a bus address of a child of `bus` into the parent's address space,
 * using bus's "ranges" (child-addr parent-addr size triples).  An empty ranges
 * is the identity; a missing one means the bus is not memory-mapped.
 */
static int translate_one(const struct fdt *f, int bus, uint64_t *addr)
{
	int len;
	const uint8_t *r = fdt_getprop(f, bus, "ranges", &len);
	if (!r)
		return bus == 0 ? 0 : FDT_ERR_NOTFOUND;
	if (len == 0)
		return 0;
	int child_ac = cells_of(f, bus, "#address-cells", 2);
	int child_sc = cells_of(f, bus, "#size-cells", 1);
	int parent_ac = fdt_address_cells(f, bus);
	if (child_ac < 1 || child_sc < 0 || parent_ac < 1 || child_ac > 3 || parent_ac > 3)
		return FDT_ERR_BADSTRUCT;
	int entry = 4 * (child_ac + parent_ac + child_sc);
	for (int off = 0; off + entry <= len; off += entry) {
		/* Use the low two cells of a three-cell (PCI-style) address. */
		uint64_t cbase =
		    fdt_read_cells(r + off + 4 * (child_ac - (child_ac > 2 ? 2 : child_ac)),
				   child_ac > 2 ? 2 : child_ac);
		uint64_t pbase =
		    fdt_read_cells(r + off + 4 * child_ac + 4 * (parent_ac > 2 ? parent_ac - 2 : 0),
				   parent_ac > 2 ? 2 : parent_ac);
		uint64_t size = fdt_read_cells(r + off + 4 * (child_ac + parent_ac),
					       child_sc > 2 ? 2 : child_sc);
		if (*addr >= cbase && *addr - cbase < size) {
			*addr = *addr - cbase + pbase;
			return 0;
		}
	}
	return FDT_ERR_NOTFOUND;
}

int fdt_get_reg(const struct fdt *f, int node, int index, uint64_t *addr, uint64_t *size)
{
	int len;
	const uint8_t *reg = fdt_getprop(f, node, "reg", &len);
	if (!reg)
		return len;
	int ac = fdt_address_cells(f, node), sc = fdt_size_cells(f, node);
	if (ac < 1 || ac > 2 || sc < 0 || sc > 2)
		return FDT_ERR_BADSTRUCT;
	int entry = 4 * (ac + sc);
	if (index < 0 || (index + 1) * entry > len)
		return FDT_ERR_NOTFOUND;
	*addr = fdt_read_cells(reg + index * entry, ac);
	*size = sc ? fdt_read_cells(reg + index * entry + 4 * ac, sc) : 0;

	/* Walk up: each ancestor bus may map its children's addresses. */
	int bus = fdt_parent(f, node);
	while (bus > 0) {
		int err = translate_one(f, bus, addr);
		if (err)
			return err;
		bus = fdt_parent(f, bus);
	}
	return 0;
}

int fdt_get_rsvmap(const struct fdt *f, uint64_t (*out)[2], int max)
{
	int n = 0;
	for (uint32_t off = 0; off + 16 <= f->rsvmap_size && n < max; off += 16) {
		uint64_t addr = fdt_read_cells(f->rsvmap + off, 2);
		uint64_t size = fdt_read_cells(f->rsvmap + off + 8, 2);
		if (addr == 0 && size == 0)
			break;
		out[n][0] = addr;
		out[n][1] = size;
		n++;
	}
	return n;
}
