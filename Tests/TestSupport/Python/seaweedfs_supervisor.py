"""Runs one `weed server -s3` for a test process, on ports no other test process can hold,
and removes it however the test process ends.

  seaweedfs_supervisor.py WEED
  environment: SEAWEED_ACCESS_KEY, SEAWEED_SECRET_KEY (the S3 identity with every action)

Ports: weed needs eight (master, volume, filer and S3, each HTTP and gRPC) and cannot bind
port 0 and report, so they are a block of its own: slot N owns 10000 + 10*N .. +7, below both
the range the test servers pick from (20000-31999) and the kernel's ephemeral range
(32768-60999 here), where no bind(0) or outgoing connection lands.
A slot is claimed with an exclusive flock on /tmp/interior-seaweedfs/slot-N.lock, held by
this process for as long as weed runs and released by the kernel however it ends, so two
test processes never share a slot, whichever worktree they run from. A slot whose ports
something else already binds is skipped.

Lifetime: stdin is a pipe the test process holds open and never writes. When it reaches
end of file (the test process stopped the server, exited, crashed or was killed), weed is
killed and its directory, its /tmp sockets and the log this process's output went to are
removed. weed also dies with this process
(PR_SET_PDEATHSIG).

Once weed is started this prints `PORTS s3=<port> master=<port> ...`; readiness is the
caller's to check (a signed S3 request that succeeds). If weed exits on its own, this prints
the end of its log and exits with its status.
"""
import ctypes
import fcntl
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading

FIRST_PORT = 10000
SLOT_WIDTH = 10
SLOTS = (20000 - FIRST_PORT) // SLOT_WIDTH
LOCK_DIRECTORY = "/tmp/interior-seaweedfs"
NAMES = ["master", "volume", "filer", "s3", "master.grpc", "volume.grpc", "filer.grpc", "s3.grpc"]


def ports_free(ports):
    for port in ports:
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # As Go's listeners do, so a port in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            probe.close()
    return True


def claim_slot():
    """The lock file's descriptor and the ports of a slot this process now owns."""
    os.makedirs(LOCK_DIRECTORY, mode=0o777, exist_ok=True)
    start = random.randrange(SLOTS)
    for offset in range(SLOTS):
        slot = (start + offset) % SLOTS
        descriptor = os.open(f"{LOCK_DIRECTORY}/slot-{slot}.lock", os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(descriptor)
            continue
        base = FIRST_PORT + slot * SLOT_WIDTH
        ports = dict(zip(NAMES, range(base, base + len(NAMES))))
        if ports_free(ports.values()):
            return descriptor, ports
        os.close(descriptor)
    sys.exit("no free SeaweedFS port slot")


def die_with_parent():
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def main():
    weed = sys.argv[1]
    # A child of a thread with blocked signals inherits the mask; none of ours may stay blocked.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    lock, ports = claim_slot()
    directory = tempfile.mkdtemp(prefix="interior-seaweedfs-")
    with open(f"{directory}/s3.json", "w") as config:
        json.dump({"identities": [
            {"name": "interior", "actions": ["Admin", "Read", "Write", "List", "Tagging"],
             "credentials": [{"accessKey": os.environ["SEAWEED_ACCESS_KEY"],
                              "secretKey": os.environ["SEAWEED_SECRET_KEY"]}]},
            # Anonymous reads of the bucket named "public" by identity; other buckets are
            # made readable (or not) with bucket policies.
            {"name": "anonymous", "actions": ["Read:public"]},
        ]}, config)
    os.makedirs(f"{directory}/data")
    arguments = [
        weed, "server", f"-dir={directory}/data", "-ip=127.0.0.1",
        f"-master.port={ports['master']}", f"-master.port.grpc={ports['master.grpc']}",
        f"-volume.port={ports['volume']}", f"-volume.port.grpc={ports['volume.grpc']}",
        f"-filer.port={ports['filer']}", f"-filer.port.grpc={ports['filer.grpc']}",
        "-s3", f"-s3.port={ports['s3']}", f"-s3.port.grpc={ports['s3.grpc']}",
        f"-s3.config={directory}/s3.json", "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-filer.localSocket={directory}/filer.sock", f"-s3.localSocket={directory}/s3.sock",
        # A missing bucket must stay missing; nothing leaves the machine.
        "-s3.autoCreateBucket=false", "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64", "-volume.max=0",
    ]
    environment = dict(os.environ)
    # One volume per bucket instead of seven: tests make many small buckets.
    environment["WEED_MASTER_VOLUME_GROWTH_COPY_1"] = "1"
    log = open(f"{directory}/weed.log", "wb")
    server = subprocess.Popen(arguments, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                              env=environment, preexec_fn=die_with_parent)
    print("PORTS " + " ".join(f"{name}={port}" for name, port in ports.items()), flush=True)

    lifeline_ended = threading.Event()

    def watch_lifeline():
        sys.stdin.buffer.read()
        lifeline_ended.set()
        server.kill()

    threading.Thread(target=watch_lifeline, daemon=True).start()
    status = server.wait()
    log.close()
    if not lifeline_ended.is_set():
        with open(f"{directory}/weed.log", "rb") as written:
            tail = written.read()[-6000:].decode("utf-8", "replace")
        print(f"weed exited with status {status}:\n{tail}", flush=True)
    shutil.rmtree(directory, ignore_errors=True)
    # weed puts its gRPC sockets in /tmp, named by port, whatever -dir says.
    for port in ports.values():
        for kind in ["master", "volume", "filer", "s3"]:
            for suffix in ["", "-grpc"]:
                try:
                    os.unlink(f"/tmp/seaweedfs-{kind}{suffix}-{port}.sock")
                except FileNotFoundError:
                    pass
    os.close(lock)
    if lifeline_ended.is_set():
        # A clean end: the test process has gone, so nobody reads our output any more. The
        # file it went to (the test's log of this process) is removed too.
        output = os.readlink("/proc/self/fd/1")
        if output.startswith(tempfile.gettempdir() + "/seaweedfs-") and output.endswith(".log"):
            os.unlink(output)
        sys.exit(0)
    sys.exit(status or 1)


if __name__ == "__main__":
    main()
