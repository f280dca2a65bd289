"""Python baselines for bench/run.sh.

  python3 bench/baselines.py spawn N C   N subprocess.run(["/bin/true"]) in a ThreadPoolExecutor(C)
  python3 bench/baselines.py pool N      N multiprocessing.Pool(os.cpu_count()).apply_async of a trivial function

Each warms up first and prints one line: "jobs=N seconds=S jobs_per_s=R".
"""
import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def run_true(_):
    subprocess.run(["/bin/true"], check=True)


def spawn(n, c):
    with ThreadPoolExecutor(c) as executor:
        list(executor.map(run_true, range(min(n, 50))))
        start = time.perf_counter()
        list(executor.map(run_true, range(n)))
        seconds = time.perf_counter() - start
    return n, seconds


def trivial(x):
    return x


def pool(n):
    with multiprocessing.Pool(os.cpu_count()) as workers:
        for r in [workers.apply_async(trivial, (i,)) for i in range(min(n, 1000))]:
            r.get()
        start = time.perf_counter()
        results = [workers.apply_async(trivial, (i,)) for i in range(n)]
        for r in results:
            r.get()
        seconds = time.perf_counter() - start
    return n, seconds


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "spawn":
        n, seconds = spawn(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "pool":
        n, seconds = pool(int(sys.argv[2]))
    else:
        sys.exit("unknown mode " + mode)
    print("jobs=%d seconds=%.3f jobs_per_s=%.1f" % (n, seconds, n / seconds))
