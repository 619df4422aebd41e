/* SPDX-License-Identifier: MIT */
#include "minisign.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define PUBKEY_BYTES (2 + BW_MINISIGN_KEY_ID + 32)
#define SIG_BYTES (2 + BW_MINISIGN_KEY_ID + 64)
#define SECKEY_BYTES (2 + 2 + 2 + 32 + 8 + 8 + BW_MINISIGN_KEY_ID + 64 + 32)

__attribute__((format(printf, 3, 4))) static int error(char *err, size_t n, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, n, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

void bw_minisign_key_id_hex(const uint8_t key_id[BW_MINISIGN_KEY_ID], char out[17]) {
        for (int i = 0; i < BW_MINISIGN_KEY_ID; i++)
                snprintf(out + (size_t) 2 * (size_t) i, 3, "%02X", key_id[BW_MINISIGN_KEY_ID - 1 - i]);
}

/* The text split into lines (without their "\n" or "\r\n"); at most max lines. */
struct lines {
        const char *p[5];
        size_t len[5];
        size_t n;
};

static void split_lines(const char *text, size_t len, struct lines *l) {
        l->n = 0;
        size_t start = 0;
        for (size_t i = 0; i <= len && l->n < 5; i++) {
                if (i == len || text[i] == '\n') {
                        size_t e = i;
                        if (e > start && text[e - 1] == '\r')
                                e--;
                        if (i < len || e > start) {
                                l->p[l->n] = text + start;
                                l->len[l->n++] = e - start;
                        }
                        start = i + 1;
                }
        }
}

static bool has_prefix(const char *p, size_t len, const char *prefix) {
        size_t n = strlen(prefix);
        return len >= n && memcmp(p, prefix, n) == 0;
}

/* Decode base64 that must come to exactly want bytes. */
static bool decode(const char *b64, size_t len, uint8_t *out, size_t want) {
        size_t got = 0;
        const char *end = NULL;
        if (sodium_base642bin(out, want, b64, len, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0)
                return false;
        return got == want && end == b64 + len;
}

int bw_minisign_pubkey_parse(const char *text, size_t len, struct bw_minisign_pubkey *ret, char *err, size_t err_size) {
        if (sodium_init() < 0)
                return error(err, err_size, "libsodium cannot be initialised");
        struct lines l;
        split_lines(text, len, &l);
        size_t k = l.n > 0 && has_prefix(l.p[0], l.len[0], UNTRUSTED_PREFIX) ? 1 : 0;
        uint8_t raw[PUBKEY_BYTES];
        if (k >= l.n || !decode(l.p[k], l.len[k], raw, sizeof(raw)))
                return error(err, err_size,
                             "not a minisign public key (expected an untrusted comment line, then "
                             "56 characters of base64)");
        if (memcmp(raw, "Ed", 2) != 0)
                return error(err, err_size, "unsupported public key algorithm (only Ed25519, \"Ed\")");
        memcpy(ret->key_id, raw + 2, BW_MINISIGN_KEY_ID);
        memcpy(ret->pk, raw + 2 + BW_MINISIGN_KEY_ID, 32);
        return 0;
}

int bw_minisign_sig_parse(const char *text, size_t len, struct bw_minisign_sig *ret, char *err, size_t err_size) {
        if (sodium_init() < 0)
                return error(err, err_size, "libsodium cannot be initialised");
        struct lines l;
        split_lines(text, len, &l);
        if (l.n < 4 || !has_prefix(l.p[0], l.len[0], UNTRUSTED_PREFIX) || !has_prefix(l.p[2], l.len[2], TRUSTED_PREFIX))
                return error(err, err_size,
                             "not a minisign signature (expected four lines: an untrusted comment, "
                             "the signature, a trusted comment, the global signature)");
        uint8_t raw[SIG_BYTES];
        if (!decode(l.p[1], l.len[1], raw, sizeof(raw)))
                return error(err, err_size, "the signature line is not %d bytes of base64", SIG_BYTES);
        if (memcmp(raw, "ED", 2) == 0)
                ret->prehashed = true;
        else if (memcmp(raw, "Ed", 2) == 0)
                ret->prehashed = false;
        else
                return error(err, err_size, "unsupported signature algorithm (expected \"ED\" or \"Ed\")");
        memcpy(ret->key_id, raw + 2, BW_MINISIGN_KEY_ID);
        memcpy(ret->sig, raw + 2 + BW_MINISIGN_KEY_ID, 64);
        size_t tl = l.len[2] - strlen(TRUSTED_PREFIX);
        if (tl > BW_MINISIGN_COMMENT_MAX)
                return error(err, err_size, "the trusted comment is longer than %d bytes", BW_MINISIGN_COMMENT_MAX);
        memcpy(ret->trusted_comment, l.p[2] + strlen(TRUSTED_PREFIX), tl);
        ret->trusted_comment[tl] = 0;
        if (strlen(ret->trusted_comment) != tl) /* a NUL among the tl bytes copied */
                return error(err, err_size, "the trusted comment contains a NUL byte");
        if (!decode(l.p[3], l.len[3], ret->global_sig, 64))
                return error(err, err_size, "the global signature line is not 64 bytes of base64");
        return 0;
}

int bw_minisign_verify(const struct bw_minisign_pubkey *pk, const struct bw_minisign_sig *sig, const uint8_t *msg,
                       size_t len, char *err, size_t err_size) {
        if (sodium_init() < 0)
                return error(err, err_size, "libsodium cannot be initialised");
        if (sodium_memcmp(pk->key_id, sig->key_id, BW_MINISIGN_KEY_ID) != 0) {
                char a[17], b[17];
                bw_minisign_key_id_hex(sig->key_id, a);
                bw_minisign_key_id_hex(pk->key_id, b);
                snprintf(err, err_size, "signed with key %s, not key %s", a, b);
                return -ENOKEY;
        }
        uint8_t hash[crypto_generichash_BYTES_MAX];
        const uint8_t *m = msg;
        size_t ml = len;
        if (sig->prehashed) {
                crypto_generichash(hash, sizeof(hash), msg, len, NULL, 0);
                m = hash;
                ml = sizeof(hash);
        }
        if (crypto_sign_verify_detached(sig->sig, m, ml, pk->pk) != 0) {
                snprintf(err, err_size,
                         "the signature does not match the file (it was changed after signing, or "
                         "the signature belongs to another file)");
                return -EBADMSG;
        }
        size_t tl = strlen(sig->trusted_comment);
        uint8_t *g = malloc(64 + tl);
        if (!g)
                return error(err, err_size, "out of memory");
        memcpy(g, sig->sig, 64);
        memcpy(g + 64, sig->trusted_comment, tl);
        int r = crypto_sign_verify_detached(sig->global_sig, g, 64 + tl, pk->pk);
        free(g);
        if (r != 0) {
                snprintf(err, err_size, "the trusted comment was changed after signing");
                return -EBADMSG;
        }
        return 0;
}

int bw_minisign_seckey_parse(const char *text, size_t len, const char *password, struct bw_minisign_seckey *ret,
                             char *err, size_t err_size) {
        if (sodium_init() < 0)
                return error(err, err_size, "libsodium cannot be initialised");
        struct lines l;
        split_lines(text, len, &l);
        size_t k = l.n > 0 && has_prefix(l.p[0], l.len[0], UNTRUSTED_PREFIX) ? 1 : 0;
        uint8_t raw[SECKEY_BYTES];
        if (k >= l.n || !decode(l.p[k], l.len[k], raw, sizeof(raw)))
                return error(err, err_size, "not a minisign secret key");
        const uint8_t *kdf = raw + 2, *salt = raw + 6;
        uint8_t *keynum_sk = raw + 2 + 2 + 2 + 32 + 8 + 8; /* key_id, sk, checksum: 104 bytes */
        if (memcmp(raw, "Ed", 2) != 0 || memcmp(raw + 4, "B2", 2) != 0)
                return error(err, err_size, "unsupported secret key (expected Ed25519 with a BLAKE2b checksum)");
        if (memcmp(kdf, "Sc", 2) == 0) {
                if (!password) {
                        sodium_memzero(raw, sizeof(raw));
                        return error(err, err_size, "the secret key is encrypted: give its password");
                }
                uint64_t ops = bw_le64(raw + 38), mem = bw_le64(raw + 46);
                uint8_t stream[BW_MINISIGN_KEY_ID + 64 + 32];
                if (crypto_pwhash_scryptsalsa208sha256(stream, sizeof(stream), password, strlen(password), salt,
                                                       (unsigned long long) ops, (size_t) mem) != 0) {
                        sodium_memzero(raw, sizeof(raw));
                        return error(err, err_size, "cannot derive the key's decryption stream (out of memory?)");
                }
                for (size_t i = 0; i < sizeof(stream); i++)
                        keynum_sk[i] ^= stream[i];
                sodium_memzero(stream, sizeof(stream));
        } else if (kdf[0] != 0 || kdf[1] != 0) {
                sodium_memzero(raw, sizeof(raw));
                return error(err, err_size, "unsupported key derivation in the secret key");
        }
        /* checksum: BLAKE2b-256 of the algorithm, the key ID and the secret key (minisign -W leaves it
         * zero in an unencrypted key: there is no password to check then) */
        static const uint8_t zero[32];
        bool unchecked = kdf[0] == 0 && kdf[1] == 0 && memcmp(keynum_sk + BW_MINISIGN_KEY_ID + 64, zero, 32) == 0;
        uint8_t chk[32], in[2 + BW_MINISIGN_KEY_ID + 64];
        memcpy(in, raw, 2);
        memcpy(in + 2, keynum_sk, BW_MINISIGN_KEY_ID + 64);
        crypto_generichash(chk, sizeof(chk), in, sizeof(in), NULL, 0);
        sodium_memzero(in, sizeof(in));
        if (!unchecked && sodium_memcmp(chk, keynum_sk + BW_MINISIGN_KEY_ID + 64, 32) != 0) {
                sodium_memzero(raw, sizeof(raw));
                return error(err, err_size, "wrong password for the secret key (or a damaged key)");
        }
        memcpy(ret->key_id, keynum_sk, BW_MINISIGN_KEY_ID);
        memcpy(ret->sk, keynum_sk + BW_MINISIGN_KEY_ID, 64);
        sodium_memzero(raw, sizeof(raw));
        return 0;
}

int bw_minisign_sign(const struct bw_minisign_seckey *sk, const uint8_t *msg, size_t len, const char *trusted_comment,
                     char **ret) {
        if (sodium_init() < 0 || strchr(trusted_comment, '\n') || strlen(trusted_comment) > BW_MINISIGN_COMMENT_MAX)
                return -EINVAL;
        uint8_t hash[crypto_generichash_BYTES_MAX], raw[SIG_BYTES];
        crypto_generichash(hash, sizeof(hash), msg, len, NULL, 0);
        memcpy(raw, "ED", 2); /* NOLINT(bugprone-not-null-terminated-result): raw is binary, "ED" its 2-byte tag */
        memcpy(raw + 2, sk->key_id, BW_MINISIGN_KEY_ID);
        crypto_sign_detached(raw + 2 + BW_MINISIGN_KEY_ID, NULL, hash, sizeof(hash), sk->sk);
        size_t tl = strlen(trusted_comment);
        uint8_t *g = malloc(64 + tl), global[64];
        if (!g)
                return -ENOMEM;
        memcpy(g, raw + 2 + BW_MINISIGN_KEY_ID, 64);
        memcpy(g + 64, trusted_comment, tl); /* NOLINT(bugprone-not-null-terminated-result): g is bytes, no string */
        crypto_sign_detached(global, NULL, g, 64 + tl, sk->sk);
        free(g);
        char b1[sodium_base64_ENCODED_LEN(SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        char b2[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b1, sizeof(b1), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
        sodium_bin2base64(b2, sizeof(b2), global, sizeof(global), sodium_base64_VARIANT_ORIGINAL);
        char id[17];
        bw_minisign_key_id_hex(sk->key_id, id);
        if (asprintf(ret, UNTRUSTED_PREFIX "signature from bulwarkc, key %s\n%s\n" TRUSTED_PREFIX "%s\n%s\n", id, b1,
                     trusted_comment, b2) < 0)
                return -ENOMEM;
        return 0;
}
