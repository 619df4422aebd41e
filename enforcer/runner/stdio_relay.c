/* SPDX-License-Identifier: MIT */
#include "stdio_relay.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK 65536

/* The file system anonymous pipes (or sockets) live on: a stream there is nobody's file. */
static dev_t anon_dev(bool sock) {
        int fds[2];
        struct stat st;
        dev_t d = (dev_t) -1;
        if ((sock ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) : pipe2(fds, O_CLOEXEC)) < 0)
                return d;
        if (fstat(fds[0], &st) == 0)
                d = st.st_dev;
        close(fds[0]);
        close(fds[1]);
        return d;
}

int bw_stdio_prepare(struct bw_stdio *io) {
        *io = (struct bw_stdio){.saved = {-1, -1, -1}, .relay = {-1, -1, -1}};
        /* the terminal's settings as the caller had them (the command's terminal starts so),
         * taken before the runner makes it raw */
        io->interactive = isatty(0) && isatty(1) && tcgetattr(0, &io->termios) == 0;
        for (int fd = 0; fd < 3; fd++) {
                struct stat st;
                if (fstat(fd, &st) < 0)
                        continue; /* closed: nothing to protect */
                if (io->interactive && (fd < 2 || isatty(fd))) {
                        io->kind[fd] = BW_STREAM_TTY;
                        continue;
                }
                bool pass = (S_ISFIFO(st.st_mode) && st.st_dev == anon_dev(false)) ||
                            (S_ISSOCK(st.st_mode) && st.st_dev == anon_dev(true)) ||
                            (S_ISCHR(st.st_mode) && !isatty(fd));
                if (pass)
                        continue;
                int p[2];
                if (pipe2(p, O_CLOEXEC) < 0)
                        return -errno;
                int child_end = fd == 0 ? p[0] : p[1];
                io->relay[fd] = fd == 0 ? p[1] : p[0];
                io->saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (io->saved[fd] < 0 || dup2(child_end, fd) < 0) /* dup2: without O_CLOEXEC */
                        return -errno;
                close(child_end);
                io->kind[fd] = BW_STREAM_RELAY;
                io->filter_on[fd] = fd > 0 && isatty(io->saved[fd]); /* output to a terminal */
        }
        return 0;
}

void bw_stdio_after_start(struct bw_stdio *io) {
        for (int fd = 0; fd < 3; fd++)
                if (io->kind[fd] == BW_STREAM_RELAY)
                        dup2(io->saved[fd], fd); /* the runner's own messages go where the caller said */
        if (io->interactive) {
                struct termios raw = io->termios;
                cfmakeraw(&raw);
                io->raw = tcsetattr(0, TCSADRAIN, &raw) == 0;
        }
        /* a command that stops reading its input must not kill the runner */
        signal(SIGPIPE, SIG_IGN);
        for (int fd = 0; fd < 3; fd++)
                if (io->relay[fd] >= 0)
                        fcntl(io->relay[fd], F_SETFL, O_NONBLOCK);
}

/* ---- the terminal filter (see stdio_relay.h) ---- */

enum { T_GROUND = 0, T_ESC, T_CSI, T_CSI_DROP, T_STR, T_C2 };

#define ESC 0x1b
#define BEL 0x07
#define CAN 0x18
#define SUB 0x1a

/* A C1 control (raw, or the second byte of its UTF-8 form): the 8-bit introducers start what
 * their ESC forms would; the others are dropped alone. */
static void c1(struct bw_term_filter *f, unsigned char b) {
        if (b == 0x90 || b == 0x98 || b == 0x9d || b == 0x9e || b == 0x9f)
                f->state = T_STR, f->prev = 0; /* DCS, SOS, OSC, PM, APC */
        else if (b == 0x9b)
                f->state = T_CSI_DROP; /* an 8-bit CSI: no program needs one on a UTF-8 terminal */
        else
                f->state = T_GROUND;
}

