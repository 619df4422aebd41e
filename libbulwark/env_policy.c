/* SPDX-License-Identifier: MIT */
/* The environment decision (see env_policy.h). */
#include "env_policy.h"

#include <string.h>

/*
 * Credentials a sandboxed command does not inherit unless the policy passes them. Globs, matched
 * case-sensitively against whole names. The suffix forms are anchored at the end of the name on
 * purpose: "*_KEY" drops OPENAI_API_KEY and SSH_KEY but not XKB_KEYMAP or MONKEY_KEYS; "*_TOKEN"
 * drops NPM_TOKEN but not TOKENIZERS_PARALLELISM. Keep schema/policy-language.md in step.
 */
const char *const bw_env_default_drop_list[] = {
        /* generic names for secrets */
        "*_TOKEN",
        "TOKEN",
        "*_SECRET*",
        "SECRET",
        "SECRET_*",
        "*_KEY",
        "*_APIKEY",
        "*_PRIVATE_KEY*",
        "*_ACCESS_KEY_ID",
        "*PASSWORD*",
        "*password*",
        "*PASSPHRASE*",
        "*_PASS",
        "*_PASSWD",
        "*_PWD",
        "*_AUTH",
        "*_JWT",
        "*_COOKIE",
        "*_WEBHOOK_URL",
        "*_CREDENTIAL*",
        "*_CONNECTION_STRING",
        "*_DSN",
        "*_authToken",
        /* names that do not follow the patterns, or that a reader should see listed */
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "GITHUB_TOKEN",
        "GITHUB_PAT",
        "GH_TOKEN",
        "GH_ENTERPRISE_TOKEN",
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "NPM_TOKEN",
        "NPM_CONFIG__AUTH*",
        "npm_config__auth*",
        "DOCKER_*AUTH*",
        "VAULT_TOKEN",
        "AZURE_*SECRET*",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "MYSQL_PWD",
        "SSH_AUTH_SOCK",
        NULL,
};

bool bw_env_glob_match(const char *glob, const char *name, size_t len) {
        size_t g = 0, n = 0, star_g = SIZE_MAX, star_n = 0;
        while (n < len) {
                if (glob[g] == '*') {
                        star_g = g++;
                        star_n = n;
                } else if (glob[g] && glob[g] == name[n]) {
                        g++;
                        n++;
                } else if (star_g != SIZE_MAX) {
                        /* let the last '*' take one more byte and try again from there */
                        g = star_g + 1;
                        n = ++star_n;
                } else
                        return false;
        }
        while (glob[g] == '*')
                g++;
        return glob[g] == 0;
}

/*
 * A URL with a password in it: SCHEME "://" USER ":" PASSWORD "@" (RFC 3986's userinfo, before
 * the first '/', '?' or '#' of the authority). Every "://" of the value is looked at, so a list
 * of URLs is covered too. "redis://:pw@host" has an empty user and counts; "http://host:8080/"
 * and "ssh://git@host" have no password and do not.
 */
/*
 * A token whose issuer gave it a recognisable shape, anywhere in the value after a boundary
 * ("Bearer ghp_..."): GitHub's, GitLab's, Slack's, Anthropic's, OpenAI's, Stripe's live, Hugging
 * Face's, npm's, PyPI's, DigitalOcean's and Google's API keys, AWS access key ids, private keys
 * in PEM, and JSON Web Tokens. Each prefix needs a run of at least `min` token characters after
 * it, so "sk-" in a sentence or a short "hf_x" is no token.
 */
static bool token_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static size_t token_run(const char *p) {
        size_t n = 0;
        while (token_char(p[n]))
                n++;
        return n;
}

static bool has_token(const char *value) {
        static const struct {
                const char *prefix;
                size_t min;
        } shapes[] = {{"ghp_", 30},        {"gho_", 30},     {"ghu_", 30},  {"ghs_", 30},    {"ghr_", 30},
                      {"github_pat_", 30}, {"glpat-", 20},   {"xoxb-", 10}, {"xoxp-", 10},   {"xoxa-", 10},
                      {"xoxr-", 10},       {"xoxs-", 10},    {"xoxe-", 10}, {"sk-ant-", 20}, {"sk-", 32},
                      {"sk_live_", 20},    {"rk_live_", 20}, {"hf_", 30},   {"npm_", 30},    {"pypi-", 50},
                      {"dop_v1_", 40},     {"AIza", 30},     {"AKIA", 16},  {"ASIA", 16}};
        const char *pem = strstr(value, "-----BEGIN"); /* -----BEGIN [RSA ]PRIVATE KEY----- */
        if (pem && (pem = strstr(pem, "PRIVATE")) && strstr(pem, "KEY-----"))
                return true;
        for (const char *p = value; *p; p++) {
                if (p > value && token_char(p[-1]))
                        continue; /* inside a word */
                for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
                        size_t n = strlen(shapes[i].prefix);
                        if (strncmp(p, shapes[i].prefix, n) == 0 && token_run(p + n) >= shapes[i].min)
                                return true;
                }
                /* a JSON Web Token: three base64url parts, the first two JSON objects ("eyJ") */
                if (strncmp(p, "eyJ", 3) == 0) {
                        size_t a = token_run(p);
                        if (a >= 10 && p[a] == '.' && strncmp(p + a + 1, "eyJ", 3) == 0) {
                                size_t b = token_run(p + a + 1);
                                if (b >= 10 && p[a + 1 + b] == '.')
                                        return true;
                        }
                }
        }
        return false;
}

