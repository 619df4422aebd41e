/* SPDX-License-Identifier: MIT */
/*
 * Win32 only (the cross build, run under Wine by scripts/windows.sh test): what Wine runs
 * faithfully and bulwark depends on, none of it a security effect. (1) The command line
 * bw_win_cmdline_quote builds is split back into the same argv by the C runtime of a real child
 * process (this program started again with --echo). (2) DPAPI through the real operations
 * round-trips and the blob does not hold the secret in clear. (3) The per-user state directory's
 * plumbing (bw_win_make_dir_sd, bw_win_user_dir_verify, the final path): it runs, refuses what is
 * not a directory and names what is absent; whether Windows keeps the descriptor and what the
 * check then decides is the runbook's (P1, P5): Wine's answer proves nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "win_cmdline.h"
#include "win_ops_real.h"
#include "win_path.h"
#include "win_sd.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char self[MAX_PATH + 1];

/* Run self with argv (argv[0] is replaced by self), return what it printed (malloc()ed). */
static char *run_echo(const char *const *args, size_t n) {
        const char **argv = calloc(n + 3, sizeof(char *));
        argv[0] = self;
        argv[1] = "--echo";
        for (size_t i = 0; i < n; i++)
                argv[2 + i] = args[i];
        char *line;
        assert_int_equal(bw_win_cmdline_quote(argv, &line), 0);
        free(argv);
        SECURITY_ATTRIBUTES sa = {.nLength = sizeof(sa), .bInheritHandle = TRUE};
        HANDLE rd, wr;
        assert_true(CreatePipe(&rd, &wr, &sa, 0));
        SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
        STARTUPINFOA si = {.cb = sizeof(si),
                           .dwFlags = STARTF_USESTDHANDLES,
                           .hStdOutput = wr,
                           .hStdError = GetStdHandle(STD_ERROR_HANDLE),
                           .hStdInput = GetStdHandle(STD_INPUT_HANDLE)};
        PROCESS_INFORMATION pi;
        assert_true(CreateProcessA(self, line, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi));
        CloseHandle(wr);
        size_t cap = 4096, got = 0;
        char *out = malloc(cap);
        DWORD n_read;
        while (ReadFile(rd, out + got, (DWORD) (cap - got - 1), &n_read, NULL) && n_read > 0) {
                got += n_read;
                if (cap - got < 2)
                        out = realloc(out, cap *= 2);
        }
        out[got] = '\0';
        /* the child's stdout may be in text mode: its newlines arrive as CR LF */
        size_t k = 0;
        for (size_t i = 0; i < got; i++)
                if (out[i] != '\r')
                        out[k++] = out[i];
        out[k] = '\0';
        WaitForSingleObject(pi.hProcess, INFINITE);
        CloseHandle(pi.hProcess);
        CloseHandle(pi.hThread);
        CloseHandle(rd);
        free(line);
        return out;
}

static void expect_roundtrip(const char *const *args, size_t n) {
        char *out = run_echo(args, n), want[8192] = "";
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                for (const unsigned char *p = (const unsigned char *) args[i]; *p; p++)
                        o += (size_t) snprintf(want + o, sizeof(want) - o, "%02x", *p);
                o += (size_t) snprintf(want + o, sizeof(want) - o, "\n");
        }
        assert_string_equal(out, want);
        free(out);
}

static void test_argv_through_the_runtime(void **state) {
        (void) state;
        const char *const tricky[] = {"plain",
                                      "two words",
                                      "",
                                      "quote\"inside",
                                      "trailing\\",
                                      "tr ail\\",
                                      "back\\\\\"q",
                                      "\\\\server\\share",
                                      "tab\there",
                                      "\"",
                                      "\\",
                                      "a\\\\b c"};
        expect_roundtrip(tricky, sizeof(tricky) / sizeof(tricky[0]));
        /* every argument of up to 4 characters from the troublesome alphabet, one child each batch */
        static const char alphabet[] = {'a', ' ', '\\', '"', '\t'};
        char storage[625][5];
        const char *batch[625];
        size_t n = 0;
        for (size_t v = 0; v < 625; v++) {
                size_t x = v;
                for (int i = 0; i < 4; i++, x /= 5)
                        storage[n][i] = alphabet[x % 5];
                storage[n][4] = '\0';
                batch[n] = storage[n];
                n++;
        }
        expect_roundtrip(batch, n);
}

