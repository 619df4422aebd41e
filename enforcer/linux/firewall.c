/* SPDX-License-Identifier: MIT */
#include "firewall.h"
#include "strbuf.h"
#include "util.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <jansson.h>
#include <linux/capability.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * libnftables is loaded when the firewall is first needed, not when bulwark starts: with its own
 * dependencies (libnftnl, libmnl, libxtables, libgmp) it is most of the start-up cost of the
 * bulwark binary, which `bulwark run` pays on every command without ever touching the firewall.
 */
static struct {
        struct nft_ctx *(*ctx_new)(uint32_t);
        void (*ctx_free)(struct nft_ctx *);
        int (*ctx_buffer_output)(struct nft_ctx *);
        int (*ctx_buffer_error)(struct nft_ctx *);
        const char *(*ctx_get_output_buffer)(struct nft_ctx *);
        const char *(*ctx_get_error_buffer)(struct nft_ctx *);
        void (*ctx_output_set_flags)(struct nft_ctx *, unsigned int);
        int (*run_cmd_from_buffer)(struct nft_ctx *, const char *);
        bool loaded;
} nftlib;
static pthread_once_t nftlib_once = PTHREAD_ONCE_INIT;

static void nftlib_load(void) {
        void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return;
                /* dlsym returns void *; converting it to a function pointer is what POSIX specifies */
#define SYM(field, name) *(void **) &nftlib.field = dlsym(h, name)
        SYM(ctx_new, "nft_ctx_new");
        SYM(ctx_free, "nft_ctx_free");
        SYM(ctx_buffer_output, "nft_ctx_buffer_output");
        SYM(ctx_buffer_error, "nft_ctx_buffer_error");
        SYM(ctx_get_output_buffer, "nft_ctx_get_output_buffer");
        SYM(ctx_get_error_buffer, "nft_ctx_get_error_buffer");
        SYM(ctx_output_set_flags, "nft_ctx_output_set_flags");
        SYM(run_cmd_from_buffer, "nft_run_cmd_from_buffer");
#undef SYM
        nftlib.loaded = nftlib.ctx_new && nftlib.ctx_free && nftlib.ctx_buffer_output && nftlib.ctx_buffer_error &&
                        nftlib.ctx_get_output_buffer && nftlib.ctx_get_error_buffer && nftlib.ctx_output_set_flags &&
                        nftlib.run_cmd_from_buffer;
}

#define nft_ctx_new (nftlib.ctx_new)
#define nft_ctx_free (nftlib.ctx_free)
#define nft_ctx_buffer_output (nftlib.ctx_buffer_output)
#define nft_ctx_buffer_error (nftlib.ctx_buffer_error)
#define nft_ctx_get_output_buffer (nftlib.ctx_get_output_buffer)
#define nft_ctx_get_error_buffer (nftlib.ctx_get_error_buffer)
#define nft_ctx_output_set_flags (nftlib.ctx_output_set_flags)
#define nft_run_cmd_from_buffer (nftlib.run_cmd_from_buffer)

/* One set of uids, "offline", and two rules that match it: every user's offline sandbox user is
 * an element, so the rules stay two however many users there are (the kernel looks a uid up in
 * the set's hash, not rule by rule). The rules carry comments for the humans who list the
 * ruleset; inspection compares their structure, never the comments (bw_fw_check_listing).
 * Destinations are matched by address, not by "oifname lo": the host's own non-loopback
 * addresses are routed through lo too. */
char *bw_fw_render(const uid_t *uids, size_t n) {
        struct bw_strbuf b = {0};
        bw_sb_puts(&b, "table inet bulwark {\n\tset offline {\n\t\ttype uid\n");
        for (size_t i = 0; i < n; i++)
                bw_sb_printf(&b, "%s%u", i ? ", " : "\t\telements = { ", (unsigned) uids[i]);
        if (n)
                bw_sb_puts(&b, " }\n");
        bw_sb_puts(&b, "\t}\n\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n"
                       "\t\tmeta skuid @offline ip daddr != 127.0.0.0/8 counter reject with icmpx type "
                       "admin-prohibited comment \"bulwark offline sandbox users, IPv4\"\n"
                       "\t\tmeta skuid @offline ip6 daddr != ::1 counter reject with icmpx type admin-prohibited "
                       "comment \"bulwark offline sandbox users, IPv6\"\n\t}\n}\n");
        return b.data;
}

