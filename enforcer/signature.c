/* SPDX-License-Identifier: MIT */
#include "signature.h"
#include "compile.h"
#include "minisign.h"
#include "util.h"

#include <dirent.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

/* One line ("bulwark: ..." and a newline) through o->say. */
BW_PRINTF(2, 3) static void say(const struct bw_signature_options *o, const char *fmt, ...) {
        if (!o->say)
                return;
        char line[PATH_MAX + 2048];
        int n = snprintf(line, sizeof(line), "bulwark: ");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof(line) - (size_t) n - 1, fmt, ap);
        va_end(ap);
        size_t l = strlen(line);
        line[l] = '\n';
        line[l + 1] = 0;
        o->say(o->say_ctx, line);
}

/* Does an admin constraint require signed plans on this host? Fails closed: constraints that do
 * not compile are an error (-EINVAL), with their diagnostics printed. */
static int admin_requires_signed(const struct bw_signature_options *o, const char *admin_dir, bool *ret) {
        struct bw_compile_options co = {
                .policy_path = "builtin:read-only", .admin_dir = admin_dir, .admin_owner_also = (uid_t) -1};
        struct bw_compilation c;
        int r = bw_compile(&co, &c);
        if (r < 0 && o->say) {
                char *text = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&text, &len);
                if (f) {
                        bw_diags_print(&c.diags, &c.sources, f, false);
                        fclose(f);
                        o->say(o->say_ctx, text ? text : "");
                }
                free(text);
        }
        *ret = r == 0 && c.require_signed;
        bw_compilation_done(&c);
        return r < 0 ? -EINVAL : 0;
}

/* Read a small file that only root may have written (the trusted keys). */
static int read_root_file(int dirfd, const char *name, char *buf, size_t size, size_t *len) {
        int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        struct stat st;
        int r = 0;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                r = -EINVAL;
        else if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
                r = -EPERM;
        ssize_t n = r ? 0 : bw_read_full(fd, buf, size - 1);
        close(fd);
        if (n < 0)
                return (int) n;
        buf[n] = 0;
        *len = (size_t) n;
        return r;
}

/* The trusted key with the signature's key ID, or -ENOKEY. */
static int find_key(const struct bw_signature_options *o, const char *dir, const uint8_t key_id[BW_MINISIGN_KEY_ID],
                    struct bw_minisign_pubkey *pk, char *file, size_t file_size) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return -ENOKEY;
        struct stat st;
        if (fstat(dfd, &st) < 0 || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
                say(o,
                    "%s is not root-owned and writable by root alone: its keys are not trusted "
                    "(chown root:root, chmod go-w)",
                    dir);
                close(dfd);
                return -ENOKEY;
        }
        DIR *d = fdopendir(dup(dfd));
        int found = -ENOKEY;
        for (struct dirent *de; d && found != 0 && (de = readdir(d));) {
                size_t nl = strlen(de->d_name);
                if (de->d_name[0] == '.' || nl < 5 || strcmp(de->d_name + nl - 4, ".pub") != 0)
                        continue;
                char text[4096], err[256];
                size_t len = 0;
                int r = read_root_file(dfd, de->d_name, text, sizeof(text), &len);
                if (r == -EPERM) {
                        say(o, "%s/%s is not root-owned and writable by root alone: ignored", dir, de->d_name);
                        continue;
                }
                if (r < 0 || bw_minisign_pubkey_parse(text, len, pk, err, sizeof(err)) < 0) {
                        say(o, "%s/%s: %s: ignored", dir, de->d_name, r < 0 ? strerror(-r) : err);
                        continue;
                }
                if (memcmp(pk->key_id, key_id, BW_MINISIGN_KEY_ID) == 0) {
                        snprintf(file, file_size, "%s", de->d_name);
                        found = 0;
                }
        }
        if (d)
                closedir(d);
        close(dfd);
        return found;
}

int bw_signature_check(const char *plan_path, const uint8_t *plan, size_t size, const struct bw_signature_options *o,
                       struct bw_signer *ret) {
        *ret = (struct bw_signer){0};
        const char *admin_dir = o->admin_dir ? o->admin_dir : BW_ADMIN_DIR;
        const char *keys_dir = o->keys_dir ? o->keys_dir : BW_TRUSTED_KEYS_DIR;
        bool admin_req = false;
        if (admin_requires_signed(o, admin_dir, &admin_req) < 0) {
                say(o, "the admin constraints in %s have errors (above): fix them before applying", admin_dir);
                return -EINVAL;
        }
        bool required = admin_req || o->plan_requires;
        const char *why = admin_req ? "this host requires signed plans (require_signed_plans in " BW_ADMIN_DIR ")"
                                    : "this plan was compiled to require a signature (require_signed_plans)";
        char sig_path[PATH_MAX];
        snprintf(sig_path, sizeof(sig_path), "%s%s", o->signature ? o->signature : plan_path,
                 o->signature ? "" : ".minisig");
        char text[BW_MINISIGN_COMMENT_MAX + 1024], err[512];
        size_t len = 0;
        int fd = open(sig_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        ssize_t n = fd < 0 ? -errno : bw_read_full(fd, text, sizeof(text) - 1);
        if (fd >= 0)
                close(fd);
        if (n == -ENOENT && !o->signature) {
                if (!required)
                        return 0;
                say(o,
                    "%s is not signed, and %s: sign it (minisign -S -m %s, or bulwarkc --sign KEY) with a "
                    "key in %s",
                    plan_path, why, plan_path, keys_dir);
                return -EPERM;
        }
        if (n < 0) {
                say(o, "cannot read the signature %s: %s", sig_path, strerror((int) -n));
                return (int) n;
        }
        len = (size_t) n;
        text[len] = 0;
        struct bw_minisign_sig sig;
        if (bw_minisign_sig_parse(text, len, &sig, err, sizeof(err)) < 0) {
                say(o, "%s: %s: the plan is refused", sig_path, err);
                return -EBADMSG;
        }
        struct bw_minisign_pubkey pk;
        char id[17];
        bw_minisign_key_id_hex(sig.key_id, id);
        if (find_key(o, keys_dir, sig.key_id, &pk, ret->key_file, sizeof(ret->key_file)) < 0) {
                if (required) {
                        say(o,
                            "%s is signed with key %s, which is not trusted here (no such key in "
                            "%s), and %s",
                            plan_path, id, keys_dir, why);
                        return -EPERM;
                }
                say(o,
                    "warning: %s is signed with key %s, which is not trusted here: treated as "
                    "unsigned",
                    plan_path, id);
                return 0;
        }
        if (bw_minisign_verify(&pk, &sig, plan, size, err, sizeof(err)) < 0) {
                say(o,
                    "the signature %s does not verify with trusted key %s (%s): %s; the plan is "
                    "refused",
                    sig_path, id, ret->key_file, err);
                return -EKEYREJECTED;
        }
        ret->is_signed = true;
        memcpy(ret->key_id, id, sizeof(ret->key_id));
        char safe[sizeof(ret->comment)];
        bw_printable(sig.trusted_comment, strlen(sig.trusted_comment), safe, sizeof(safe));
        snprintf(ret->comment, sizeof(ret->comment), "%s", safe);
        return 0;
}

void bw_signer_describe(const struct bw_signer *s, char *out, size_t size) {
        if (!s->is_signed)
                snprintf(out, size, "unsigned");
        else
                snprintf(out, size, "key %s (%s): %s", s->key_id, s->key_file, s->comment);
}
