#!/usr/bin/env python3
"""interactive.py IPSECSH

The real terminal mode: runs ipsecsh on a pseudo-terminal (GNU Readline
sees a tty) with HOME in a temporary directory and a temporary store, and
checks what the golden transcripts cannot: the prompts, Tab completion of
command words and of names from the store, that an error typed at the
prompt carries no FILE:LINE prefix, that exit and Ctrl-D leave with status
0, and that ~/.ipsecsh_history is 0600, holds the typed commands and no
line that carried a pre-shared key.

Standard library only (pty, os, select).  Every wait reads until an
expected string or a timeout, and a failure shows what was seen.
"""
import fcntl
import os
import pty
import re
import select
import shutil
import stat
import struct
import sys
import tempfile
import termios
import time

TIMEOUT = 10.0
# CSI sequences (cursor moves, bracketed paste), OSC, other ESC pairs.
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[@-Z\\-_])")


class Failure(Exception):
    pass


def screen_text(raw):
    """The text as it reads on the screen, near enough: escapes and
    carriage returns dropped, a backspace taking back the character
    before it on its line (Readline moves back to rewrite a word)."""
    out = []
    for c in ANSI.sub("", raw):
        if c == "\b":
            if out and out[-1] != "\n":
                out.pop()
        elif c not in "\r\x07":
            out.append(c)
    return "".join(out)


