/* SPDX-License-Identifier: MIT */
#include "yaml_tree.h"

#include <yaml.h>

struct anchor {
        char *name;
        struct bw_node *node;
};

struct builder {
        const struct bw_source *src;
        uint32_t src_index;
        struct bw_diags *diags;
        struct bw_yaml_doc *doc;
        size_t *line_starts; /* byte offset of each line's start, for column conversion */
        size_t n_lines;
        struct anchor *anchors;
        size_t n_anchors, cap_anchors;
        size_t expanded;       /* nodes, counting alias expansions */
        size_t expanded_bytes; /* scalar bytes, counting alias expansions */
        /* the last column conversion, so a long line is not rescanned from its start each time */
        size_t cache_line, cache_char, cache_byte;
        bool failed;
};

static void index_lines(struct builder *b) {
        size_t n = 1;
        for (size_t i = 0; i < b->src->len; i++)
                if (b->src->text[i] == '\n')
                        n++;
        b->line_starts = malloc(n * sizeof(size_t));
        if (!b->line_starts)
                abort();
        b->line_starts[0] = 0;
        size_t k = 1;
        for (size_t i = 0; i < b->src->len; i++)
                if (b->src->text[i] == '\n')
                        b->line_starts[k++] = i + 1;
        b->n_lines = n;
}

/* libyaml marks count characters from 0; diagnostics want 1-based byte columns. */
static uint32_t byte_col(struct builder *b, size_t line0, size_t char_col) {
        if (line0 >= b->n_lines)
                return (uint32_t) char_col + 1;
        const unsigned char *p = (const unsigned char *) b->src->text + b->line_starts[line0];
        const unsigned char *end = (const unsigned char *) b->src->text + b->src->len;
        size_t bytes = 0, c = 0;
        if (b->cache_line == line0 + 1 && b->cache_char <= char_col) {
                c = b->cache_char;
                bytes = b->cache_byte;
        }
        for (; c < char_col && p + bytes < end && p[bytes] != '\n'; c++) {
                bytes++;
                while (p + bytes < end && (p[bytes] & 0xc0) == 0x80)
                        bytes++;
        }
        b->cache_line = line0 + 1;
        b->cache_char = c;
        b->cache_byte = bytes;
        return (uint32_t) bytes + 1;
}

static struct bw_loc mark_loc(struct builder *b, yaml_mark_t start, yaml_mark_t end) {
        struct bw_loc l = {.source = b->src_index, .line = (uint32_t) start.line + 1};
        l.col = byte_col(b, start.line, start.column);
        l.end_col = end.line == start.line ? byte_col(b, end.line, end.column) : l.col + 1;
        if (l.end_col <= l.col)
                l.end_col = l.col + 1;
        return l;
}

static struct bw_node *new_node(struct builder *b, enum bw_node_type t, struct bw_loc loc) {
        struct bw_yaml_doc *d = b->doc;
        if (d->n_all == d->cap_all) {
                d->cap_all = d->cap_all ? d->cap_all * 2 : 64;
                d->all = realloc(d->all, d->cap_all * sizeof(*d->all));
                if (!d->all)
                        abort();
        }
        struct bw_node *n = calloc(1, sizeof(*n));
        if (!n)
                abort();
        n->type = t;
        n->loc = loc;
        n->subtree = 1;
        d->all[d->n_all++] = n;
        return n;
}

static void add_item(struct bw_node *parent, struct bw_node *child, size_t *cap) {
        if (parent->n_items == *cap) {
                *cap = *cap ? *cap * 2 : 8;
                parent->items = realloc(parent->items, *cap * sizeof(*parent->items));
                if (!parent->items)
                        abort();
        }
        parent->items[parent->n_items++] = child;
        parent->subtree += child->subtree;
        parent->subtree_bytes += child->subtree_bytes;
}

static int budget(struct builder *b, size_t n, size_t bytes, const struct bw_loc *loc) {
        b->expanded += n;
        b->expanded_bytes += bytes;
        if (b->expanded_bytes > BW_YAML_MAX_EXPANDED_BYTES) {
                b->failed = true;
                return bw_error(b->diags, loc, "more than %u bytes of text after alias expansion: an alias bomb?",
                                BW_YAML_MAX_EXPANDED_BYTES);
        }
        if (b->expanded > BW_YAML_MAX_NODES) {
                b->failed = true;
                return bw_error(b->diags, loc,
                                "more than %d nodes after alias expansion: this document is too large or an alias bomb",
                                BW_YAML_MAX_NODES);
        }
        return 0;
}