static struct nft_ctx *context(void) {
        pthread_once(&nftlib_once, nftlib_load);
        if (!nftlib.loaded)
                return NULL; /* callers report it: "cannot use libnftables" */
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx)
                return NULL;
        nft_ctx_buffer_output(ctx);
        nft_ctx_buffer_error(ctx);
        nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_NUMERIC_ALL);
        return ctx;
}

static void copy_error(struct nft_ctx *ctx, char *err, size_t err_size) {
        const char *e = nft_ctx_get_error_buffer(ctx);
        snprintf(err, err_size, "%s", e && *e ? e : "nftables error");
        size_t l = strlen(err);
        while (l > 0 && err[l - 1] == '\n')
                err[--l] = 0;
}

/* ---- inspection: the table's structure, compared with what bw_fw_render() writes ---- */

/* One side of a match, in a canonical text: "meta skuid", "ip daddr", "127.0.0.0/8", "::1", 998.
 * Anything unexpected is its compact JSON, which never equals a wanted form. */
static void canon_value(json_t *v, struct bw_fw_canon *c) {
        json_t *x;
        if (json_is_integer(v))
                bw_fw_canon_printf(c, "%" PRId64, (int64_t) json_integer_value(v));
        else if (json_is_string(v))
                bw_fw_canon_printf(c, "%s", json_string_value(v));
        else if ((x = json_object_get(v, "meta")) && json_object_size(v) == 1 && json_object_size(x) == 1 &&
                 json_is_string(json_object_get(x, "key")))
                bw_fw_canon_printf(c, "meta %s", json_string_value(json_object_get(x, "key")));
        else if ((x = json_object_get(v, "payload")) && json_object_size(v) == 1 && json_object_size(x) == 2 &&
                 json_is_string(json_object_get(x, "protocol")) && json_is_string(json_object_get(x, "field")))
                bw_fw_canon_printf(c, "%s %s", json_string_value(json_object_get(x, "protocol")),
                                   json_string_value(json_object_get(x, "field")));
        else if ((x = json_object_get(v, "prefix")) && json_object_size(v) == 1 && json_object_size(x) == 2 &&
                 json_is_string(json_object_get(x, "addr")) && json_is_integer(json_object_get(x, "len"))) {
                const char *addr = json_string_value(json_object_get(x, "addr"));
                json_int_t len = json_integer_value(json_object_get(x, "len"));
                /* a whole-address prefix is the address itself */
                if (len == (strchr(addr, ':') ? 128 : 32))
                        bw_fw_canon_printf(c, "%s", addr);
                else
                        bw_fw_canon_printf(c, "%s/%lld", addr, (long long) len);
        } else {
                char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
                bw_fw_canon_printf(c, "?%s", s ? s : "");
                free(s);
        }
}

/* One statement of a rule; counters are left out (they only count). */
static void canon_statement(json_t *st, struct bw_fw_canon *c) {
        const char *key = json_object_size(st) == 1 ? json_object_iter_key(json_object_iter(st)) : NULL;
        json_t *v = key ? json_object_get(st, key) : NULL;
        if (key && bw_streq(key, "counter"))
                return;
        if (c->len)
                bw_fw_canon_printf(c, "; ");
        if (key && bw_streq(key, "match") && json_object_size(v) == 3 && json_is_string(json_object_get(v, "op"))) {
                bw_fw_canon_printf(c, "match ");
                canon_value(json_object_get(v, "left"), c);
                bw_fw_canon_printf(c, " %s ", json_string_value(json_object_get(v, "op")));
                canon_value(json_object_get(v, "right"), c);
        } else if (key && bw_streq(key, "reject") && json_is_object(v)) {
                json_t *type = json_object_get(v, "type"), *e = json_object_get(v, "expr");
                /* numeric listings give the icmpx code: 3 is admin-prohibited */
                const char *code = json_is_string(e)                                  ? json_string_value(e)
                                   : json_is_integer(e) && json_integer_value(e) == 3 ? "admin-prohibited"
                                                                                      : NULL;
                if (json_object_size(v) == 2 && json_is_string(type) && code)
                        bw_fw_canon_printf(c, "reject %s %s", json_string_value(type), code);
                else
                        canon_value(st, c);
        } else if (key && json_is_null(v))
                bw_fw_canon_printf(c, "%s", key); /* a verdict: accept, drop, continue, return */
        else
                canon_value(st, c);
}