class Session:
    """One ipsecsh process on a pseudo-terminal."""

    def __init__(self, program, env, args):
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execve(program, [program] + args, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        # A wide terminal, so that Readline never wraps or scrolls.
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.raw = ""  # everything read, escapes included
        self.seen = ""  # everything read, escapes removed
        self.mark = 0  # expect() looks at seen[mark:]
        self.status = None

    def read_some(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([self.fd], [], [], left)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        if not data:
            return None
        self.raw += data.decode("utf-8", "replace")
        self.seen = screen_text(self.raw)
        return True

    def expect(self, text, what, timeout=TIMEOUT):
        """Reads until text appears after the mark; moves the mark past
        it and returns what came before it."""
        deadline = time.monotonic() + timeout
        while True:
            at = self.seen.find(text, self.mark)
            if at >= 0:
                before = self.seen[self.mark:at]
                self.mark = at + len(text)
                return before
            got = self.read_some(deadline)
            if got is None or got is False:
                reason = "the program closed the terminal" if got is None \
                    else "timed out after %gs" % timeout
                raise Failure("%s: waited for %r; %s. Seen since the last "
                              "match:\n%s" % (what, text, reason,
                                              self.seen[self.mark:][-2000:]))

    def send(self, text):
        os.write(self.fd, text.encode())

    def wait_exit(self, what, timeout=TIMEOUT):
        """Reads until the child exits; returns its exit status."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                # Drain what it wrote last.
                while self.read_some(time.monotonic() + 0.2):
                    pass
                os.close(self.fd)
                self.status = status
                if os.WIFSIGNALED(status):
                    raise Failure("%s: killed by signal %d. Output:\n%s" %
                                  (what, os.WTERMSIG(status),
                                   self.seen[-2000:]))
                return os.WEXITSTATUS(status)
            if time.monotonic() > deadline:
                raise Failure("%s: the program did not exit within %gs. "
                              "Seen since the last match:\n%s" %
                              (what, timeout, self.seen[self.mark:][-2000:]))
            self.read_some(min(deadline, time.monotonic() + 0.1))

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            try:
                os.close(self.fd)
            except OSError:
                pass


ROOT = "ipsecsh> "
STATIC = "ipsecsh ipsec static> "
# "FILE:LINE: " as a script error starts.
POSITION = re.compile(r"^\S+:\d+: ")


def run_command(s, line, prompt, what):
    """Types line, returns what it printed before the next prompt."""
    s.send(line + "\r")
    s.expect(line, what + ": echo of the line")
    return s.expect(prompt, what + ": the prompt after it")


def check_error_line(out, fragment, what):
    lines = [l for l in out.split("\n") if fragment in l]
    if not lines:
        raise Failure("%s: no error containing %r in:\n%s" %
                      (what, fragment, out))
    for l in lines:
        if POSITION.match(l.strip()):
            raise Failure("%s: the error has a FILE:LINE prefix: %r" %
                          (what, l))


def session_one(program, env, store, home):
    s = Session(program, env, ["--store", store])
    try:
        s.expect(ROOT, "first prompt")

        s.send("ipsec static\r")
        s.expect(STATIC, "entering ipsec static")

        # Completion of a command word, then the rest typed on.
        s.send("add filtera\t")
        s.expect("add filteraction ", "Tab after \"add filtera\"")
        s.send("name=Blk action=block\r")
        s.expect(STATIC, "add filteraction")

        s.send("show pol\t")
        s.expect("show policy ", "Tab after \"show pol\"")
        s.send("all\r")
        s.expect(STATIC, "show policy all")

        run_command(s, 'add policy name="Red Team"', STATIC, "add policy")

        # Completion of a name read from the store: the only policy
        # starting with R, inserted quoted, and the line then runs.
        s.send("show policy R\t")
        s.expect('show policy "Red Team" ', "Tab after \"show policy R\"")
        s.send("\r")
        out = s.expect(STATIC, "show policy \"Red Team\"")
        if "Red Team" not in out or "ERR" in out:
            raise Failure("show policy \"Red Team\" after completion "
                          "printed:\n%s" % out)

        # An error at the prompt: the message, without a position.
        out = run_command(s, "add policy name=X mmlifetime=4", STATIC,
                          "a bad command")
        check_error_line(out, "mmlifetime=4 is out of range",
                         "a bad command")
        if not any(l.strip().startswith("add policy: ")
                   for l in out.split("\n")):
            raise Failure("bad command: the error does not start with the "
                          "command's name:\n%s" % out)

        # A line with a pre-shared key: it runs, but stays out of the
        # history file.
        run_command(s, "add filter filterlist=Web srcaddr=any dstaddr=me",
                    STATIC, "add filter")
        run_command(s, 'add rule name=R1 policy="Red Team" filterlist=Web '
                    'filteraction=Blk psk=hunter2', STATIC, "add rule psk=")
        out = run_command(s, 'show rule all policy="Red Team"', STATIC,
                          "show rule all")
        if "R1" not in out:
            raise Failure("the rule with psk= was not added:\n%s" % out)
        if "hunter2" in out:
            raise Failure("show printed the pre-shared key:\n%s" % out)

        s.send("exit\r")
        status = s.wait_exit("exit")
        if status != 0:
            raise Failure("exit: status %d, wanted 0. Output:\n%s" %
                          (status, s.seen[-2000:]))
    finally:
        s.kill()


def session_two(program, env, store):
    s = Session(program, env, ["--store", store])
    try:
        s.expect(ROOT, "prompt of the second session")
        # History from the first session: Up recalls its last line.
        s.send("\x1b[A")
        s.expect("exit", "Up arrow recalling the last session's line")
        s.send("\x15")
        s.send("\x04")  # Ctrl-D on an empty line
        status = s.wait_exit("Ctrl-D")
        if status != 0:
            raise Failure("Ctrl-D: status %d, wanted 0. Output:\n%s" %
                          (status, s.seen[-2000:]))
    finally:
        s.kill()


def check_history(home):
    path = os.path.join(home, ".ipsecsh_history")
    if not os.path.exists(path):
        raise Failure("no history file %s" % path)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode != 0o600:
        raise Failure("history file mode %o, wanted 600" % mode)
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    for want in ("ipsec static", "add filteraction name=Blk action=block",
                 "show policy all", 'add policy name="Red Team"',
                 "add policy name=X mmlifetime=4", "exit"):
        if want not in lines:
            raise Failure("history lacks %r; it holds:\n%s" %
                          (want, "\n".join(lines)))
    for l in lines:
        if "psk=" in l or "hunter2" in l:
            raise Failure("history holds a line with a pre-shared key: %r" %
                          l)


def main():
    if len(sys.argv) != 2:
        print("usage: interactive.py IPSECSH", file=sys.stderr)
        return 2
    program = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="ipsecsh-interactive.")
    try:
        home = os.path.join(work, "home")
        os.mkdir(home, 0o700)
        store = os.path.join(work, "policy.db")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "TERM": "xterm",
            "INPUTRC": "/dev/null",
            "LANG": "C.UTF-8",
            "IPSECSH_SOCKET": os.path.join(work, "no-service.sock"),
        }
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        session_one(program, env, store, home)
        check_history(home)
        session_two(program, env, store)
    except Failure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("interactive: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
