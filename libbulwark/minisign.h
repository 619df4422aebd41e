/* SPDX-License-Identifier: MIT */
/*
 * Detached Ed25519 signatures in minisign's format (https://jedisct1.github.io/minisign/), so
 * admins can sign plans with the minisign tool they already use, or with `bulwarkc --sign`, and
 * bulwark verifies them with libsodium. Both of minisign's signature algorithms are accepted:
 * "ED" (Ed25519 over the BLAKE2b-512 of the file: minisign's default) and the legacy "Ed" (over
 * the file itself). Secret keys may be unencrypted (minisign -W) or scrypt-encrypted.
 *
 *   public key   "Ed" key_id[8] public_key[32], base64, under an untrusted comment line
 *   signature    untrusted comment line; base64("ED"|"Ed" key_id[8] signature[64]);
 *                "trusted comment: TEXT"; base64(global signature[64] over signature || TEXT)
 */
#pragma once

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BW_MINISIGN_KEY_ID 8
#define BW_MINISIGN_COMMENT_MAX 8192

struct bw_minisign_pubkey {
        uint8_t key_id[BW_MINISIGN_KEY_ID];
        uint8_t pk[32];
};

struct bw_minisign_sig {
        bool prehashed; /* "ED" */
        uint8_t key_id[BW_MINISIGN_KEY_ID];
        uint8_t sig[64];
        char trusted_comment[BW_MINISIGN_COMMENT_MAX + 1];
        uint8_t global_sig[64];
};

struct bw_minisign_seckey {
        uint8_t key_id[BW_MINISIGN_KEY_ID];
        uint8_t sk[64];
};

/* The key ID as minisign prints it (16 upper-case hex digits, the bytes in reverse order). */
void bw_minisign_key_id_hex(const uint8_t key_id[BW_MINISIGN_KEY_ID], char out[17]);

/* Parse a public key file's text (or a bare base64 key). 0, or -EINVAL with err filled. */
int bw_minisign_pubkey_parse(const char *text, size_t len, struct bw_minisign_pubkey *ret, char *err,
                             size_t err_size) BW_NODISCARD;
/* Parse a .minisig file's text. */
int bw_minisign_sig_parse(const char *text, size_t len, struct bw_minisign_sig *ret, char *err,
                          size_t err_size) BW_NODISCARD;
/* Verify msg against sig with pk: the key ID, the signature and the global signature over the
 * trusted comment. 0, or -EBADMSG / -ENOKEY (another key's signature) with err filled. */
int bw_minisign_verify(const struct bw_minisign_pubkey *pk, const struct bw_minisign_sig *sig, const uint8_t *msg,
                       size_t len, char *err, size_t err_size) BW_NODISCARD;

/* Parse a secret key file's text, decrypting it with password when it is encrypted (NULL: the
 * key must be unencrypted). Checks the key's checksum. */
int bw_minisign_seckey_parse(const char *text, size_t len, const char *password, struct bw_minisign_seckey *ret,
                             char *err, size_t err_size) BW_NODISCARD;
/* Sign msg ("ED", prehashed) with a trusted comment (one line); *ret is the .minisig text. */
int bw_minisign_sign(const struct bw_minisign_seckey *sk, const uint8_t *msg, size_t len, const char *trusted_comment,
                     char **ret) BW_NODISCARD;