size_t bw_term_filter(struct bw_term_filter *f, const char *in, size_t n, char *out) {
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char b = (unsigned char) in[i];
        again:
                switch (f->state) {
                case T_GROUND:
                        /* (after E0 and F0, a second byte below A0 / 90 makes an overlong form,
                         * which a lax decoder could read as a C1 control: not a continuation) */
                        if (f->utf8 && b >= 0x80 && b <= 0xbf && !(f->prev == 0xe0 && b < 0xa0) &&
                            !(f->prev == 0xf0 && b < 0x90)) {
                                f->utf8--;
                                f->prev = 0;
                                out[o++] = (char) b;
                                break;
                        }
                        f->utf8 = 0;
                        if (b == ESC)
                                f->state = T_ESC;
                        else if (b == 0xc2)
                                f->state = T_C2; /* U+0080..U+00BF: C1 controls among them */
                        else if (b >= 0x80 && b <= 0x9f)
                                c1(f, b); /* a stray raw C1 (or a continuation without a lead) */
                        else if (b == 0xc0 || b == 0xc1)
                                ; /* overlong forms of ASCII: never valid, maybe read as controls */
                        else {
                                if (b >= 0xc3 && b <= 0xf4)
                                        f->utf8 = b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
                                f->prev = b; /* the lead byte, for its second one */
                                out[o++] = (char) b;
                        }
                        break;
                case T_C2:
                        if (b >= 0x80 && b <= 0x9f) {
                                c1(f, b);
                                break;
                        }
                        out[o++] = (char) 0xc2;
                        f->state = T_GROUND;
                        if (b >= 0xa0 && b <= 0xbf) {
                                out[o++] = (char) b;
                                break;
                        }
                        goto again;
                case T_ESC:
                        if (b == '[') {
                                f->state = T_CSI;
                                f->csi[0] = ESC, f->csi[1] = '[';
                                f->csi_len = 2;
                        } else if (b == ']' || b == 'P' || b == '_' || b == '^' || b == 'X') {
                                f->state = T_STR, f->prev = 0;
                        } else if (b == ESC) {
                                ; /* the first one does nothing */
                        } else if (b == CAN || b == SUB) {
                                f->state = T_GROUND;
                        } else if (b < 0x20) {
                                out[o++] = (char) b; /* a C0 control inside: the terminal runs it */
                        } else if (b < 0x7f) {
                                out[o++] = ESC; /* ESC 7, ESC =, ESC ( B, ...: drawing and modes */
                                out[o++] = (char) b;
                                f->state = T_GROUND;
                        } else {
                                f->state = T_GROUND;
                                goto again;
                        }
                        break;
                case T_CSI:
                case T_CSI_DROP:
                        if (b >= 0x40 && b <= 0x7e) { /* the final byte */
                                /* t: window operations and reports; i: media copy (printer
                                 * controller mode sends what follows to a printer command) */
                                if (f->state == T_CSI && b != 't' && b != 'i') {
                                        memcpy(out + o, f->csi, f->csi_len);
                                        o += f->csi_len;
                                        out[o++] = (char) b;
                                }
                                f->state = T_GROUND;
                        } else if (b >= 0x20 && b <= 0x3f) {
                                if (f->state == T_CSI && f->csi_len < sizeof(f->csi))
                                        f->csi[f->csi_len++] = (char) b;
                                else
                                        f->state = T_CSI_DROP; /* longer than any real one */
                        } else if (b == ESC || b == CAN || b == SUB || b >= 0x7f) {
                                f->state = T_GROUND; /* aborted: the terminal drops it too */
                                if (b != CAN && b != SUB)
                                        goto again;
                        } else {
                                out[o++] = (char) b; /* a C0 control inside: run at once */
                        }
                        break;
                case T_STR:
                        /* dropped up to its end: BEL (OSC), ST (ESC \, 0x9c raw or in UTF-8), or
                         * CAN/SUB; an ESC that does not make ST starts a new sequence */
                        if (f->prev == ESC) {
                                f->prev = 0;
                                if (b == '\\') {
                                        f->state = T_GROUND;
                                        break;
                                }
                                f->state = T_ESC;
                                goto again;
                        }
                        if (b == BEL || b == CAN || b == SUB || b == 0x9c)
                                f->state = T_GROUND;
                        else
                                f->prev = b;
                        break;
                default:
                        f->state = T_GROUND;
                        goto again;
                }
        }
        return o;
}