static void record_anchor(struct builder *b, const yaml_char_t *name, struct bw_node *n) {
        if (!name)
                return;
        /* A later anchor of the same name replaces the earlier one (YAML spec). */
        for (size_t i = 0; i < b->n_anchors; i++)
                if (bw_streq(b->anchors[i].name, (const char *) name)) {
                        b->anchors[i].node = n;
                        return;
                }
        if (b->n_anchors == b->cap_anchors) {
                b->cap_anchors = b->cap_anchors ? b->cap_anchors * 2 : 8;
                b->anchors = realloc(b->anchors, b->cap_anchors * sizeof(*b->anchors));
                if (!b->anchors)
                        abort();
        }
        b->anchors[b->n_anchors].name = strdup((const char *) name);
        if (!b->anchors[b->n_anchors].name)
                abort();
        b->anchors[b->n_anchors++].node = n;
}

static bool keys_equal(const struct bw_node *a, const struct bw_node *k) {
        return a->type == BW_NODE_SCALAR && a->len == k->len && memcmp(a->value, k->value, k->len) == 0;
}

static int parser_error(struct builder *b, yaml_parser_t *p) {
        struct bw_loc l = {.source = b->src_index, .line = (uint32_t) p->problem_mark.line + 1};
        l.col = byte_col(b, p->problem_mark.line, p->problem_mark.column);
        l.end_col = l.col + 1;
        b->failed = true;
        /* The commonest cause: an unquoted ${variable} in a flow list, where '{' starts a mapping. */
        size_t n = 0;
        const char *hint = "";
        if (l.line <= b->n_lines) {
                const char *line = b->src->text + b->line_starts[l.line - 1];
                const char *end = memchr(line, '\n', b->src->len - b->line_starts[l.line - 1]);
                n = end ? (size_t) (end - line) : b->src->len - b->line_starts[l.line - 1];
                if (memmem(line, n, "${", 2) && memchr(line, '[', n))
                        hint = " (quote values that start with ${ inside [...]: [\"${workspace}\"])";
        }
        if (p->context)
                return bw_error(b->diags, &l, "YAML syntax: %s %s%s", p->problem ? p->problem : "error", p->context,
                                hint);
        return bw_error(b->diags, &l, "YAML syntax: %s%s", p->problem ? p->problem : "error", hint);
}

/* A list item indented one space too far is no list item: YAML folds the line into the plain
 * scalar above it ("- a\n   - b" is the one string "a - b"), and the policy silently gets one
 * nonsense path. Warn at the first continuation line that starts with "- ". */
static void check_folded_item(struct builder *b, const yaml_event_t *ev, const struct bw_loc *loc) {
        size_t first = ev->start_mark.line, last = ev->end_mark.line;
        if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || last <= first || last >= b->n_lines)
                return;
        for (size_t line = first + 1; line <= last; line++) {
                const char *s = b->src->text + b->line_starts[line];
                const char *end = b->src->text + b->src->len;
                size_t i = 0;
                while (s + i < end && s[i] == ' ')
                        i++;
                if (s + i + 1 >= end || s[i] != '-' || (s[i + 1] != ' ' && s[i + 1] != '\n'))
                        continue;
                struct bw_loc l = {.source = b->src_index,
                                   .line = (uint32_t) line + 1,
                                   .col = (uint32_t) i + 1,
                                   .end_col = (uint32_t) i + 2};
                int shown = ev->data.scalar.length > 60 ? 57 : (int) ev->data.scalar.length;
                while (shown > 0 && (ev->data.scalar.value[shown] & 0xc0) == 0x80)
                        shown--; /* not inside a UTF-8 sequence */
                bw_warning(b->diags, &l,
                           "this '-' is not a list item: the line continues the unquoted value of line %u, read as "
                           "the one string \"%.*s%s\"; to make it an item, indent its '-' exactly as the item above "
                           "it; to keep one string, quote it",
                           loc->line, shown, (const char *) ev->data.scalar.value,
                           ev->data.scalar.length > 60 ? "..." : "");
                return;
        }
}

/* Parse one node whose first event is ev (consumed by the caller). */
static struct bw_node *parse_node(struct builder *b, yaml_parser_t *p, yaml_event_t *ev, unsigned depth) {
        struct bw_loc loc = mark_loc(b, ev->start_mark, ev->end_mark);
        const yaml_char_t *tag = NULL, *anchor = NULL;

