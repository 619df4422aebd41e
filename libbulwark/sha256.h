/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define BW_SHA256_SIZE 32

struct bw_sha256;
/* Incremental SHA-256 (sha256.c: libsodium's for small inputs, libcrypto's for large ones). */
struct bw_sha256 *bw_sha256_new(void);
/* The same, for about expected bytes: large inputs take the faster implementation. */
struct bw_sha256 *bw_sha256_new_sized(size_t expected);
void bw_sha256_update(struct bw_sha256 *h, const void *data, size_t size);
void bw_sha256_final(struct bw_sha256 *h, uint8_t out[BW_SHA256_SIZE]); /* also frees h */
void bw_sha256(const void *data, size_t size, uint8_t out[BW_SHA256_SIZE]);
