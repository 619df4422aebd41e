/* SPDX-License-Identifier: MIT */
/*
 * A small, strict TOML 1.0 reader for the importers (a Codex config.toml): tables, [dotted."quoted"]
 * table names, arrays of tables, dotted keys, basic and literal strings (also multi-line), booleans,
 * arrays and inline tables. Integers, floats and date-times are checked for their shape and kept as
 * text (nothing here needs their value). Every error names its 1-based line and byte column.
 * Debian packages no C TOML library (only C++, Go, Perl, Python and Ruby ones), hence this one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bw_toml_type {
        BW_TOML_STRING,
        BW_TOML_BOOL,
        BW_TOML_INTEGER,  /* text: as written */
        BW_TOML_FLOAT,    /* text: as written */
        BW_TOML_DATETIME, /* text: as written */
        BW_TOML_ARRAY,
        BW_TOML_TABLE,
};

struct bw_toml_kv;

struct bw_toml_value {
        enum bw_toml_type type;
        uint32_t line, col; /* where the value (or a table's header or first key) starts */
        char *text; /* STRING (decoded, NUL-terminated; may hold no NUL: they are refused), INTEGER, FLOAT, DATETIME */
        size_t len;
        bool boolean;
        struct bw_toml_value **items; /* ARRAY */
        size_t n_items, cap_items;
        struct bw_toml_kv *kv; /* TABLE, in the order the keys were defined */
        size_t n_kv, cap_kv;
        uint8_t origin;       /* TABLE: how it came to be (internal) */
        bool array_of_tables; /* ARRAY made by [[...]] */
};

struct bw_toml_kv {
        char *key;
        struct bw_toml_value *value;
};

struct bw_toml_error {
        uint32_t line, col; /* 1-based; col counts bytes */
        char message[200];
};

#define BW_TOML_MAX_SIZE (4u << 20)
#define BW_TOML_MAX_DEPTH 32

/* Parse text (len bytes). 0 and the root table in *ret, or -EINVAL with the first error in err
 * (-ENOMEM aborts instead: the callers are CLI tools). */
int bw_toml_parse(const char *text, size_t len, struct bw_toml_value **ret, struct bw_toml_error *err);
void bw_toml_free(struct bw_toml_value *v);

/* The value of key in table (NULL when table is not a table or has no such key). */
const struct bw_toml_value *bw_toml_get(const struct bw_toml_value *table, const char *key);
const char *bw_toml_type_name(enum bw_toml_type t);