        if (depth > BW_YAML_MAX_DEPTH) {
                b->failed = true;
                bw_error(b->diags, &loc, "nested deeper than %d levels", BW_YAML_MAX_DEPTH);
                return NULL;
        }
        switch (ev->type) {
        case YAML_ALIAS_EVENT: {
                for (size_t i = 0; i < b->n_anchors; i++)
                        if (bw_streq(b->anchors[i].name, (const char *) ev->data.alias.anchor)) {
                                if (budget(b, b->anchors[i].node->subtree, b->anchors[i].node->subtree_bytes, &loc) < 0)
                                        return NULL;
                                return b->anchors[i].node;
                        }
                b->failed = true;
                bw_error(b->diags, &loc, "alias *%s names no anchor defined before it", ev->data.alias.anchor);
                return NULL;
        }
        case YAML_SCALAR_EVENT:
                tag = ev->data.scalar.tag;
                anchor = ev->data.scalar.anchor;
                break;
        case YAML_SEQUENCE_START_EVENT:
                tag = ev->data.sequence_start.tag;
                anchor = ev->data.sequence_start.anchor;
                break;
        case YAML_MAPPING_START_EVENT:
                tag = ev->data.mapping_start.tag;
                anchor = ev->data.mapping_start.anchor;
                break;
        default:
                b->failed = true;
                bw_error(b->diags, &loc, "unexpected YAML event");
                return NULL;
        }
        if (tag) {
                /* Tags would let a document change how a scalar is read; nothing here needs them. */
                b->failed = true;
                bw_error(b->diags, &loc, "explicit YAML tags (%s) are not supported: remove the tag", tag);
                return NULL;
        }
        if (budget(b, 1, ev->type == YAML_SCALAR_EVENT ? ev->data.scalar.length : 0, &loc) < 0)
                return NULL;

        if (ev->type == YAML_SCALAR_EVENT) {
                /* A "\0" escape would make a key or value differ from what C string handling
                 * later sees ("network\0" vs "network"): refuse it. */
                if (memchr(ev->data.scalar.value, 0, ev->data.scalar.length)) {
                        b->failed = true;
                        bw_error(b->diags, &loc, "a NUL character (\\0) in a string: remove it");
                        return NULL;
                }
                struct bw_node *n = new_node(b, BW_NODE_SCALAR, loc);
                n->len = ev->data.scalar.length;
                n->value = malloc(n->len + 1);
                if (!n->value)
                        abort();
                memcpy(n->value, ev->data.scalar.value, n->len);
                n->value[n->len] = 0;
                n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                check_folded_item(b, ev, &loc);
                n->subtree_bytes = n->len;
                record_anchor(b, anchor, n);
                return n;
        }

        bool mapping = ev->type == YAML_MAPPING_START_EVENT;
        struct bw_node *n = new_node(b, mapping ? BW_NODE_MAPPING : BW_NODE_SEQUENCE, loc);
        char *anchor_copy = anchor ? strdup((const char *) anchor) : NULL;
        size_t cap = 0;
        for (;;) {
                yaml_event_t child;
                if (!yaml_parser_parse(p, &child)) {
                        parser_error(b, p);
                        free(anchor_copy);
                        return NULL;
                }
                if (child.type == YAML_SEQUENCE_END_EVENT || child.type == YAML_MAPPING_END_EVENT) {
                        yaml_event_delete(&child);
                        break;
                }
                struct bw_node *c = parse_node(b, p, &child, depth + 1);
                yaml_event_delete(&child);
                if (!c) {
                        free(anchor_copy);
                        return NULL;
                }
                if (mapping && n->n_items % 2 == 0) {
                        if (c->type != BW_NODE_SCALAR) {
                                bw_error(b->diags, &c->loc, "mapping keys must be plain strings, not %s",
                                         bw_node_type_name(c));
                        } else {
                                for (size_t i = 0; i < n->n_items; i += 2)
                                        if (keys_equal(n->items[i], c)) {
                                                bw_error(b->diags, &c->loc, "duplicate key '%s'", c->value);
                                                bw_note(b->diags, &n->items[i]->loc, "'%s' first appears here",
                                                        c->value);
                                                break;
                                        }
                        }
                }
                add_item(n, c, &cap);
        }
        if (anchor_copy) {
                record_anchor(b, (const yaml_char_t *) anchor_copy, n);
                free(anchor_copy);
        }
        return n;
}

