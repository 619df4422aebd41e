/* SPDX-License-Identifier: MIT */
/* The installation's state record: see bw_win_install_encode in win_backend.h. */
#include "win_backend.h"
#include "win_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
        char *data;
        size_t n, cap;
        int error;
};

static void put(struct out *o, const char *s, size_t len) {
        if (o->error)
                return;
        if (o->n + len + 1 > o->cap) {
                size_t cap = (o->cap ? o->cap * 2 : 512) + len;
                char *d = realloc(o->data, cap);
                if (!d) {
                        o->error = -ENOMEM;
                        return;
                }
                o->data = d;
                o->cap = cap;
        }
        memcpy(o->data + o->n, s, len);
        o->n += len;
        o->data[o->n] = '\0';
}

static void puts_(struct out *o, const char *s) {
        put(o, s, strlen(s));
}

static void put_sid(struct out *o, const struct bw_win_sid *sid) {
        char s[BW_WIN_SID_STRING_MAX];
        bw_win_sid_to_string(sid, s);
        puts_(o, s);
}

static void put_hex(struct out *o, const uint8_t *b, size_t n) {
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                char two[2] = {hex[b[i] >> 4], hex[b[i] & 15]};
                put(o, two, 2);
        }
}

static void put_u(struct out *o, unsigned long v) {
        char s[24];
        snprintf(s, sizeof(s), "%lu", v);
        puts_(o, s);
}

int bw_win_install_encode(const struct bw_win_install *in, char **ret) {
        struct out o = {0};
        puts_(&o, "id=");
        puts_(&o, in->id);
        puts_(&o, "\nuser=");
        puts_(&o, in->user);
        if (in->per_user) {
                /* no accounts, secrets or rule exist for it: their keys are absent, not empty */
                puts_(&o, "\nmode=user\nuser_sid=");
                put_sid(&o, &in->user_sid);
                puts_(&o, "\nfirewall=0");
                goto roots;
        }
        const char *keys[3] = {"\noffline=", "\nonline=", "\ngroup="};
        const char *names[3] = {in->offline, in->online, in->group};
        const struct bw_win_sid *sids[3] = {&in->offline_sid, &in->online_sid, &in->group_sid};
        for (int i = 0; i < 3; i++) {
                puts_(&o, keys[i]);
                puts_(&o, names[i]);
                puts_(&o, " ");
                put_sid(&o, sids[i]);
        }
        puts_(&o, "\noffline_secret=");
        put_hex(&o, in->offline_secret, in->offline_secret_n);
        puts_(&o, "\nonline_secret=");
        put_hex(&o, in->online_secret, in->online_secret_n);
        puts_(&o, in->firewall ? "\nfirewall=1" : "\nfirewall=0");
roots:
        for (size_t i = 0; i < in->n_roots; i++) {
                puts_(&o, "\nroot=");
                put_sid(&o, &in->roots[i].sid);
                puts_(&o, " ");
                puts_(&o, in->roots[i].path);
        }
        for (size_t i = 0; i < in->n_targets; i++) {
                puts_(&o, "\ntarget=");
                put_u(&o, in->targets[i].kind);
                puts_(&o, " ");
                put_u(&o, in->targets[i].roots);
                puts_(&o, " ");
                puts_(&o, in->targets[i].path);
        }
        puts_(&o, "\n");
        if (o.error) {
                free(o.data);
                return o.error;
        }
        *ret = o.data;
        return 0;
}

static int get_hex(const char *s, uint8_t **ret, size_t *ret_n) {
        size_t len = strlen(s);
        if (len % 2)
                return -EBADMSG;
        uint8_t *b = malloc(len / 2 + 1);
        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
                if (v < 0) {
                        free(b);
                        return -EBADMSG;
                }
                if (i % 2)
                        b[i / 2] = (uint8_t) (b[i / 2] << 4 | v);
                else
                        b[i / 2] = (uint8_t) v;
        }
        free(*ret);
        *ret = b;
        *ret_n = len / 2;
        return 0;
}

/* "NAME SID" into an account name and SID. */
static int get_account(char *v, char *name, size_t max, struct bw_win_sid *sid) {
        char *sp = strchr(v, ' ');
        if (!sp || (size_t) (sp - v) > max || sp == v)
                return -EBADMSG;
        *sp = '\0';
        memcpy(name, v, (size_t) (sp - v) + 1);
        return bw_win_sid_from_string(sp + 1, sid) < 0 ? -EBADMSG : 0;
}

static int get_ulong(const char *s, char **end, unsigned long max, unsigned long *ret) {
        if (*s < '0' || *s > '9')
                return -EBADMSG;
        unsigned long v = strtoul(s, end, 10);
        if (v > max)
                return -EBADMSG;
        *ret = v;
        return 0;
}

static int check_path(const char *p) {
        char *w = NULL;
        int r = bw_win_path_from_plan(p, &w);
        free(w);
        if (r < 0)
                return -EBADMSG;
        /* a normalised plan path: every component non-empty, neither "." nor ".." */
        for (const char *c = p + 1; *c;) {
                size_t len = strcspn(c, "/");
                if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
                        return -EBADMSG;
                c += len;
                if (*c == '/' && *++c == '\0')
                        return -EBADMSG; /* a trailing '/' */
        }
        return 0;
}

