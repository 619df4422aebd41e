/* SPDX-License-Identifier: MIT */
/*
 * A plain-C stand-in for libFuzzer's main(): feed every file of the given corpus directories (or
 * the given files) once to LLVMFuzzerTestOneInput. Linked with a fuzz target, it turns the
 * checked-in corpus into a regression test that any compiler builds (gcc included) and that the
 * sanitizer build runs under ASan and UBSan. A finding aborts, as it would under libFuzzer.
 *
 *   replay_plan tests/fuzz/corpus/plan
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target: weak, so a target without it links too. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(int dfd, const char *name, const char *shown) {
        int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "replay: %s: %s\n", shown, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        size_t size = (size_t) st.st_size;
        /* exactly size bytes (at least one to have a pointer), so ASan sees reads past the end */
        uint8_t *buf = malloc(size ? size : 1);
        if (!buf) {
                close(fd);
                return -1;
        }
        size_t done = 0;
        while (done < size) {
                ssize_t n = read(fd, buf + done, size - done);
                if (n <= 0)
                        break;
                done += (size_t) n;
        }
        close(fd);
        if (done != size) {
                fprintf(stderr, "replay: %s: short read\n", shown);
                free(buf);
                return -1;
        }
        LLVMFuzzerTestOneInput(buf, size);
        free(buf);
        return 0;
}

static int by_name(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Every regular file of dir, in name order (the same order on every machine). */
static int replay_dir(const char *dir, unsigned *count) {
        DIR *d = opendir(dir);
        if (!d) {
                fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
                return -1;
        }
        char **names = NULL;
        size_t n = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                char **v = realloc(names, (n + 1) * sizeof(*names));
                if (!v)
                        abort();
                names = v;
                names[n] = strdup(de->d_name);
                if (!names[n])
                        abort();
                n++;
        }
        if (n)
                qsort(names, n, sizeof(*names), by_name);
        int ret = 0;
        for (size_t i = 0; i < n; i++) {
                char shown[4096];
                snprintf(shown, sizeof(shown), "%s/%s", dir, names[i]);
                struct stat st;
                if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
                        if (replay_file(dirfd(d), names[i], shown) < 0)
                                ret = -1;
                        else
                                (*count)++;
                }
                free(names[i]);
        }
        free(names);
        closedir(d);
        return ret;
}

int main(int argc, char **argv) {
        if (argc < 2) {
                fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
                return 64;
        }
        if (LLVMFuzzerInitialize)
                LLVMFuzzerInitialize(&argc, &argv);
        unsigned count = 0;
        int ret = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
                        if (replay_dir(argv[i], &count) < 0)
                                ret = 1;
                } else if (replay_file(AT_FDCWD, argv[i], argv[i]) < 0)
                        ret = 1;
                else
                        count++;
        }
        printf("replay: %u inputs, no crash\n", count);
        if (count == 0) {
                fprintf(stderr, "replay: no inputs: the corpus is missing\n");
                return 1;
        }
        return ret;
}
