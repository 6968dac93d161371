"""Run the crmconf CLI in this process and send it a signal right after its N-th durable write.

`python -m tests.engine.interrupt_harness N SIGNAL crmconf-args...`: every fsync crmconf makes (journal
lines, the local org's temp file and folder) is a point where a crash can land; counting them makes the
interruption points exact and repeatable, where a timer would only be approximate. N = 0 never signals
and prints the number of fsyncs the run made (on stderr, last line) so a campaign knows the range.
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    at, name, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    signum = getattr(signal, name)
    count = 0
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        nonlocal count
        real_fsync(fd)
        count += 1
        if count == at:
            os.kill(os.getpid(), signum)

    os.fsync = fsync
    from tests.winlock import install_from_env

    install_from_env()  # portalocker's Windows path when the run asks for it (CRMCONF_TEST_LOCKS)
    from crmconf.cli import run

    code = run(args)
    if at == 0:
        print(f"fsyncs: {count}", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
