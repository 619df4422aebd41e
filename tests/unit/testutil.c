/* SPDX-License-Identifier: MIT */
#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *bw_test_mkdtemp(void) {
        const char *t = getenv("TMPDIR");
        char *tmpl = NULL;
        if (asprintf(&tmpl, "%s/bwtest.XXXXXX", t && *t ? t : "/tmp") < 0 || !mkdtemp(tmpl))
                abort();
        return tmpl;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path);
}

void bw_test_rmtree(const char *dir) {
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *bw_test_write(const char *dir, const char *name, const char *text) {
        char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                abort();
        for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
                *p = 0;
                mkdir(path, 0755);
                *p = '/';
        }
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return path;
}

int bw_test_compile(const char *dir, const char *text, const char *admin_dir, const struct bw_bindings *b,
                    struct bw_compilation *c) {
        char *path = bw_test_write(dir, "policy.yaml", text);
        struct bw_compile_options o = {.policy_path = path, .admin_dir = admin_dir, .admin_owner_also = geteuid()};
        if (b)
                o.bindings = *b;
        int r = bw_compile(&o, c);
        free(path);
        return r;
}

bool bw_test_has_diag(const struct bw_compilation *c, enum bw_severity sev, const char *needle) {
        for (size_t i = 0; i < c->diags.n; i++)
                if (c->diags.v[i].severity == sev && strstr(c->diags.v[i].message, needle))
                        return true;
        return false;
}

void bw_test_plan_bytes(const char *dir, const char *text, const struct bw_bindings *b, bool without_provenance,
                        uint8_t **ret, size_t *ret_size) {
        struct bw_compilation c;
        int r = bw_test_compile(dir, text, NULL, b, &c);
        if (r != 0)
                bw_diags_print(&c.diags, &c.sources, stderr, false);
        assert_int_equal(r, 0);
        assert_int_equal(bw_compilation_to_plan(&c, without_provenance, ret, ret_size), 0);
        bw_compilation_done(&c);
}
