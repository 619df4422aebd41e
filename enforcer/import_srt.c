/* SPDX-License-Identifier: MIT */
/*
 * bulwark import srt: Anthropic's sandbox-runtime settings (~/.srt-settings.json). The keys read
 * are those of its configuration schema (src/sandbox/sandbox-config.ts): filesystem.allowWrite,
 * denyWrite, denyRead, allowRead, allowGitConfig, disabled; network.allowedDomains, deniedDomains
 * and the rest of network, reported. srt resolves a relative path against its working directory
 * (mapped here to ${workspace}), expands ~ and ~/, treats * ? [ ] as glob characters, and reads a
 * trailing slash and two stars as the directory itself. Its writes are allow-only (nothing is writable unless
 * listed), its reads deny-only, its network allow-only by domain.
 */
#include "import.h"

#include "path_template.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

struct ctx {
        const struct bw_import_options *o;
        struct bw_gen_notes *notes;
        char *err;
        size_t err_size;
};

static int BW_PRINTF(2, 3) error(struct ctx *x, const char *fmt, ...) {
        char msg[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(x->err, x->err_size, "%s: %s", x->o->name, msg);
        return -EINVAL;
}

static const char *json_type_name(const json_t *v) {
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        }
        return "a value";
}

/* key of obj as an array of strings (NULL when absent), or -EINVAL. */
static int string_array(struct ctx *x, const json_t *obj, const char *section, const char *key, const json_t **ret) {
        const json_t *a = json_object_get(obj, key);
        *ret = NULL;
        if (!a)
                return 0;
        if (!json_is_array(a))
                return error(x, "%s.%s must be an array of strings, not %s", section, key, json_type_name(a));
        size_t i;
        const json_t *v;
        json_array_foreach(a, i, v) if (!json_is_string(v)) return error(x, "%s.%s[%zu] must be a string, not %s",
                                                                         section, key, i, json_type_name(v));
        *ret = a;
        return 0;
}

static bool glob_chars(const char *s) {
        return strpbrk(s, "*?[]") != NULL;
}

/*
 * An srt path as a policy path or glob (malloc()ed, literal: `$` doubled), or NULL with the reason
 * in *why. "." and relative paths are the workspace; /tmp (and macOS's /private/tmp) is ${tmpdir}
 * when tmp_ok.
 */
static char *map_path(const char *s, bool tmp_ok, bool *glob, const char **why) {
        *why = NULL;
        *glob = false;
        for (const char *c = s; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f) {
                        *why = "holds a control character";
                        return NULL;
                }
        if (!s[0]) {
                *why = "is empty";
                return NULL;
        }
        char *copy = strdup(s);
        if (!copy)
                abort();
        size_t n = strlen(copy);
        if (n >= 3 && bw_streq(copy + n - 3, "/**"))
                copy[n - 3] = 0; /* the directory and everything below it: what a path means here */
        if (!copy[0]) {
                free(copy);
                copy = strdup("/");
                if (!copy)
                        abort();
        }
        *glob = glob_chars(copy);
        struct bw_strbuf sb = {0};
        const char *rest = copy;
        if (copy[0] == '~') {
                if (copy[1] && copy[1] != '/') {
                        *why = "starts with ~NAME (another user's home), which a policy cannot name";
                        goto bad;
                }
        } else if (copy[0] != '/') {
                /* relative to srt's working directory: the workspace here */
                for (const char *c = copy; *c;) {
                        size_t l = strcspn(c, "/");
                        if (l == 2 && c[0] == '.' && c[1] == '.') {
                                *why = "climbs out of the working directory (..), which bulwark cannot say relative "
                                       "to the workspace";
                                goto bad;
                        }
                        c += l;
                        c += *c == '/';
                }
                while (rest[0] == '.' && (rest[1] == '/' || rest[1] == 0))
                        rest += rest[1] ? 2 : 1;
                while (rest[0] == '/')
                        rest++;
                bw_sb_puts(&sb, rest[0] ? "${workspace}/" : "${workspace}");
        } else if (tmp_ok && !*glob && (bw_streq(copy, "/tmp") || bw_streq(copy, "/private/tmp"))) {
                bw_sb_puts(&sb, "${tmpdir}");
                rest = "";
        }
        char *lit = bw_gen_literal_path(rest);
        bw_sb_puts(&sb, lit);
        free(lit);
        free(copy);
        if (sb.len > BW_PATH_MAX) {
                *why = "is longer than 4095 bytes";
                bw_sb_done(&sb);
                return NULL;
        }
        return bw_sb_take(&sb);
bad:
        free(copy);
        bw_sb_done(&sb);
        return NULL;
}

