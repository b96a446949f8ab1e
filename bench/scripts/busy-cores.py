#!/usr/bin/env python3
"""Runs a command and prints how many of the machine's cores were busy, every 0.25 s and on average.

    python3 bench/scripts/busy-cores.py COMMAND [ARGS...]

From /proc/stat (all processes, so the servers' work counts too): shows whether a run kept the
cores busy or left them waiting (docs/benchmarks.md).
"""
import os, subprocess, sys, time


def snapshot():
    fields = list(map(int, open("/proc/stat").readline().split()[1:]))
    return sum(fields), fields[3] + fields[4]  # total, idle + iowait


cores = os.cpu_count()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
start, last, busy = time.time(), snapshot(), []
while process.poll() is None:
    time.sleep(0.25)
    now = snapshot()
    total, idle = now[0] - last[0], now[1] - last[1]
    last = now
    busy.append(cores * (total - idle) / max(total, 1))
print(f"wall {time.time() - start:.2f} s, exit {process.returncode}")
print(" ".join(f"{b:.1f}" for b in busy))
print(f"mean busy {sum(busy) / max(len(busy), 1):.2f} of {cores} cores")
