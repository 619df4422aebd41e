/* SPDX-License-Identifier: MIT */
/*
 * Signed plans: a detached minisign signature (PLAN.minisig, or --signature FILE) checked against
 * the trusted public keys, the *.pub files in /etc/bulwark/trusted-keys.d (root-owned). A signature that is
 * present is always checked, and a bad one always refuses the plan. An unsigned plan, or one signed
 * by a key this host does not trust, is refused only when signatures are required: by the admin
 * constraint require_signed_plans in /etc/bulwark/admin.d, or by the plan itself (compiled under
 * that constraint).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BW_TRUSTED_KEYS_DIR "/etc/bulwark/trusted-keys.d"
#define BW_ADMIN_DIR "/etc/bulwark/admin.d"

struct bw_signer {
        bool is_signed;     /* verified against a trusted key */
        char key_id[17];    /* as minisign prints it */
        char key_file[256]; /* the trusted key's file name */
        char comment[512];  /* the signature's trusted comment (shortened) */
};

struct bw_signature_options {
        const char *signature; /* NULL: PLAN.minisig */
        const char *keys_dir;  /* NULL: BW_TRUSTED_KEYS_DIR */
        const char *admin_dir; /* NULL: BW_ADMIN_DIR */
        bool plan_requires;    /* the plan's own require-signed flag */
        /* What the check has to say (warnings, the reason for a refusal, the admin constraints'
         * diagnostics): whole lines, newline included, for the command layer to show. */
        void (*say)(void *ctx, const char *text);
        void *say_ctx;
};

/* 0: acceptable (signer says whether it is signed); negative errno: refused (-EPERM: not signed
 * as required, -EKEYREJECTED: a signature that does not verify, -EBADMSG: a malformed one,
 * -EINVAL: admin constraints with errors, or the errno of reading the signature), the reason said
 * through o->say. */
int bw_signature_check(const char *plan_path, const uint8_t *plan, size_t size, const struct bw_signature_options *o,
                       struct bw_signer *ret);

/* "key ID (FILE): COMMENT", or "unsigned". */
void bw_signer_describe(const struct bw_signer *s, char *out, size_t size);
