/* SPDX-License-Identifier: MIT */
/* term.c: when colour is on (--color, NO_COLOR, a terminal, TERM), the confirmation answer, the
 * progress line's drawing, rate limit and erasure, counts with separators. */
#include "testutil.h"

#include "term.h"

#include <fcntl.h>
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void test_color_when(void **state) {
        (void) state;
        enum bw_color_when w;
        assert_int_equal(bw_color_when_parse("auto", &w), 0);
        assert_int_equal(w, BW_COLOR_AUTO);
        assert_int_equal(bw_color_when_parse("always", &w), 0);
        assert_int_equal(w, BW_COLOR_ALWAYS);
        assert_int_equal(bw_color_when_parse("never", &w), 0);
        assert_int_equal(w, BW_COLOR_NEVER);
        assert_int_equal(bw_color_when_parse("sometimes", &w), -EINVAL);
        assert_int_equal(bw_color_when_parse("", &w), -EINVAL);
}

/* auto: a terminal, TERM not dumb, NO_COLOR unset or empty; always and never whatever they are */
static void test_use_color(void **state) {
        (void) state;
        int master, slave;
        if (openpty(&master, &slave, NULL, NULL, NULL) < 0) {
                print_message("no pseudo-terminal here: skipped\n");
                skip();
        }
        int pipefd[2];
        assert_int_equal(pipe(pipefd), 0);
        setenv("TERM", "xterm", 1);
        unsetenv("NO_COLOR");
        assert_true(bw_term_use_color(BW_COLOR_AUTO, slave));
        assert_false(bw_term_use_color(BW_COLOR_AUTO, pipefd[1]));
        assert_true(bw_term_use_color(BW_COLOR_ALWAYS, pipefd[1]));
        assert_false(bw_term_use_color(BW_COLOR_NEVER, slave));
        setenv("NO_COLOR", "", 1); /* empty: as if unset */
        assert_true(bw_term_use_color(BW_COLOR_AUTO, slave));
        setenv("NO_COLOR", "0", 1); /* any other value disables it, even "0" */
        assert_false(bw_term_use_color(BW_COLOR_AUTO, slave));
        assert_true(bw_term_use_color(BW_COLOR_ALWAYS, slave));
        unsetenv("NO_COLOR");
        setenv("TERM", "dumb", 1);
        assert_false(bw_term_use_color(BW_COLOR_AUTO, slave));
        unsetenv("TERM");
        assert_false(bw_term_use_color(BW_COLOR_AUTO, slave));
        close(master);
        close(slave);
        close(pipefd[0]);
        close(pipefd[1]);
}

static bool answer(const char *input, char *prompt, size_t size) {
        char copy[1024];
        snprintf(copy, sizeof(copy), "%s", input);
        FILE *in = fmemopen(copy, strlen(copy), "r");
        FILE *out = fmemopen(prompt, size, "w");
        assert_non_null(in);
        assert_non_null(out);
        bool yes = bw_term_confirm(in, out, false, "Do it?", "It will be done.");
        fclose(in);
        fclose(out);
        return yes;
}

static void test_confirm(void **state) {
        (void) state;
        char prompt[512];
        assert_true(answer("yes\n", prompt, sizeof(prompt)));
        assert_non_null(strstr(prompt, "Do it?\n  It will be done.\n  Only 'yes' will be accepted to approve.\n"));
        assert_non_null(strstr(prompt, "Enter a value: "));
        assert_null(strchr(prompt, '\033')); /* no colour asked for */
        assert_true(answer("  yes \n", prompt, sizeof(prompt)));
        assert_false(answer("y\n", prompt, sizeof(prompt)));
        assert_false(answer("YES\n", prompt, sizeof(prompt)));
        assert_false(answer("yes please\n", prompt, sizeof(prompt)));
        assert_false(answer("\n", prompt, sizeof(prompt)));
        assert_false(answer("", prompt, sizeof(prompt)));    /* end of input */
        assert_false(answer("yes", prompt, sizeof(prompt))); /* no end of line: interrupted */
        char longer[600];
        memset(longer, ' ', sizeof(longer));
        memcpy(longer + sizeof(longer) - 5, "yes\n", 5);
        assert_false(answer(longer, prompt, sizeof(prompt))); /* longer than a line's buffer */
}

static void test_count(void **state) {
        (void) state;
        char buf[32];
        bw_term_count(0, buf, sizeof(buf));
        assert_string_equal(buf, "0");
        bw_term_count(999, buf, sizeof(buf));
        assert_string_equal(buf, "999");
        bw_term_count(1000, buf, sizeof(buf));
        assert_string_equal(buf, "1,000");
        bw_term_count(1234567, buf, sizeof(buf));
        assert_string_equal(buf, "1,234,567");
        bw_term_count(UINT64_MAX, buf, sizeof(buf));
        assert_string_equal(buf, "18,446,744,073,709,551,615");
}

static size_t drain(int fd, char *buf, size_t size) {
        ssize_t n = read(fd, buf, size - 1);
        buf[n > 0 ? n : 0] = 0;
        return n > 0 ? (size_t) n : 0;
}

static void sleep_ms(long ms) {
        struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
        nanosleep(&t, NULL);
}

static void test_progress(void **state) {
        (void) state;
        int p[2];
        assert_int_equal(pipe2(p, O_NONBLOCK), 0);
        char buf[1024];
        struct bw_progress pr;
        bw_progress_init(&pr, p[1], true);
        bw_progress_update(&pr, 10, 1);
        assert_int_equal(drain(p[0], buf, sizeof(buf)), 0); /* a quick command shows none */
        sleep_ms(300);
        bw_progress_update(&pr, 3000, 1200);
        drain(p[0], buf, sizeof(buf));
        assert_non_null(strstr(buf, "\r  3,000 objects checked, 1,200 changed ("));
        assert_non_null(strstr(buf, "/s)"));
        assert_null(strchr(buf, '\n'));
        bw_progress_update(&pr, 3100, 1200); /* within 100 ms of the last: not redrawn */
        assert_int_equal(drain(p[0], buf, sizeof(buf)), 0);
        sleep_ms(120);
        bw_progress_update(&pr, 3200, 1300);
        drain(p[0], buf, sizeof(buf));
        assert_non_null(strstr(buf, "3,200 objects checked, 1,300 changed"));
        size_t width = pr.width;
        assert_true(width >= strlen("  3,200 objects checked, 1,300 changed (1/s)"));
        bw_progress_end(&pr);
        size_t n = drain(p[0], buf, sizeof(buf));
        assert_int_equal(n, width + 2); /* "\r", blanks over the line, "\r" */
        assert_int_equal(buf[0], '\r');
        assert_int_equal(buf[n - 1], '\r');
        for (size_t i = 1; i + 1 < n; i++)
                assert_int_equal(buf[i], ' ');
        bw_progress_end(&pr); /* nothing drawn: nothing to erase */
        assert_int_equal(drain(p[0], buf, sizeof(buf)), 0);

        /* disabled (not a terminal, or --quiet): never a byte */
        bw_progress_init(&pr, p[1], false);
        sleep_ms(300);
        bw_progress_update(&pr, 5000, 1);
        bw_progress_end(&pr);
        assert_int_equal(drain(p[0], buf, sizeof(buf)), 0);
        close(p[0]);
        close(p[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_color_when), cmocka_unit_test(test_use_color), cmocka_unit_test(test_confirm),
                cmocka_unit_test(test_count),      cmocka_unit_test(test_progress),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