void bw_fw_canon_printf(struct bw_fw_canon *c, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (c->len < sizeof(c->text)) {
                int n = vsnprintf(c->text + c->len, sizeof(c->text) - c->len, fmt, ap);
                c->len = n < 0 ? sizeof(c->text) : c->len + (size_t) n;
        }
        va_end(ap);
}

void bw_fw_wanted_rule(bool v6, struct bw_fw_canon *c) {
        *c = (struct bw_fw_canon){.len = 0};
        bw_fw_canon_printf(c, "match meta skuid == @offline; match %s; reject icmpx admin-prohibited",
                           v6 ? "ip6 daddr != ::1" : "ip daddr != 127.0.0.0/8");
}

static int uid_cmp(const void *x, const void *y) {
        uid_t a = *(const uid_t *) x, b = *(const uid_t *) y;
        return (a > b) - (a < b);
}

/* The set "offline" of uids exactly as wanted: no flags, timeouts or other properties, its
 * elements plain integers, the same as uids (in any order). */
static bool set_is_wanted(json_t *o, const uid_t *uids, size_t n) {
        const char *key;
        json_t *v;
        json_object_foreach(o, key, v) {
                if (!bw_streq(key, "family") && !bw_streq(key, "name") && !bw_streq(key, "table") &&
                    !bw_streq(key, "type") && !bw_streq(key, "handle") && !bw_streq(key, "elem"))
                        return false;
        }
        if (!bw_streq(json_string_value(json_object_get(o, "name")), "offline") ||
            !bw_streq(json_string_value(json_object_get(o, "type")), "uid"))
                return false;
        json_t *elem = json_object_get(o, "elem");
        size_t have_n = elem ? json_array_size(elem) : 0;
        if ((elem && !json_is_array(elem)) || have_n != n)
                return false;
        uid_t *have = calloc(n + 1, sizeof(*have)), *want = calloc(n + 1, sizeof(*want));
        bool ok = have && want;
        for (size_t i = 0; ok && i < n; i++) {
                json_t *e = json_array_get(elem, i);
                ok = json_is_integer(e) && json_integer_value(e) >= 0 && json_integer_value(e) <= UINT32_MAX;
                if (ok)
                        have[i] = (uid_t) json_integer_value(e);
                want[i] = uids[i];
        }
        if (ok) {
                qsort(have, n, sizeof(*have), uid_cmp);
                qsort(want, n, sizeof(*want), uid_cmp);
                ok = memcmp(have, want, n * sizeof(*have)) == 0;
        }
        free(have);
        free(want);
        return ok;
}

static int canon_cmp(const void *x, const void *y) {
        return strcmp(((const struct bw_fw_canon *) x)->text, ((const struct bw_fw_canon *) y)->text);
}