static void test_dpapi(void **state) {
        (void) state;
        struct bw_win_ops ops;
        bw_win_ops_real(&ops);
        const char *secret = "Kq3v9Wm2Xr7Tz1Bn5Lp8!aA1";
        uint8_t *blob, *back;
        size_t blob_n, back_n;
        assert_int_equal(ops.protect(NULL, (const uint8_t *) secret, strlen(secret), &blob, &blob_n), 0);
        assert_true(blob_n > strlen(secret));
        for (size_t i = 0; i + strlen(secret) <= blob_n; i++)
                assert_false(memcmp(blob + i, secret, strlen(secret)) == 0);
        assert_int_equal(ops.unprotect(NULL, blob, blob_n, &back, &back_n), 0);
        assert_int_equal(back_n, strlen(secret));
        assert_memory_equal(back, secret, back_n);
        blob[blob_n / 2] ^= 0xff; /* a damaged blob is refused */
        free(back);
        back = NULL;
        assert_int_not_equal(ops.unprotect(NULL, blob, blob_n, &back, &back_n), 0);
        free(blob);
        free(back);
}

static void test_user_state_plumbing(void **state) {
        (void) state;
        char tmp[MAX_PATH + 1], dir[MAX_PATH * 2], file[MAX_PATH * 2], why[512] = "";
        DWORD n = GetTempPathA(sizeof(tmp), tmp);
        assert_true(n > 0 && n < sizeof(tmp));
        snprintf(dir, sizeof(dir), "%sbw-user-state-%lu", tmp, (unsigned long) GetCurrentProcessId());
        snprintf(file, sizeof(file), "%s\\file", dir);
        struct bw_win_sid me;
        assert_int_equal(bw_win_caller_sid(&me), 0);
        uint8_t *sd = NULL;
        size_t sd_n = 0;
        assert_int_equal(bw_win_user_state_sd(&me, &sd, &sd_n), 0);
        assert_int_equal(bw_win_user_dir_verify(dir, why, sizeof(why)), -ENOENT);
        assert_int_equal(bw_win_make_dir_sd(dir, sd), 0);
        assert_int_equal(bw_win_make_dir_sd(dir, sd), -EEXIST);
        int r = bw_win_user_dir_verify(dir, why, sizeof(why));
        print_message("per-user state directory under Wine: %d %s (no security claim)\n", r, why);
        assert_true(r == 0 || ((r == -EPERM || r == -EACCES) && why[0]));
        /* what apply does to a directory that was there: bulwark's DACL set again, still passing */
        assert_int_equal(bw_win_set_dir_dacl(dir, sd), 0);
        why[0] = 0;
        assert_int_equal(bw_win_user_dir_verify(dir, why, sizeof(why)), r);
        FILE *f = fopen(file, "w");
        assert_non_null(f);
        fclose(f);
        why[0] = 0;
        assert_int_equal(bw_win_user_dir_verify(file, why, sizeof(why)), -EPERM);
        assert_non_null(strstr(why, "not a directory"));
        /* the final path of what exists, in plan form; of what does not, -ENOENT */
        struct bw_win_ops ops;
        bw_win_ops_real(&ops);
        char *plan = NULL, *fin = NULL;
        const char *pwhy = NULL;
        assert_int_equal(bw_win_path_to_plan(dir, &plan, &pwhy), 0);
        assert_int_equal(bw_win_path_canonical(&ops, plan, true, &fin, &pwhy), 0);
        assert_true(bw_win_path_equal(fin, plan));
        free(fin);
        DeleteFileA(file);
        RemoveDirectoryA(dir);
        assert_int_equal(bw_win_path_canonical(&ops, plan, true, &fin, &pwhy), -ENOENT);
        free(plan);
        free(sd);
}

int main(int argc, char **argv) {
        if (argc >= 2 && strcmp(argv[1], "--echo") == 0) {
                for (int i = 2; i < argc; i++) {
                        for (const unsigned char *p = (const unsigned char *) argv[i]; *p; p++)
                                printf("%02x", *p);
                        printf("\n");
                }
                return 0;
        }
        if (!GetModuleFileNameA(NULL, self, MAX_PATH))
                return 1;
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_argv_through_the_runtime),
                cmocka_unit_test(test_dpapi),
                cmocka_unit_test(test_user_state_plumbing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