bool bw_env_value_has_password(const char *value) {
        if (has_token(value))
                return true;
        for (const char *p = strstr(value, "://"); p; p = strstr(p + 1, "://")) {
                const char *auth = p + 3;
                size_t end = strcspn(auth, "/?#@");
                if (auth[end] != '@')
                        continue;
                const char *colon = memchr(auth, ':', end);
                if (colon && colon + 1 < auth + end)
                        return true;
        }
        return false;
}

bool bw_env_default_drops(const char *name, size_t len) {
        for (size_t i = 0; bw_env_default_drop_list[i]; i++)
                if (bw_env_glob_match(bw_env_default_drop_list[i], name, len))
                        return true;
        return false;
}

static bool name_equals(const struct bw_plan *p, const struct bw_plan_env *e, const char *name, size_t len) {
        return e->name.length == len && memcmp(bw_plan_string(p, e->name), name, len) == 0;
}

enum bw_env_verdict bw_env_decide(const struct bw_plan *p, const char *name, size_t len) {
        bool admin_drop = false, policy_drop = false, pass = false;
        for (uint32_t i = 0; i < p->n_env; i++) {
                const struct bw_plan_env *e = &p->env[i];
                if (e->action == BW_ENV_SET) {
                        if (name_equals(p, e, name, len))
                                return BW_ENV_DROP_SET;
                        continue;
                }
                if (!bw_env_glob_match(bw_plan_string(p, e->name), name, len))
                        continue;
                if (e->action == BW_ENV_DROP && (e->flags & BW_ENV_ADMIN))
                        admin_drop = true;
                else if (e->action == BW_ENV_DROP)
                        policy_drop = true;
                else
                        pass = true;
        }
        if (admin_drop)
                return BW_ENV_DROP_ADMIN;
        if (policy_drop)
                return BW_ENV_DROP_POLICY;
        bool by_default = bw_env_default_drops(name, len);
        if (pass)
                return by_default ? BW_ENV_KEEP_PASS : BW_ENV_KEEP;
        return by_default ? BW_ENV_DROP_DEFAULT : BW_ENV_KEEP;
}

/* SET entries sort last (the highest action), so they are the tail of ENVR. */
static uint32_t first_set(const struct bw_plan *p) {
        uint32_t i = p->n_env;
        while (i > 0 && p->env[i - 1].action == BW_ENV_SET)
                i--;
        return i;
}

uint32_t bw_env_set_count(const struct bw_plan *p) {
        return p->n_env - first_set(p);
}

bool bw_env_set_entry(const struct bw_plan *p, uint32_t i, const char **ret_name, const char **ret_value) {
        uint32_t first = first_set(p);
        if (i >= p->n_env - first)
                return false;
        const struct bw_plan_env *e = &p->env[first + i];
        *ret_name = bw_plan_string(p, e->name);
        *ret_value = bw_plan_string(p, e->value);
        return true;
}

bool bw_env_globs_overlap(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        /* can[i][j]: some string matches both a[i..] and b[j..]; filled from the ends */
        bool *can = calloc((la + 1) * (lb + 1), sizeof(*can));
        if (!can)
                return true; /* "may overlap" is the safe answer for a reviewer */
#define CAN(i, j) can[(size_t) (i) * (lb + 1) + (j)]
        for (size_t i = la + 1; i-- > 0;)
                for (size_t j = lb + 1; j-- > 0;) {
                        bool v;
                        if (i == la && j == lb)
                                v = true;
                        else if (i < la && a[i] == '*')
                                /* the star matches nothing more, or also b[j] (a byte, or b's own star) */
                                v = CAN(i + 1, j) || (j < lb && CAN(i, j + 1));
                        else if (j < lb && b[j] == '*')
                                v = CAN(i, j + 1) || (i < la && CAN(i + 1, j));
                        else
                                v = i < la && j < lb && a[i] == b[j] && CAN(i + 1, j + 1);
                        CAN(i, j) = v;
                }
        bool r = CAN(0, 0);
#undef CAN
        free(can);
        return r;
}
