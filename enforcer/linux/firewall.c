/* SPDX-License-Identifier: MIT */
#include "firewall.h"
#include "util.h"

#include <dlfcn.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>

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

/* Each rule carries a comment naming the uid, so inspection can check for exactly our rules
 * whatever nft's listing style. Destinations are matched by address, not by "oifname lo": the
 * host's own non-loopback addresses are routed through lo too. */
void bw_fw_render(const uid_t *uids, size_t n, char *buf, size_t size) {
        size_t o = 0;
        o += (size_t) snprintf(buf + o, size - o,
                               "table inet bulwark {\n"
                               "\tchain output {\n"
                               "\t\ttype filter hook output priority filter; policy accept;\n");
        for (size_t i = 0; i < n && o < size; i++) {
                o += (size_t) snprintf(buf + o, size - o,
                                       "\t\tmeta skuid %u ip daddr != 127.0.0.0/8 counter reject with icmpx type "
                                       "admin-prohibited comment \"bulwark-offline-v4-%u\"\n",
                                       (unsigned) uids[i], (unsigned) uids[i]);
                if (o < size)
                        o += (size_t) snprintf(buf + o, size - o,
                                               "\t\tmeta skuid %u ip6 daddr != ::1 counter reject with icmpx type "
                                               "admin-prohibited comment \"bulwark-offline-v6-%u\"\n",
                                               (unsigned) uids[i], (unsigned) uids[i]);
        }
        if (o < size)
                snprintf(buf + o, size - o, "\t}\n}\n");
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

enum bw_fw_state bw_fw_inspect(const uid_t *uids, size_t n, char *err, size_t err_size) {
        struct nft_ctx *ctx = context();
        if (!ctx) {
                snprintf(err, err_size, "cannot use libnftables (libnftables.so.1: install nftables%s)",
                         nftlib.loaded ? ", or out of memory" : "");
                return BW_FW_UNKNOWN;
        }
        enum bw_fw_state st;
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
        ctx = context();
        if (!ctx || nft_run_cmd_from_buffer(ctx, "list table inet bulwark") != 0) {
                if (ctx)
                        copy_error(ctx, err, err_size);
                nft_ctx_free(ctx);
                return BW_FW_UNKNOWN;
        }
        const char *out = nft_ctx_get_output_buffer(ctx);
        st = BW_FW_CURRENT;
        if (!out || !strstr(out, "hook output"))
                st = BW_FW_DIFFERENT;
        size_t rules = 0;
        for (const char *q = out; q && (q = strstr(q, "comment \"bulwark-offline-")); q++)
                rules++;
        if (rules != 2 * n)
                st = BW_FW_DIFFERENT;
        for (size_t i = 0; i < n && st == BW_FW_CURRENT; i++) {
                char want[64];
                snprintf(want, sizeof(want), "bulwark-offline-v4-%u\"", (unsigned) uids[i]);
                if (!strstr(out, want))
                        st = BW_FW_DIFFERENT;
                snprintf(want, sizeof(want), "bulwark-offline-v6-%u\"", (unsigned) uids[i]);
                if (!strstr(out, want))
                        st = BW_FW_DIFFERENT;
        }
        nft_ctx_free(ctx);
        return st;
}

int bw_fw_apply(const uid_t *uids, size_t n, char *err, size_t err_size) {
        char table[4096], cmd[4200];
        bw_fw_render(uids, n, table, sizeof(table));
        /* "add" then "delete" makes the delete valid whether or not the table exists; the whole
         * buffer is one transaction, so the old rules stay in force until the new ones are in */
        snprintf(cmd, sizeof(cmd), "add table inet bulwark\ndelete table inet bulwark\n%s", table);
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