static int decode_line(struct bw_win_install *in, char *line, unsigned *seen) {
        char *eq = strchr(line, '=');
        if (!eq)
                return -EBADMSG;
        *eq = '\0';
        char *v = eq + 1;
        static const char *const once[] = {"id",    "user",           "offline",       "online",
                                           "group", "offline_secret", "online_secret", "firewall",
                                           "mode",  "user_sid"};
        for (unsigned i = 0; i < 10; i++)
                if (strcmp(line, once[i]) == 0) {
                        if (*seen & (1u << i))
                                return -EBADMSG; /* a key twice */
                        *seen |= 1u << i;
                }
        if (strcmp(line, "id") == 0) {
                if (!*v || strlen(v) >= sizeof(in->id) || strspn(v, "0123456789abcdef") != strlen(v))
                        return -EBADMSG;
                memcpy(in->id, v, strlen(v) + 1);
        } else if (strcmp(line, "user") == 0) {
                if (!*v || strlen(v) >= sizeof(in->user))
                        return -EBADMSG;
                memcpy(in->user, v, strlen(v) + 1);
        } else if (strcmp(line, "offline") == 0)
                return get_account(v, in->offline, BW_WIN_ACCOUNT_MAX, &in->offline_sid);
        else if (strcmp(line, "online") == 0)
                return get_account(v, in->online, BW_WIN_ACCOUNT_MAX, &in->online_sid);
        else if (strcmp(line, "group") == 0)
                return get_account(v, in->group, BW_WIN_GROUP_MAX, &in->group_sid);
        else if (strcmp(line, "offline_secret") == 0)
                return get_hex(v, &in->offline_secret, &in->offline_secret_n);
        else if (strcmp(line, "online_secret") == 0)
                return get_hex(v, &in->online_secret, &in->online_secret_n);
        else if (strcmp(line, "firewall") == 0) {
                if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
                        return -EBADMSG;
                in->firewall = v[0] == '1';
        } else if (strcmp(line, "mode") == 0) {
                if (strcmp(v, "user") != 0)
                        return -EBADMSG; /* the machine's installation has no mode line */
                in->per_user = true;
        } else if (strcmp(line, "user_sid") == 0) {
                if (bw_win_sid_from_string(v, &in->user_sid) < 0)
                        return -EBADMSG;
        } else if (strcmp(line, "root") == 0) {
                char *sp = strchr(v, ' ');
                struct bw_win_sid sid;
                if (!sp || in->n_roots >= 32)
                        return -EBADMSG;
                *sp = '\0';
                if (bw_win_sid_from_string(v, &sid) < 0 || check_path(sp + 1) < 0)
                        return -EBADMSG;
                for (size_t i = 0; i < in->n_roots; i++)
                        if (bw_win_path_equal(in->roots[i].path, sp + 1) || bw_win_sid_equal(&in->roots[i].sid, &sid))
                                return -EBADMSG;
                struct bw_win_root *roots = realloc(in->roots, (in->n_roots + 1) * sizeof(*roots));
                if (!roots)
                        return -ENOMEM;
                in->roots = roots;
                if (!(roots[in->n_roots].path = strdup(sp + 1)))
                        return -ENOMEM;
                roots[in->n_roots++].sid = sid;
        } else if (strcmp(line, "target") == 0) {
                unsigned long kind, mask;
                char *end;
                if (get_ulong(v, &end, BW_WIN_T_UNREADABLE, &kind) < 0 || kind < BW_WIN_T_ROOT || *end != ' ' ||
                    get_ulong(end + 1, &end, UINT32_MAX, &mask) < 0 || *end != ' ' || check_path(end + 1) < 0)
                        return -EBADMSG;
                /* a target may name only roots recorded before it */
                if (in->n_roots < 32 && (mask >> in->n_roots) != 0)
                        return -EBADMSG;
                struct bw_win_target *t = realloc(in->targets, (in->n_targets + 1) * sizeof(*t));
                if (!t)
                        return -ENOMEM;
                in->targets = t;
                if (!(t[in->n_targets].path = strdup(end + 1)))
                        return -ENOMEM;
                t[in->n_targets].kind = (uint32_t) kind;
                t[in->n_targets++].roots = (uint32_t) mask;
        } else
                return -EBADMSG;
        return 0;
}

int bw_win_install_decode(const char *text, struct bw_win_install *ret) {
        struct bw_win_install in = {0};
        char *copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        unsigned seen = 0;
        int r = 0;
        char *line = copy;
        while (r == 0 && *line) {
                char *nl = strchr(line, '\n');
                if (!nl) {
                        r = -EBADMSG; /* a record always ends with a newline: a cut one is refused */
                        break;
                }
                *nl = '\0';
                r = decode_line(&in, line, &seen);
                line = nl + 1;
        }
        free(copy);
        /* every key of one occurrence is required; a per-user record has id, user, mode and
         * firewall=0 only (an account or a secret in it would be a record made otherwise) */
        if (r == 0 && seen != (in.per_user ? 0x383u : 0xffu))
                r = -EBADMSG;
        if (r == 0 && in.per_user && in.firewall)
                r = -EBADMSG;
        if (r < 0) {
                bw_win_install_done(&in);
                return r;
        }
        *ret = in;
        return 0;
}
