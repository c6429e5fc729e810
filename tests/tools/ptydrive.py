#!/usr/bin/env python3
"""Drive a command on a terminal as a person at the keyboard would (for the bats tests).

  ptydrive.py [--size ROWS COLS] [--timeout SECS] STEP... -- COMMAND [ARG...]

COMMAND runs on a new pseudo-terminal (its stdin, stdout and stderr), of ROWS x COLS when
--size is given. The steps run in order:
  --expect TEXT   wait until the output after the last match holds TEXT
  --send TEXT     type TEXT (with Python's escapes: \\r for Enter, \\x01 for Ctrl-A, ...)
Then the command's end is awaited (the terminal's end of file). Every wait is bounded by
--timeout (default 600 s); a command that has not ended by then is killed, by its pid.

Prints what the command wrote, then "status N" (its exit status, as a shell gives it) or
"still running" (it did not end and was killed). Exits 1 when an --expect is not met.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def usage(msg):
    sys.exit("ptydrive.py: %s (usage: ptydrive.py [--size R C] [--timeout S] "
             "[--expect TEXT | --send TEXT]... -- COMMAND [ARG...])" % msg)


def parse(argv):
    size, timeout, steps = None, 600.0, []
    i = 0
    while i < len(argv) and argv[i] != "--":
        a = argv[i]
        if a == "--size" and i + 2 < len(argv):
            size = (int(argv[i + 1]), int(argv[i + 2]))
            i += 3
        elif a == "--timeout" and i + 1 < len(argv):
            timeout = float(argv[i + 1])
            i += 2
        elif a in ("--expect", "--send") and i + 1 < len(argv):
            text = argv[i + 1].encode().decode("unicode_escape").encode("latin-1")
            steps.append((a[2:], text))
            i += 2
        else:
            usage("bad argument `%s`" % a)
    if i + 1 >= len(argv):
        usage("no command")
    return size, timeout, steps, argv[i + 1:]


def main():
    size, timeout, steps, cmd = parse(sys.argv[1:])
    pid, fd = pty.fork()
    if pid == 0:
        if size:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    out, pos, ended = b"", 0, False

    def read_some(deadline):
        """Append what the command wrote to out; False at the end of file or the deadline."""
        nonlocal out, ended
        left = deadline - time.monotonic()
        if ended or left <= 0 or not select.select([fd], [], [], left)[0]:
            return False
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the terminal's other side is closed
            data = b""
        if not data:
            ended = True
            return False
        out += data
        return True

    def finish(code):
        if not ended:
            os.kill(pid, signal.SIGKILL)  # ours, by pid
        _, st = os.waitpid(pid, 0)
        sys.stdout.write(out.decode(errors="replace"))
        print("\nstatus %d" % os.waitstatus_to_exitcode(st) if ended else "\nstill running")
        sys.exit(code)

    for kind, text in steps:
        if kind == "send":
            os.write(fd, text)
            continue
        deadline = time.monotonic() + timeout
        while text not in out[pos:]:
            if not read_some(deadline):
                print("ptydrive.py: no %r in the output" % text, file=sys.stderr)
                finish(1)
        pos = out.index(text, pos) + len(text)
    deadline = time.monotonic() + timeout
    while read_some(deadline):
        pass
    finish(0)


if __name__ == "__main__":
    main()
