"""A small batch job for bench/runtime_bench.sh: read N files, normalise each (collapse
whitespace, lower-case, sort the words of each line, drop duplicate lines) and write the result.
usage: batch.py DIR [N]   (N defaults to 300). DIR/in is made on the first run (not timed
again), DIR/out is emptied and rewritten every run."""
import os
import shutil
import sys


def main():
    root = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    src, dst = os.path.join(root, "in"), os.path.join(root, "out")
    if not os.path.isdir(src) or len(os.listdir(src)) != n:
        shutil.rmtree(src, ignore_errors=True)
        os.makedirs(src)
        words = ["Patient", "Observation", "Encounter", "  value ", "UNIT", "code\t", "status"]
        for i in range(n):
            with open(os.path.join(src, f"r{i:04d}.txt"), "w") as f:
                for j in range(40):
                    f.write(" ".join(words[(i + j + k) % len(words)] for k in range(6)) + "\n")
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    total = 0
    for name in sorted(os.listdir(src)):
        with open(os.path.join(src, name)) as f:
            lines = [" ".join(sorted(line.lower().split())) for line in f]
        out = "\n".join(sorted(set(lines))) + "\n"
        with open(os.path.join(dst, name), "w") as f:
            f.write(out)
        total += len(out)
    print(f"files={n} bytes={total}")


if __name__ == "__main__":
    main()