/* Write all of buf to fd (a regular file or terminal: blocking is fine). */
static bool write_all(int fd, const char *buf, size_t n) {
        while (n > 0) {
                ssize_t w = write(fd, buf, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return false;
                buf += w;
                n -= (size_t) w;
        }
        return true;
}

ssize_t bw_stdio_pump(struct bw_stdio *io, int report_fd, void *report, size_t report_size,
                      bool (*interim)(const void *report, void *userdata), void *userdata) {
        static char buf[CHUNK];
        static char filtered[CHUNK + BW_TERM_CSI_MAX];
        static char in_buf[CHUNK];
        size_t in_len = 0, in_off = 0;
        bool in_eof = false;
        ssize_t got = -1;
        size_t have = 0;
        for (;;) {
                struct pollfd p[4];
                int n = 0, at_report = -1, at_in = -1, at_out[3] = {-1, -1, -1};
                if (got < 0)
                        p[at_report = n++] = (struct pollfd){report_fd, POLLIN, 0};
                /* input: wait for the source while the buffer is empty, for the pipe while it is not */
                bool buffered = in_off < in_len;
                if (io->relay[0] >= 0)
                        p[at_in = n++] = buffered || in_eof ? (struct pollfd){io->relay[0], POLLOUT, 0}
                                                            : (struct pollfd){io->saved[0], POLLIN, 0};
                for (int fd = 1; fd < 3; fd++)
                        if (io->relay[fd] >= 0)
                                p[at_out[fd] = n++] = (struct pollfd){io->relay[fd], POLLIN, 0};
                if (n == 0)
                        break;
                if (poll(p, (nfds_t) n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (at_report >= 0 && p[at_report].revents) {
                        ssize_t r = read(report_fd, (char *) report + have, report_size - have);
                        if (r < 0 && errno == EINTR)
                                continue;
                        if (r > 0 && (have += (size_t) r) < report_size)
                                continue;
                        if (r > 0 && interim && interim(report, userdata)) {
                                have = 0; /* handled: wait for the next */
                                continue;
                        }
                        got = r <= 0 ? (have ? (ssize_t) have : r) : (ssize_t) have;
                        /* the command has ended: what is left to read from it is its output */
                        if (io->relay[0] >= 0) {
                                close(io->relay[0]);
                                io->relay[0] = -1;
                        }
                        continue;
                }
                if (at_in >= 0 && p[at_in].revents) {
                        if (!buffered && !in_eof) {
                                ssize_t r = read(io->saved[0], in_buf, sizeof(in_buf));
                                if (r < 0 && (errno == EINTR || errno == EAGAIN))
                                        continue;
                                if (r <= 0)
                                        in_eof = true;
                                else {
                                        in_len = (size_t) r;
                                        in_off = 0;
                                }
                        } else if (p[at_in].revents & (POLLERR | POLLHUP)) {
                                in_eof = true, in_off = in_len; /* the command closed its input */
                        } else if (buffered) {
                                ssize_t w = write(io->relay[0], in_buf + in_off, in_len - in_off);
                                if (w > 0)
                                        in_off += (size_t) w;
                                else if (w < 0 && errno != EAGAIN && errno != EINTR)
                                        in_eof = true, in_off = in_len;
                        }
                        if (in_eof && in_off == in_len) {
                                close(io->relay[0]); /* end of input for the command */
                                io->relay[0] = -1;
                        }
                }
                for (int fd = 1; fd < 3; fd++) {
                        if (at_out[fd] < 0 || !p[at_out[fd]].revents)
                                continue;
                        ssize_t r = read(io->relay[fd], buf, sizeof(buf));
                        if (r < 0 && (errno == EAGAIN || errno == EINTR))
                                continue;
                        const char *w = buf;
                        size_t wn = r > 0 ? (size_t) r : 0;
                        if (r > 0 && io->filter_on[fd]) {
                                wn = bw_term_filter(&io->filter[fd], buf, wn, filtered);
                                w = filtered;
                        }
                        if (r <= 0 || !write_all(io->saved[fd], w, wn)) {
                                close(io->relay[fd]); /* every writer gone (the namespace with it) */
                                io->relay[fd] = -1;
                        }
                }
        }
        return got;
}

void bw_stdio_restore(struct bw_stdio *io) {
        if (io->raw) {
                tcsetattr(0, TCSADRAIN, &io->termios);
                io->raw = false;
        }
        for (int fd = 0; fd < 3; fd++) {
                if (io->relay[fd] >= 0)
                        close(io->relay[fd]);
                if (io->saved[fd] >= 0) {
                        dup2(io->saved[fd], fd); /* (again:) the caller's own stream */
                        close(io->saved[fd]);
                }
                io->relay[fd] = io->saved[fd] = -1;
        }
}

void bw_stdio_suspend(struct bw_stdio *io, int sig) {
        if (io->raw)
                tcsetattr(0, TCSADRAIN, &io->termios);
        struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
        sigemptyset(&dfl.sa_mask);
        bool catchable = sig != SIGSTOP && sig != SIGKILL;
        if (catchable)
                sigaction(sig, &dfl, &old);
        sigset_t one, saved;
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, &saved);
        /* stops here until continued; in an orphaned process group (no shell with job control
         * above) the kernel drops a terminal stop signal and the command goes on at once */
        kill(getpid(), sig);
        sigprocmask(SIG_SETMASK, &saved, NULL);
        if (catchable)
                sigaction(sig, &old, NULL);
        if (io->raw) {
                struct termios raw = io->termios;
                cfmakeraw(&raw);
                tcsetattr(0, TCSADRAIN, &raw);
        }
}

/* ---- inside the sandbox ---- */

int bw_pty_open(const struct termios *t, const struct winsize *ws, int *ret_master, int *ret_slave) {
        int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return -errno;
        int unlock = 0;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0) {
                int e = -errno;
                close(master);
                return e;
        }
        /* the slave through the master, not by a name someone could swap */
        int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0) {
                int e = -errno;
                close(master);
                return e;
        }
        tcsetattr(slave, TCSANOW, t);
        if (ws)
                ioctl(slave, TIOCSWINSZ, ws);
        *ret_master = master;
        *ret_slave = slave;
        return 0;
}

