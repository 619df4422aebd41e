/* SPDX-License-Identifier: MIT */
#include "journal.h"

#include <fcntl.h>
#include <sys/stat.h>

#define RECORD_MAGIC 0x524a5742u /* "BWJR" */
#define MAX_PAYLOAD (1u << 20)

static uint32_t crc_table[256];

static void crc_init(void) {
        for (uint32_t i = 0; i < 256; i++) {
                uint32_t c = i;
                for (int k = 0; k < 8; k++)
                        c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
                crc_table[i] = c;
        }
}

/* CRC-32 (IEEE), enough to tell a torn or damaged record from a good one. */
uint32_t bw_crc32(uint32_t crc, const void *data, size_t len) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        const uint32_t *table = crc_table;
        pthread_once(&once, crc_init);
        const uint8_t *p = data;
        crc = ~crc;
        for (size_t i = 0; i < len; i++)
                crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
        return ~crc;
}

/* Does the journal end with a well-formed COMMIT record (16 bytes of framing + a 32-byte digest)? */
static bool ends_with_commit(int dirfd, const char *name) {
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return false;
        struct stat st;
        uint8_t rec[48];
        bool ok = fstat(fd, &st) == 0 && st.st_size >= (off_t) sizeof(rec) &&
                  pread(fd, rec, sizeof(rec), st.st_size - (off_t) sizeof(rec)) == (ssize_t) sizeof(rec) &&
                  bw_le32(rec) == RECORD_MAGIC && bw_le32(rec + 4) == BW_JOURNAL_COMMIT && bw_le32(rec + 8) == 32 &&
                  bw_crc32(0, rec + 4, 8 + 32) == bw_le32(rec + 44);
        close(fd);
        return ok;
}