enum bw_fw_state bw_fw_check_listing(const char *json_text, const uid_t *uids, size_t n) {
        json_error_t jerr;
        json_t *doc = json_loads(json_text, 0, &jerr);
        json_t *items = json_object_get(doc, "nftables");
        enum bw_fw_state st = json_is_array(items) ? BW_FW_CURRENT : BW_FW_DIFFERENT;
        struct bw_fw_canon have[2], want[2];
        size_t n_have = 0, n_chains = 0, n_tables = 0, n_sets = 0;
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item) {
                json_t *o;
                if (st != BW_FW_CURRENT)
                        break;
                if (json_object_get(item, "metainfo"))
                        continue;
                if ((o = json_object_get(item, "table"))) {
                        /* a dormant table filters nothing: any flag is a difference */
                        json_t *flags = json_object_get(o, "flags");
                        n_tables++;
                        if (!bw_streq(json_string_value(json_object_get(o, "family")), "inet") ||
                            !bw_streq(json_string_value(json_object_get(o, "name")), "bulwark") ||
                            (flags && !(json_is_array(flags) && json_array_size(flags) == 0)))
                                st = BW_FW_DIFFERENT;
                } else if ((o = json_object_get(item, "chain"))) {
                        /* the one base chain: filter, hook output, priority filter (0), policy accept */
                        json_t *prio = json_object_get(o, "prio");
                        n_chains++;
                        if (!bw_streq(json_string_value(json_object_get(o, "name")), "output") ||
                            !bw_streq(json_string_value(json_object_get(o, "type")), "filter") ||
                            !bw_streq(json_string_value(json_object_get(o, "hook")), "output") ||
                            !bw_streq(json_string_value(json_object_get(o, "policy")), "accept") ||
                            !(json_is_integer(prio) ? json_integer_value(prio) == 0
                                                    : bw_streq(json_string_value(prio), "filter")) ||
                            json_object_get(o, "dev") || json_object_get(o, "flags"))
                                st = BW_FW_DIFFERENT;
                } else if ((o = json_object_get(item, "set"))) {
                        n_sets++;
                        if (!set_is_wanted(o, uids, n))
                                st = BW_FW_DIFFERENT;
                } else if ((o = json_object_get(item, "rule")) && n_have < BW_ARRAY_SIZE(have)) {
                        json_t *expr = json_object_get(o, "expr"), *s;
                        size_t k;
                        if (!bw_streq(json_string_value(json_object_get(o, "chain")), "output") ||
                            !json_is_array(expr)) {
                                st = BW_FW_DIFFERENT;
                                break;
                        }
                        struct bw_fw_canon *c = &have[n_have++];
                        *c = (struct bw_fw_canon){.len = 0};
                        json_array_foreach(expr, k, s) canon_statement(s, c);
                } else
                        st = BW_FW_DIFFERENT; /* a map, another object, or too many rules */
        }
        json_decref(doc);
        if (st != BW_FW_CURRENT || n_tables != 1 || n_chains != 1 || n_sets != 1 || n_have != 2)
                return BW_FW_DIFFERENT;
        bw_fw_wanted_rule(false, &want[0]);
        bw_fw_wanted_rule(true, &want[1]);
        qsort(have, n_have, sizeof(*have), canon_cmp);
        qsort(want, 2, sizeof(*want), canon_cmp);
        for (size_t k = 0; k < n_have; k++)
                if (!bw_streq(have[k].text, want[k].text))
                        return BW_FW_DIFFERENT;
        return BW_FW_CURRENT;
}

/* Reading the ruleset needs CAP_NET_ADMIN. Without it libnftables (1.0.x) fails, and says so itself
 * with fprintf(stderr, "Operation not permitted (you must be root)"), past the context's error
 * buffer (nft_ctx_buffer_error catches only its error records): `bulwark doctor` and `status
 * --json` as a user printed that raw line before their own. So the call is not made without the
 * capability; the caller says "cannot be read without root" in its own words. */
static bool may_read_ruleset(void) {
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct d[2] = {{0}};
        if (syscall(SYS_capget, &h, d) < 0)
                return true; /* cannot tell: libnftables will say */
        return d[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32));
}

enum bw_fw_state bw_fw_inspect(const uid_t *uids, size_t n, char *err, size_t err_size) {
        if (!may_read_ruleset()) {
                snprintf(err, err_size, "the nftables ruleset cannot be read %s",
                         geteuid() ? "without root"
                                   : "without CAP_NET_ADMIN, which this root process lacks (a container's "
                                     "bounding set?)");
                return BW_FW_UNKNOWN;
        }
        struct nft_ctx *ctx = context();
        if (!ctx) {
                snprintf(err, err_size, "cannot use libnftables (libnftables.so.1: install nftables%s)",
                         nftlib.loaded ? ", or out of memory" : "");
                return BW_FW_UNKNOWN;
        }
        /* listing all tables first tells "absent" from "cannot read" */
        if (nft_run_cmd_from_buffer(ctx, "list tables inet") != 0) {
                copy_error(ctx, err, err_size);
                nft_ctx_free(ctx);
                return BW_FW_UNKNOWN;
        }
        const char *tables = nft_ctx_get_output_buffer(ctx);
        if (!tables || !strstr(tables, "table inet bulwark\n")) {
                nft_ctx_free(ctx);
                return BW_FW_ABSENT;
        }
        nft_ctx_free(ctx);
        /* The structure, as JSON: what a rule does (its matches and verdict), not what its
         * comment says, is what is compared. */
        ctx = context();
        if (ctx)
                nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_NUMERIC_ALL | NFT_CTX_OUTPUT_JSON);
        if (!ctx || nft_run_cmd_from_buffer(ctx, "list table inet bulwark") != 0) {
                if (ctx)
                        copy_error(ctx, err, err_size);
                else
                        snprintf(err, err_size, "out of memory");
                nft_ctx_free(ctx);
                return BW_FW_UNKNOWN;
        }
        const char *out = nft_ctx_get_output_buffer(ctx);
        enum bw_fw_state st = bw_fw_check_listing(out ? out : "", uids, n);
        nft_ctx_free(ctx);
        return st;
}