enum target { T_WRITABLE, T_READ_ONLY, T_READABLE, T_UNREADABLE };

static void map_list(struct ctx *x, struct bw_import_policy *p, const json_t *a, const char *key, enum target t) {
        size_t i;
        const json_t *v;
        struct bw_import_list *l = t == T_WRITABLE    ? &p->writable
                                   : t == T_READ_ONLY ? &p->read_only
                                   : t == T_READABLE  ? &p->readable
                                                      : &p->unreadable;
        json_array_foreach(a, i, v) {
                const char *s = json_string_value(v);
                char shown[200];
                bw_printable(s, json_string_length(v), shown, sizeof(shown));
                if (strlen(s) != json_string_length(v)) {
                        bw_gen_note(x->notes, "filesystem.%s[%zu] holds a NUL character: not mapped", key, i);
                        continue;
                }
                bool glob;
                const char *why;
                char *m = map_path(s, t == T_WRITABLE, &glob, &why);
                if (!m) {
                        bw_gen_note(x->notes, "filesystem.%s \"%s\" %s: not mapped", key, shown, why);
                        continue;
                }
                if (glob && (t == T_WRITABLE || t == T_READABLE)) {
                        bw_gen_note(x->notes,
                                    "filesystem.%s \"%s\" is a glob: bulwark's patterns can only narrow (read_only, "
                                    "unreadable), never grant: not mapped; list the directories instead",
                                    key, shown);
                        free(m);
                        continue;
                }
                if (!bw_import_has(l, m)) {
                        char c[240];
                        snprintf(c, sizeof(c), "%s \"%s\"", key, shown);
                        bw_import_add(l, m, glob, strcmp(s, m) ? c : key);
                }
                free(m);
        }
}

static void note_domains(struct ctx *x, const json_t *a, const char *what, const char *then) {
        struct bw_strbuf sb = {0};
        size_t i;
        const json_t *v;
        json_array_foreach(a, i, v) {
                if (i == 5) {
                        bw_sb_printf(&sb, ", ... (%zu in all)", json_array_size(a));
                        break;
                }
                char shown[120];
                bw_sb_printf(&sb, "%s%s", i ? ", " : "",
                             bw_printable(json_string_value(v), json_string_length(v), shown, sizeof(shown)));
        }
        bw_gen_note(x->notes, "%s %s: bulwark has no per-domain network rules yet; %s", what, bw_sb_str(&sb), then);
        bw_sb_done(&sb);
}

static const char *network_key_note(const char *k) {
        if (bw_streq(k, "allowLocalBinding"))
                return "the sandbox has its own loopback: servers may bind local ports in it, offline too";
        if (bw_streq(k, "allowUnixSockets") || bw_streq(k, "allowAllUnixSockets"))
                return "bulwark does not filter unix sockets by path (Landlock cannot); a socket of yours that no "
                       "rule hides stays reachable: hide what must not be with filesystem.unreadable";
        if (bw_streq(k, "deniedDomainReasons") || bw_streq(k, "strictAllowlist"))
                return "belongs to per-domain rules, which bulwark does not have yet";
        return "no counterpart in bulwark";
}

