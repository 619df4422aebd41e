/* SPDX-License-Identifier: MIT */
/*
 * libyaml, wrapped once: parse a source into a tree of nodes with 1-based byte positions, and
 * enforce what libyaml does not: unique keys, a nesting limit, an alias-expansion budget, one
 * document, no tags, scalar keys, UTF-8 without NUL bytes, a size limit.
 */
#pragma once

#include "diag.h"
#include "source.h"

#define BW_YAML_MAX_BYTES 4194304u /* 4 MiB */
#define BW_YAML_MAX_DEPTH 32
#define BW_YAML_MAX_NODES 200000             /* counting every alias expansion */
#define BW_YAML_MAX_EXPANDED_BYTES 16777216u /* scalar bytes, counting every alias expansion */

enum bw_node_type { BW_NODE_SCALAR, BW_NODE_SEQUENCE, BW_NODE_MAPPING };

struct bw_node {
        enum bw_node_type type;
        struct bw_loc loc; /* start of the node; end_col on the same line when it fits */
        /* scalars */
        char *value;
        size_t len;
        bool plain; /* unquoted: only plain scalars can be integers, booleans or null */
        /* sequences: items[i]; mappings: items[2i] is a key, items[2i+1] its value */
        struct bw_node **items;
        size_t n_items;
        size_t subtree;       /* nodes in this subtree, for the alias budget */
        size_t subtree_bytes; /* scalar bytes in this subtree, likewise */
};

struct bw_yaml_doc {
        struct bw_node *root; /* NULL when parsing failed */
        struct bw_node **all; /* every node, for freeing */
        size_t n_all, cap_all;
};

/* Parse source index src. Problems are added to diags; returns 0 or -EINVAL. */
int bw_yaml_parse(const struct bw_sources *sources, uint32_t src, struct bw_diags *diags, struct bw_yaml_doc *ret);
void bw_yaml_doc_done(struct bw_yaml_doc *doc);

static inline size_t bw_node_pairs(const struct bw_node *n) {
        return n->n_items / 2;
}
/* Plain scalar that YAML 1.2 core schema reads as null (empty, ~, null, Null, NULL). */
bool bw_node_is_null(const struct bw_node *n);
const char *bw_node_type_name(const struct bw_node *n); /* "a mapping", "a list", "a string", "null" */
