#!/usr/bin/env python3
"""LMTP probes for the failover benchmark.

  probe.py check HOST PORT ACCOUNTS_FILE
      delivers one message to each account; fails unless every one is accepted (250)
  probe.py await HOST PORT ACCOUNTS_FILE SINCE_MS TIMEOUT_S
      for each account, in parallel (one thread each, at most 64), delivers every 20 ms until a 250; prints when the first and
      the last account became writable, in ms after SINCE_MS (epoch ms), and the median
  PROBE_TRACE=FILE appends one line per attempt: epoch ms, account, outcome
"""
import os
import smtplib
import sys
import threading
import time

MESSAGE = "Subject: probe\r\nFrom: bench@remote.example\r\n\r\nfailover probe\r\n"


TRACE = os.environ.get("PROBE_TRACE")
trace_lock = threading.Lock()


def trace(account, outcome):
    """With PROBE_TRACE=FILE: one line per attempt (epoch ms, account, outcome), to see why a probe waited."""
    if TRACE:
        with trace_lock, open(TRACE, "a") as f:
            f.write("%d %s %s\n" % (int(time.time() * 1000), account, outcome.replace("\n", " ")))


def deliver(host, port, account):
    try:
        with smtplib.LMTP(host, port, timeout=10) as s:
            s.ehlo("bench.example")  # smtplib.LMTP sends LHLO for ehlo()
            refused = s.sendmail("bench@remote.example", [account], MESSAGE)
            trace(account, "refused %s" % refused if refused else "250")
            return not refused
    except (OSError, smtplib.SMTPException) as e:
        trace(account, "%s: %s" % (type(e).__name__, e))
        return False


def main():
    mode, host, port, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    accounts = [a.strip() for a in open(path) if a.strip()]
    if mode == "check":
        bad = [a for a in accounts if not deliver(host, port, a)]
        if bad:
            print("[probe] not writable on %s: %s" % (host, ", ".join(bad)))
            sys.exit(1)
        print("[probe] %d accounts writable on %s" % (len(accounts), host))
        return
    since = int(sys.argv[5]) / 1000.0
    deadline = time.time() + int(sys.argv[6])
    writable = {}
    todo = list(accounts)
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not todo:
                    return
                account = todo.pop(0)
            while time.time() < deadline:
                if deliver(host, port, account):
                    with lock:
                        writable[account] = time.time()
                    break
                time.sleep(0.02)  # retry interval of a bounded wait

    threads = [threading.Thread(target=work) for _ in range(min(64, len(accounts)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if len(writable) < len(accounts):
        print("[probe] only %d of %d accounts writable on %s" % (len(writable), len(accounts), host))
        sys.exit(1)
    times = sorted(int((t - since) * 1000) for t in writable.values())
    print("%d probed accounts: first writable after %d ms, median %d ms, last writable after %d ms"
          % (len(times), times[0], times[len(times) // 2], times[-1]))


if __name__ == "__main__":
    main()
