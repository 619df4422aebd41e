/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define BW_SHA256_SIZE 32

struct bw_sha256;
/* Incremental SHA-256 (OpenSSL's, which uses the CPU's SHA extensions where present). */
struct bw_sha256 *bw_sha256_new(void);
void bw_sha256_update(struct bw_sha256 *h, const void *data, size_t size);
void bw_sha256_final(struct bw_sha256 *h, uint8_t out[BW_SHA256_SIZE]); /* also frees h */
void bw_sha256(const void *data, size_t size, uint8_t out[BW_SHA256_SIZE]);