int bw_import_srt(const char *text, size_t len, const struct bw_import_options *o, char **ret_policy,
                  struct bw_gen_notes *notes, char *err, size_t err_size) {
        struct ctx x = {o, notes, err, err_size};
        *ret_policy = NULL;
        json_error_t je;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!root) {
                snprintf(err, err_size, "%s:%d:%d: %s", o->name, je.line, je.column, je.text);
                return -EINVAL;
        }
        int r = 0;
        struct bw_import_policy p = {0};
        json_t *fs = json_object_get(root, "filesystem"), *net = json_object_get(root, "network");
        if (!json_is_object(root)) {
                r = error(&x, "the settings must be a JSON object, not %s", json_type_name(root));
                goto out;
        }
        if (fs && !json_is_object(fs)) {
                r = error(&x, "filesystem must be an object, not %s", json_type_name(fs));
                goto out;
        }
        if (net && !json_is_object(net)) {
                r = error(&x, "network must be an object, not %s", json_type_name(net));
                goto out;
        }
        const json_t *allow_write = NULL, *deny_write = NULL, *deny_read = NULL, *allow_read = NULL;
        const json_t *allowed = NULL, *denied = NULL;
        if (fs && ((r = string_array(&x, fs, "filesystem", "allowWrite", &allow_write)) < 0 ||
                   (r = string_array(&x, fs, "filesystem", "denyWrite", &deny_write)) < 0 ||
                   (r = string_array(&x, fs, "filesystem", "denyRead", &deny_read)) < 0 ||
                   (r = string_array(&x, fs, "filesystem", "allowRead", &allow_read)) < 0))
                goto out;
        if (net && ((r = string_array(&x, net, "network", "allowedDomains", &allowed)) < 0 ||
                    (r = string_array(&x, net, "network", "deniedDomains", &denied)) < 0))
                goto out;

        /* the other keys: say what happens to each */
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v) {
                if (bw_streq(k, "filesystem") || bw_streq(k, "network"))
                        continue;
                if (bw_streq(k, "credentials"))
                        bw_gen_note(notes, "credentials: not imported; bulwark drops credential variables by name (see "
                                           "`bulwark show`) and keeps ~/.ssh, ~/.aws and others unreadable: add files "
                                           "to filesystem.unreadable and names to environment.drop");
                else
                        bw_gen_note(notes, "%s: not imported (no counterpart in bulwark)", k);
        }
        if (fs)
                json_object_foreach(fs, k, v) {
                        if (bw_streq(k, "allowWrite") || bw_streq(k, "denyWrite") || bw_streq(k, "denyRead") ||
                            bw_streq(k, "allowRead"))
                                continue;
                        if (bw_streq(k, "allowGitConfig")) {
                                if (json_is_true(v))
                                        bw_gen_note(notes, "filesystem.allowGitConfig: .git stays read-only in bulwark "
                                                           "(a protected default that only an admin's allow_unprotect "
                                                           "lets a policy drop): not mapped");
                        } else if (bw_streq(k, "disabled")) {
                                if (json_is_true(v))
                                        bw_gen_note(notes,
                                                    "filesystem.disabled turns srt's file rules off; bulwark has "
                                                    "no such mode: the file rules here still apply");
                        } else
                                bw_gen_note(notes, "filesystem.%s: not imported (no counterpart in bulwark)", k);
                }
        if (net)
                json_object_foreach(net, k, v) {
                        if (bw_streq(k, "allowedDomains") || bw_streq(k, "deniedDomains"))
                                continue;
                        if (json_is_false(v) || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0))
                                continue; /* off or empty: nothing asked for */
                        bw_gen_note(notes, "network.%s: not imported: %s", k, network_key_note(k));
                }

        /* the file rules */
        if (allow_write)
                map_list(&x, &p, allow_write, "allowWrite", T_WRITABLE);
        if (deny_write)
                map_list(&x, &p, deny_write, "denyWrite", T_READ_ONLY);
        if (deny_read)
                map_list(&x, &p, deny_read, "denyRead", T_UNREADABLE);
        if (allow_read)
                map_list(&x, &p, allow_read, "allowRead", T_READABLE);
        if (allow_read && p.readable.n)
                bw_gen_note(notes, "filesystem.allowRead maps to readable paths: the more specific rule wins, so each "
                                   "re-allows reading below an unreadable one, as in srt");

        /* the base profile: workspace-write when the workspace itself is writable */
        bool ws = false, tmp = false;
        for (size_t i = 0; i < p.writable.n; i++) {
                ws |= bw_streq(p.writable.v[i].text, "${workspace}");
                tmp |= bw_streq(p.writable.v[i].text, "${tmpdir}");
        }
        if (tmp)
                bw_gen_note(notes,
                            "/tmp maps to ${tmpdir}: in bulwark a private tmpfs for each run, not the host's /tmp");
        if (ws) {
                p.extends = "workspace-write";
                p.extends_comment = "allowWrite \".\": the workspace (and ${tmpdir})";
                if (!tmp)
                        bw_gen_note(notes,
                                    "workspace-write also makes ${tmpdir} writable (a private tmpfs for each run), "
                                    "which srt's allowWrite did not list");
                size_t k2 = 0;
                for (size_t i = 0; i < p.writable.n; i++) {
                        struct bw_import_entry *e = &p.writable.v[i];
                        if (bw_streq(e->text, "${workspace}") || bw_streq(e->text, "${tmpdir}")) {
                                free(e->text);
                                free(e->comment);
                        } else
                                p.writable.v[k2++] = *e;
                }
                p.writable.n = k2;
        } else {
                p.extends = "read-only";
                p.extends_comment =
                        p.writable.n ? "srt writes only where allowWrite says" : "srt's allowWrite is empty";
        }

        /* the network: allow-only by domain in srt, on or off here */
        size_t n_allowed = allowed ? json_array_size(allowed) : 0, n_denied = denied ? json_array_size(denied) : 0;
        if (n_allowed == 0) {
                snprintf(p.network_comment, sizeof(p.network_comment),
                         "allowedDomains is empty: srt allows no network");
        } else if (o->allow_network) {
                p.network = true;
                snprintf(p.network_comment, sizeof(p.network_comment),
                         "--allow-network: every domain, not only the %zu allowed", n_allowed);
                note_domains(&x, allowed, "network.allowedDomains lists",
                             "--allow-network made it network: on, which reaches every domain");
        } else {
                snprintf(p.network_comment, sizeof(p.network_comment),
                         "srt allows %zu domain%s: no per-domain rules here (--allow-network: on)", n_allowed,
                         n_allowed == 1 ? "" : "s");
                note_domains(&x, allowed, "network.allowedDomains lists",
                             "the network stays off (the safe default); `bulwark import srt --allow-network` maps it "
                             "to network: on (every domain)");
        }
        if (n_denied)
                bw_gen_note(notes, "network.deniedDomains (%zu): %s", n_denied,
                            p.network ? "cannot be enforced: with network on, every domain is reachable"
                                      : "moot: the network is off");

        bw_sb_printf(&p.header, "# Imported by `bulwark import srt` from %s.\n", o->name);
        bw_sb_puts(&p.header,
                   "# srt's relative paths (\".\") are its working directory: here ${workspace}, the repository\n"
                   "# (the outermost directory with .git or .bulwark/policy.yaml). bulwark's profiles also keep\n"
                   "# ~/.ssh, ~/.gnupg, ~/.aws and other credentials unreadable. Review, then `bulwark trust`.\n");
        snprintf(p.name, sizeof(p.name), "srt");
        *ret_policy = bw_import_render(&p);
out:
        bw_import_policy_done(&p);
        json_decref(root);
        return r;
}