int bw_fw_apply(const uid_t *uids, size_t n, char *err, size_t err_size) {
        _cleanup_free_ char *table = bw_fw_render(uids, n);
        /* "add" then "delete" makes the delete valid whether or not the table exists; the whole
         * buffer is one transaction, so the old rules stay in force until the new ones are in */
        _cleanup_free_ char *cmd = NULL;
        if (!table || asprintf(&cmd, "add table inet bulwark\ndelete table inet bulwark\n%s", table) < 0) {
                snprintf(err, err_size, "out of memory");
                return -ENOMEM;
        }
        struct nft_ctx *ctx = context();
        if (!ctx) {
                snprintf(err, err_size, "cannot use libnftables (libnftables.so.1: install nftables%s)",
                         nftlib.loaded ? ", or out of memory" : "");
                return -ENOMEM;
        }
        int r = nft_run_cmd_from_buffer(ctx, cmd);
        if (r != 0)
                copy_error(ctx, err, err_size);
        nft_ctx_free(ctx);
        return r == 0 ? 0 : -EPROTO;
}

int bw_fw_remove(char *err, size_t err_size) {
        struct nft_ctx *ctx = context();
        if (!ctx) {
                snprintf(err, err_size, "cannot use libnftables (libnftables.so.1: install nftables%s)",
                         nftlib.loaded ? ", or out of memory" : "");
                return -ENOMEM;
        }
        int r = nft_run_cmd_from_buffer(ctx, "add table inet bulwark\ndelete table inet bulwark\n");
        if (r != 0)
                copy_error(ctx, err, err_size);
        nft_ctx_free(ctx);
        return r == 0 ? 0 : -EPROTO;
}

int bw_fw_list(char *buf, size_t size) {
        struct nft_ctx *ctx = context();
        if (!ctx)
                return -ENOMEM;
        /* numeric output would lose nothing, but names keep the text valid input for nft */
        nft_ctx_output_set_flags(ctx, 0);
        int r = nft_run_cmd_from_buffer(ctx, "list table inet bulwark");
        const char *out = nft_ctx_get_output_buffer(ctx);
        if (r != 0 || !out || strlen(out) + 1 > size) {
                nft_ctx_free(ctx);
                return -EPROTO;
        }
        memcpy(buf, out, strlen(out) + 1);
        nft_ctx_free(ctx);
        return 0;
}

int bw_fw_restore(const char *text, char *err, size_t err_size) {
        struct nft_ctx *ctx = context();
        if (!ctx) {
                snprintf(err, err_size, "cannot use libnftables (libnftables.so.1: install nftables%s)",
                         nftlib.loaded ? ", or out of memory" : "");
                return -ENOMEM;
        }
        size_t n = strlen(text) + 64;
        char *cmd = malloc(n);
        if (!cmd) {
                nft_ctx_free(ctx);
                return -ENOMEM;
        }
        snprintf(cmd, n, "add table inet bulwark\ndelete table inet bulwark\n%s", text);
        int r = nft_run_cmd_from_buffer(ctx, cmd);
        if (r != 0)
                copy_error(ctx, err, err_size);
        free(cmd);
        nft_ctx_free(ctx);
        return r == 0 ? 0 : -EPROTO;
}
