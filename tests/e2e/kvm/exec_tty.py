# tty.py pty ROWS COLS CMD...: CMD with a new terminal (ROWS x COLS) as
#   its stdin, stdout and stderr; prints what it wrote there (no \r) and
#   "status N".
# tty.py console SOCKET CMD...: CMD given SOCKET, on which its terminal's
#   master comes (runc's console socket, as conmon takes it); once the
#   process wrote "ready", the terminal is resized to 40x100 and sent a
#   ^C; prints what it wrote there and "status N".
import array, fcntl, os, pty, select, socket, struct, subprocess, sys, termios, time

def drain(m, p, until=None, limit=30):
    out, end = b"", time.time() + limit
    while time.time() < end:
        r, _, _ = select.select([m], [], [], 0.2)
        if r:
            try:
                b = os.read(m, 4096)
            except OSError:
                b = b""
            if not b:
                break
            out += b
            if until and until in out:
                break
        elif p.poll() is not None and not until:
            break
    return out

def report(out, p):
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    text = out.decode(errors="replace").replace("\r", "")
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    print("status", p.returncode, flush=True)

if sys.argv[1] == "pty":
    m, s = pty.openpty()
    fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", int(sys.argv[2]), int(sys.argv[3]), 0, 0))
    p = subprocess.Popen(sys.argv[4:], stdin=s, stdout=s, stderr=s, start_new_session=True)
    os.close(s)
    report(drain(m, p), p)
else:
    path = sys.argv[2]
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(1)
    p = subprocess.Popen(sys.argv[3:], stdin=subprocess.DEVNULL)
    ls.settimeout(30)
    c, _ = ls.accept()
    fds = array.array("i")
    msg, anc, _, _ = c.recvmsg(256, socket.CMSG_LEN(fds.itemsize))
    fds.frombytes(anc[0][2][:fds.itemsize])
    m = fds[0]
    print("name", msg.decode(), flush=True)
    out = drain(m, p, until=b"ready")
    fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    out += drain(m, p, until=b"winch-done")
    os.write(m, b"\x03")
    out += drain(m, p)
    report(out, p)
