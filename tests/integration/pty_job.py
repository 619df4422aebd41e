# SPDX-License-Identifier: MIT
"""A terminal and a job-control shell in miniature, for interactive runs (tests/integration/session.sh).

Usage: pty_job.py SCENARIO COMMAND [ARG...]

COMMAND runs as a foreground job on a fresh pseudo-terminal (33 rows, 101 columns), in a process
group of its own inside the terminal's session, whose leader acts as its shell: when the job
stops it takes the terminal back and says so, and continues the job ("fg") when told. Scenarios:
  plain   run to the end
  winch   after "ready" appears, resize the terminal to 40x120
  intr    after "ready" appears, type ^C
  stop    after "ready" appears, type ^Z; once the job has stopped, fg it; then type "hello"
  hold    after "ready" appears, type ^Z; once the job has stopped, read the file COUNT_FILE names
          twice, a second apart ("HELD A B"), then fg it
Prints what the terminal showed, a line "STOPPED SIG" per stop and "STATUS exit N" or
"STATUS signal N" at the end. Exits 1 when something takes longer than 20 s.
"""
import fcntl
import os
import select
import signal
import struct
import sys
import termios
import time

scenario, argv = sys.argv[1], sys.argv[2:]
master, slave = os.openpty()
fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
report_r, report_w = os.pipe()  # leader -> test: STOPPED/STATUS lines
control_r, control_w = os.pipe()  # test -> leader: "fg"

leader = os.fork()
if leader == 0:
    os.close(master)
    os.close(report_r)
    os.close(control_w)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    job = os.fork()
    if job == 0:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        os.tcsetpgrp(slave, os.getpid())
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.closerange(3, 1024)
        os.execvp(argv[0], argv)
    try:
        os.setpgid(job, job)
    except OSError:
        pass
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    os.tcsetpgrp(slave, job)
    while True:
        _, st = os.waitpid(job, os.WUNTRACED)
        if os.WIFSTOPPED(st):
            os.tcsetpgrp(slave, os.getpgrp())  # the shell has the terminal again
            os.write(report_w, b"STOPPED %d\n" % os.WSTOPSIG(st))
            if os.read(control_r, 16).strip() == b"fg":
                os.tcsetpgrp(slave, job)
                os.killpg(job, signal.SIGCONT)
            continue
        if os.WIFSIGNALED(st):
            os.write(report_w, b"STATUS signal %d\n" % os.WTERMSIG(st))
        else:
            os.write(report_w, b"STATUS exit %d\n" % os.WEXITSTATUS(st))
        os._exit(0)

os.close(slave)
os.close(report_w)
os.close(control_r)
out = b""
reports = b""
deadline = time.time() + 20
acted = False


def pump(timeout):
    global out, reports
    r, _, _ = select.select([master, report_r], [], [], timeout)
    if master in r:
        try:
            out += os.read(master, 65536)
        except OSError:
            pass
    if report_r in r:
        reports += os.read(report_r, 4096)


while b"STATUS" not in reports:
    if time.time() > deadline:
        sys.stdout.write(out.decode(errors="replace") + reports.decode() + "TIMEOUT\n")
        os.kill(leader, signal.SIGKILL)
        sys.exit(1)
    pump(0.05)
    if not acted and b"ready" in out:
        acted = True
        time.sleep(0.3)
        if scenario == "winch":
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        elif scenario == "intr":
            os.write(master, b"\x03")
        elif scenario == "stop":
            os.write(master, b"\x1a")
            while b"STOPPED" not in reports and time.time() < deadline:
                pump(0.05)
            time.sleep(0.3)
            os.write(control_w, b"fg\n")
            time.sleep(0.3)
            os.write(master, b"hello\r")
        elif scenario == "hold":
            os.write(master, b"\x1a")
            while b"STOPPED" not in reports and time.time() < deadline:
                pump(0.05)
            time.sleep(0.5)
            a = open(os.environ["COUNT_FILE"]).read().strip()
            time.sleep(1)
            b = open(os.environ["COUNT_FILE"]).read().strip()
            reports += b"HELD %s %s\n" % (a.encode(), b.encode())
            os.write(control_w, b"fg\n")
# what is left of the output
end = time.time() + 1
while time.time() < end:
    r, _, _ = select.select([master], [], [], 0.1)
    if not r:
        break
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
os.waitpid(leader, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", "") + "\n" + reports.decode())