int bw_pty_lead(int slave) {
        if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
                return -errno;
        return 0;
}

void bw_pty_attach(int slave, bool stderr_too) {
        /* the foreground process group of the terminal: SIGTTOU blocked while it takes it (a
         * background group's tcsetpgrp would stop it) */
        setpgid(0, 0);
        sigset_t ttou, old;
        sigemptyset(&ttou);
        sigaddset(&ttou, SIGTTOU);
        sigprocmask(SIG_BLOCK, &ttou, &old);
        tcsetpgrp(slave, getpid());
        sigprocmask(SIG_SETMASK, &old, NULL);
        dup2(slave, 0);
        dup2(slave, 1);
        if (stderr_too)
                dup2(slave, 2);
        if (slave > 2)
                close(slave);
}

void bw_pty_resize(int master) {
        struct winsize ws;
        if (master >= 0 && ioctl(0, TIOCGWINSZ, &ws) == 0)
                ioctl(master, TIOCSWINSZ, &ws);
}

int bw_pty_relay(struct bw_pty *p, int *ret_status) {
        static char buf[CHUNK];
        static char filtered[CHUNK + BW_TERM_CSI_MAX];
        bool ended = false, in_open = true;
        fcntl(p->master, F_SETFL, O_NONBLOCK);
        for (;;) {
                /* paused (the command stopped, the caller's shell has the terminal): its input is
                 * not read until the runner says the command goes on */
                struct pollfd pf[4] = {{p->master, POLLIN, 0},
                                       {p->sigchld_fd, POLLIN, 0},
                                       {in_open && !p->paused ? 0 : -1, POLLIN, 0},
                                       {p->control_fd, POLLIN, 0}};
                if (!ended && poll(pf, 4, -1) < 0 && errno != EINTR)
                        return -errno;
                if ((pf[3].revents & (POLLIN | POLLHUP | POLLERR)) && p->control) {
                        if (p->control(p, p->control_userdata) < 0)
                                p->control_fd = -1;
                } else if (pf[3].revents & POLLIN) {
                        char c;
                        ssize_t r = read(p->control_fd, &c, 1);
                        if (r == 1 && c == 'c' && p->paused) {
                                p->paused = false;
                                kill(-p->cmd, SIGCONT);
                                kill(p->cmd, SIGCONT); /* (in case it has no group of its own yet) */
                        } else if (r == 0)
                                p->control_fd = -1; /* the runner is gone: init dies with it */
                } else if (pf[3].revents & (POLLHUP | POLLERR))
                        p->control_fd = -1;
                if (ended || (pf[1].revents & POLLIN)) {
                        char drain[64];
                        while (read(p->sigchld_fd, drain, sizeof(drain)) > 0)
                                ;
                        for (;;) {
                                int st;
                                pid_t w = waitpid(-1, &st, WNOHANG | WUNTRACED);
                                if (w <= 0)
                                        break;
                                if (w == p->cmd && WIFSTOPPED(st) && !ended) {
                                        p->paused = true;
                                        *ret_status = st;
                                        return BW_PTY_STOPPED;
                                }
                                if (w == p->cmd && !WIFSTOPPED(st)) {
                                        *ret_status = st;
                                        ended = true;
                                }
                        }
                }
                if (ended || (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                        ssize_t r;
                        while ((r = read(p->master, buf, sizeof(buf))) > 0)
                                if (!write_all(1, filtered, bw_term_filter(&p->filter, buf, (size_t) r, filtered)))
                                        break;
                        if (ended)
                                return BW_PTY_ENDED; /* EAGAIN: drained; EIO: no slave left */
                }
                if (pf[2].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t r = read(0, buf, sizeof(buf));
                        if (r <= 0)
                                in_open = false;
                        else
                                write_all(p->master, buf, (size_t) r);
                }
        }
}
