#!/usr/bin/env python3
"""Drives `dnsfailover setup` through a pseudo-terminal, as an operator would.

usage: setup_pty.py [--eof-at KEY] [KEY=VALUE ...] -- COMMAND...
Answers each prompt "... (KEY...) [default]: " with the VALUE given for KEY
(an empty line, taking the default, when none is given), or sends Ctrl-D at
the prompt for --eof-at. Every prompt seen is printed as "PROMPT KEY" after
the program's own output; exits with the program's exit status, 90 when a
prompt did not come within 20 s.
"""
import os
import pty
import re
import select
import sys
import time

args = sys.argv[1:]
eof_at = None
answers = {}
while args and args[0] != "--":
    a = args.pop(0)
    if a == "--eof-at":
        eof_at = args.pop(0)
    else:
        k, v = a.split("=", 1)
        answers[k] = v
args.pop(0)

pid, fd = pty.fork()
if pid == 0:
    os.execvp(args[0], args)

prompt = re.compile(rb"\(([A-Z0-9_]+)[:)][^\n]*\]: $")
buf = b""
seen = []
deadline = time.time() + 20
while True:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        buf += data
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        m = prompt.search(buf)
        if m:
            key = m.group(1).decode()
            seen.append(key)
            buf = b""
            deadline = time.time() + 20
            if key == eof_at:
                os.write(fd, b"\x04")
            else:
                os.write(fd, answers.get(key, "").encode() + b"\r")
    elif time.time() > deadline:
        print("\nsetup_pty: no prompt within 20 s", flush=True)
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        sys.exit(90)
_, status = os.waitpid(pid, 0)
for key in seen:
    print("PROMPT " + key)
sys.exit(os.waitstatus_to_exitcode(status))