int bw_journal_open(struct bw_journal *j, int dirfd, const char *name) {
        /* A journal left by a crash may end in a torn record: cut it off (and sync that) before
         * appending, or the new records would follow garbage and revert would refuse them all.
         * Damage anywhere else is refused: appending would bury it. A journal whose last record
         * is a COMMIT was closed by a finished apply and is not read through again (revert
         * still checks every record). */
        uint8_t *data = NULL;
        struct bw_journal_record *recs = NULL;
        size_t n = 0;
        uint64_t bad = 0, good = 0;
        int r;
        if (ends_with_commit(dirfd, name)) {
                r = 1; /* the last apply finished: nothing torn, no need to read it all */
        } else {
                r = bw_journal_read_good(dirfd, name, &data, &recs, &n, &bad, &good);
                free(recs);
                free(data);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        j->fd = openat(dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (j->fd < 0)
                return -errno;
        struct stat st;
        if (r == 0 && fstat(j->fd, &st) == 0 && (uint64_t) st.st_size > good) {
                if (ftruncate(j->fd, (off_t) good) < 0 || fsync(j->fd) < 0) {
                        int e = -errno;
                        close(j->fd);
                        j->fd = -1;
                        return e;
                }
        }
        /* the new file's directory entry must survive a crash too */
        if (r == -ENOENT)
                fsync(dirfd);
        pthread_mutex_init(&j->lock, NULL);
        return 0;
}

void bw_journal_close(struct bw_journal *j) {
        if (j->fd >= 0) {
                close(j->fd);
                pthread_mutex_destroy(&j->lock);
        }
        j->fd = -1;
}

int bw_journal_append(struct bw_journal *j, const struct bw_journal_record *r, size_t n) {
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
                if (r[i].len > MAX_PAYLOAD)
                        return -E2BIG;
                total += 16 + r[i].len;
        }
        _cleanup_free_ uint8_t *buf = malloc(total ? total : 1);
        if (!buf)
                return -ENOMEM;
        uint8_t *q = buf;
        for (size_t i = 0; i < n; i++) {
                bw_put_le32(q, RECORD_MAGIC);
                bw_put_le32(q + 4, r[i].type);
                bw_put_le32(q + 8, r[i].len);
                if (r[i].len)
                        memcpy(q + 12, r[i].payload, r[i].len);
                bw_put_le32(q + 12 + r[i].len, bw_crc32(0, q + 4, 8 + r[i].len));
                q += 16 + r[i].len;
        }
        pthread_mutex_lock(&j->lock);
        int ret = 0;
        size_t off = 0;
        while (off < total) {
                ssize_t w = write(j->fd, buf + off, total - off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        ret = w < 0 ? -errno : -EIO;
                        break;
                }
                off += (size_t) w;
        }
        if (ret == 0 && fdatasync(j->fd) < 0)
                ret = -errno;
        if (ret < 0 && off > 0) {
                /* a partial append: take it back, so the journal stays readable */
                struct stat st;
                if (fstat(j->fd, &st) == 0 && (uint64_t) st.st_size >= off)
                        (void) !ftruncate(j->fd, st.st_size - (off_t) off);
        }
        pthread_mutex_unlock(&j->lock);
        return ret;
}

/* ACL payload: u64 ino, u32 mode, u8 had_before, u8 is_default, u16 root length, u32 rel length,
 * u32 before length, then root, rel and before bytes. */
#define ACL_HEADER 24

uint8_t *bw_journal_acl_encode(const struct bw_journal_acl *a, uint32_t *ret_len) {
        size_t len = ACL_HEADER + a->root_len + a->rel_len + a->before_len;
        uint8_t *p = malloc(len);
        if (!p)
                abort();
        bw_put_le64(p, a->ino);
        bw_put_le32(p + 8, a->mode);
        p[12] = a->had_before;
        p[13] = a->is_default;
        bw_put_le16(p + 14, (uint16_t) a->root_len);
        bw_put_le32(p + 16, (uint32_t) a->rel_len);
        bw_put_le32(p + 20, (uint32_t) a->before_len);
        memcpy(p + ACL_HEADER, a->root, a->root_len);
        memcpy(p + ACL_HEADER + a->root_len, a->rel, a->rel_len);
        if (a->before_len)
                memcpy(p + ACL_HEADER + a->root_len + a->rel_len, a->before, a->before_len);
        *ret_len = (uint32_t) len;
        return p;
}

uint8_t *bw_journal_account_encode(const struct bw_journal_account *a, uint32_t *ret_len, int *ret_error) {
        bool members = a->kind == BW_JOURNAL_ACCOUNT_MEMBERS;
        if (a->kind < BW_JOURNAL_ACCOUNT_USER || a->kind > BW_JOURNAL_ACCOUNT_MEMBERS || a->name_len == 0 ||
            a->name_len > BW_JOURNAL_ACCOUNT_NAME_MAX || memchr(a->name, 0, a->name_len) ||
            (members && (a->groups_len > UINT16_MAX || memchr(a->groups, 0, a->groups_len)))) {
                *ret_error = -EINVAL;
                return NULL;
        }
        size_t len = 2 + a->name_len + (members ? 1 + a->groups_len : 0);
        uint8_t *p = malloc(len);
        if (!p) {
                *ret_error = -ENOMEM;
                return NULL;
        }
        p[0] = a->kind;
        p[1] = a->existed;
        memcpy(p + 2, a->name, a->name_len);
        if (members) {
                p[2 + a->name_len] = 0;
                if (a->groups_len)
                        memcpy(p + 3 + a->name_len, a->groups, a->groups_len);
        }
        *ret_len = (uint32_t) len;
        *ret_error = 0;
        return p;
}

int bw_journal_account_decode(const uint8_t *p, uint32_t len, struct bw_journal_account *ret) {
        if (len < 3 || p[0] < BW_JOURNAL_ACCOUNT_USER || p[0] > BW_JOURNAL_ACCOUNT_MEMBERS || p[1] > 1)
                return -EBADMSG;
        struct bw_journal_account a = {.kind = p[0], .existed = p[1], .name = (const char *) p + 2};
        const char *end = (const char *) p + len;
        if (a.kind == BW_JOURNAL_ACCOUNT_MEMBERS) {
                const char *nul = memchr(a.name, 0, (size_t) (end - a.name));
                if (!nul || nul == a.name)
                        return -EBADMSG;
                a.name_len = (size_t) (nul - a.name);
                a.groups = nul + 1;
                a.groups_len = (size_t) (end - a.groups);
        } else
                a.name_len = (size_t) (end - a.name);
        if (a.name_len > BW_JOURNAL_ACCOUNT_NAME_MAX || memchr(a.name, 0, a.name_len) ||
            (a.groups && memchr(a.groups, 0, a.groups_len)))
                return -EBADMSG;
        *ret = a;
        return 0;
}

int bw_journal_acl_decode(const uint8_t *p, uint32_t len, struct bw_journal_acl *ret) {
        if (len < ACL_HEADER)
                return -EBADMSG;
        struct bw_journal_acl a = {.ino = bw_le64(p), .mode = bw_le32(p + 8), .had_before = p[12], .is_default = p[13]};
        a.root_len = bw_le16(p + 14);
        a.rel_len = bw_le32(p + 16);
        a.before_len = bw_le32(p + 20);
        if (p[12] > 1 || p[13] > 1 || (uint64_t) ACL_HEADER + a.root_len + a.rel_len + a.before_len != len ||
            (!a.had_before && a.before_len) || a.root_len == 0)
                return -EBADMSG;
        a.root = (const char *) p + ACL_HEADER;
        a.rel = a.root + a.root_len;
        a.before = (const uint8_t *) a.rel + a.rel_len;
        *ret = a;
        return 0;
}

int bw_journal_read(int dirfd, const char *name, uint8_t **ret_data, struct bw_journal_record **ret, size_t *ret_n,
                    uint64_t *bad_offset) {
        uint64_t good;
        return bw_journal_read_good(dirfd, name, ret_data, ret, ret_n, bad_offset, &good);
}

int bw_journal_read_good(int dirfd, const char *name, uint8_t **ret_data, struct bw_journal_record **ret, size_t *ret_n,
                         uint64_t *bad_offset, uint64_t *ret_good) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        size_t size = (size_t) st.st_size;
        _cleanup_free_ uint8_t *data = malloc(size ? size : 1);
        if (!data)
                return -ENOMEM;
        ssize_t rd = bw_read_full(fd, data, size);
        if (rd < 0)
                return (int) rd;
        size_t got = (size_t) rd;
        struct bw_journal_record *recs = NULL;
        size_t n = 0, cap = 0, off = 0;
        while (off < got) {
                if (got - off < 16 || bw_le32(data + off) != RECORD_MAGIC) {
                        if (got - off < 16)
                                break; /* a torn tail */
                        free(recs);
                        *bad_offset = off;
                        return -EBADMSG;
                }
                uint32_t type = bw_le32(data + off + 4), len = bw_le32(data + off + 8);
                if (len > MAX_PAYLOAD) {
                        free(recs);
                        *bad_offset = off;
                        return -EBADMSG;
                }
                if ((uint64_t) off + 16 + len > got)
                        break; /* torn tail */
                if (bw_crc32(0, data + off + 4, 8 + len) != bw_le32(data + off + 12 + len)) {
                        /* a bad checksum on the very last record is a torn write; elsewhere, damage */
                        if (off + 16 + len == got)
                                break;
                        free(recs);
                        *bad_offset = off;
                        return -EBADMSG;
                }
                if (type < BW_JOURNAL_BEGIN || type > BW_JOURNAL_RUNNER) {
                        free(recs);
                        *bad_offset = off;
                        return -EBADMSG;
                }
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        recs = realloc(recs, cap * sizeof(*recs));
                        if (!recs)
                                abort();
                }
                recs[n++] = (struct bw_journal_record){type, data + off + 12, len};
                off += 16 + len;
        }
        *ret_data = TAKE_PTR(data);
        *ret = recs;
        *ret_n = n;
        *ret_good = off;
        return 0;
}