int bw_yaml_parse(const struct bw_sources *sources, uint32_t src_index, struct bw_diags *diags,
                  struct bw_yaml_doc *ret) {
        const struct bw_source *src = sources->v[src_index];
        struct bw_loc whole = {.source = src_index};
        *ret = (struct bw_yaml_doc){0};

        if (src->len > BW_YAML_MAX_BYTES)
                return bw_error(diags, &whole, "file is %zu bytes, over the %u-byte limit for a policy", src->len,
                                BW_YAML_MAX_BYTES);
        size_t bad;
        const char *nul = memchr(src->text, 0, src->len);
        if (nul || !bw_utf8_valid(src->text, src->len, &bad)) {
                size_t at = nul ? (size_t) (nul - src->text) : bad;
                if (nul && !bw_utf8_valid(src->text, src->len, &bad) && bad < at)
                        at = bad;
                struct bw_loc l = {.source = src_index, .line = 1, .col = 1};
                for (size_t i = 0; i < at; i++) {
                        if (src->text[i] == '\n') {
                                l.line++;
                                l.col = 1;
                        } else
                                l.col++;
                }
                l.end_col = l.col + 1;
                return bw_error(diags, &l,
                                src->text[at] == 0 ? "NUL byte: a policy is UTF-8 text"
                                                   : "invalid UTF-8 (byte 0x%02x): save the file as UTF-8",
                                (unsigned char) src->text[at]);
        }

        struct builder b = {.src = src, .src_index = src_index, .diags = diags, .doc = ret};
        index_lines(&b);
        yaml_parser_t p;
        if (!yaml_parser_initialize(&p))
                abort();
        yaml_parser_set_input_string(&p, (const unsigned char *) src->text, src->len);
        yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);

        int r = 0;
        size_t docs = 0;
        for (;;) {
                yaml_event_t ev;
                if (!yaml_parser_parse(&p, &ev)) {
                        r = parser_error(&b, &p);
                        break;
                }
                yaml_event_type_t t = ev.type;
                if (t == YAML_DOCUMENT_START_EVENT) {
                        if (++docs > 1) {
                                struct bw_loc l = mark_loc(&b, ev.start_mark, ev.end_mark);
                                r = bw_error(diags, &l, "a second YAML document: a policy file holds exactly one");
                                yaml_event_delete(&ev);
                                break;
                        }
                } else if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT ||
                           t == YAML_ALIAS_EVENT) {
                        ret->root = parse_node(&b, &p, &ev, 1);
                        if (!ret->root)
                                r = -EINVAL;
                }
                yaml_event_delete(&ev);
                if (t == YAML_STREAM_END_EVENT || r < 0)
                        break;
        }
        yaml_parser_delete(&p);
        if (r == 0 && (!ret->root || (ret->root->type == BW_NODE_SCALAR && bw_node_is_null(ret->root)))) {
                struct bw_loc l = {.source = src_index, .line = 1, .col = 1, .end_col = 2};
                r = bw_error(diags, &l, "empty document: a policy needs at least 'bulwark: 1'");
        }
        for (size_t i = 0; i < b.n_anchors; i++)
                free(b.anchors[i].name);
        free(b.anchors);
        free(b.line_starts);
        if (r < 0 || b.failed) {
                ret->root = NULL;
                return -EINVAL;
        }
        return 0;
}

void bw_yaml_doc_done(struct bw_yaml_doc *doc) {
        for (size_t i = 0; i < doc->n_all; i++) {
                free(doc->all[i]->value);
                free(doc->all[i]->items);
                free(doc->all[i]);
        }
        free(doc->all);
        *doc = (struct bw_yaml_doc){0};
}

bool bw_node_is_null(const struct bw_node *n) {
        if (n->type != BW_NODE_SCALAR || !n->plain)
                return false;
        return n->len == 0 || bw_streq(n->value, "~") || bw_streq(n->value, "null") || bw_streq(n->value, "Null") ||
               bw_streq(n->value, "NULL");
}

const char *bw_node_type_name(const struct bw_node *n) {
        if (n->type == BW_NODE_MAPPING)
                return "a mapping";
        if (n->type == BW_NODE_SEQUENCE)
                return "a list";
        return bw_node_is_null(n) ? "null" : "a scalar";
}
