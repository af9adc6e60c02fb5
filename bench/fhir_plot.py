#!/usr/bin/env python3
"""SVG pictures for bench/fhir_bench.sh (standard library only).

    fhir_plot.py syscalls STRACE_C_OUTPUT OUT.svg [TITLE]
        horizontal bars: calls per syscall (strace -c -f output), the 25 most frequent
    fhir_plot.py clients CLIENTS_TSV OUT.svg
        lines: total time of N concurrent clients; CLIENTS_TSV has "mode N seconds" rows
"""
import sys
from xml.sax.saxutils import escape


def parse_strace(path):
    counts = {}
    for line in open(path):
        f = line.split()
        # % time, seconds, usecs/call, calls, [errors], syscall
        if len(f) >= 5 and f[0].replace(".", "", 1).isdigit() and f[-1] != "total":
            try:
                counts[f[-1]] = int(f[3])
            except ValueError:
                pass
    return counts


def svg(width, height, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="sans-serif" font-size="12">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n{body}</svg>\n')


def syscalls(src, out, title):
    counts = sorted(parse_strace(src).items(), key=lambda kv: -kv[1])[:25]
    if not counts:
        sys.exit(f"no syscall counts in {src}")
    top = counts[0][1]
    left, bar_w, row = 130, 520, 20
    body = [f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(title)}</text>']
    for i, (name, n) in enumerate(counts):
        y = 40 + i * row
        w = max(1, int(bar_w * n / top))
        body.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(name)}</text>')
        body.append(f'<rect x="{left}" y="{y + 2}" width="{w}" height="{row - 5}" fill="#4c78a8"/>')
        body.append(f'<text x="{left + w + 5}" y="{y + 13}">{n:,}</text>')
    height = 40 + len(counts) * row + 20
    open(out, "w").write(svg(left + bar_w + 110, height, "\n".join(body) + "\n"))


def clients(src, out):
    series = {}
    for line in open(src):
        f = line.split()
        if len(f) == 3:
            series.setdefault(f[0], []).append((int(f[1]), float(f[2])))
    ns = sorted({n for pts in series.values() for n, _ in pts})
    tmax = max(t for pts in series.values() for _, t in pts) * 1.1
    x0, y0, w, h = 70, 40, 560, 320
    colors = ["#4c78a8", "#e45756", "#54a24b", "#f58518"]

    def px(n):  # log2 axis: 1, 2, 4, ... 64
        import math
        return x0 + w * (math.log2(n) / math.log2(max(ns))) if max(ns) > 1 else x0

    def py(t):
        return y0 + h - h * t / tmax

    body = ['<text x="10" y="22" font-size="15" font-weight="bold">Total time of N concurrent '
            'FHIR clients (5 sessions of 9 requests each)</text>',
            f'<line x1="{x0}" y1="{y0 + h}" x2="{x0 + w}" y2="{y0 + h}" stroke="black"/>',
            f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y0 + h}" stroke="black"/>']
    for n in ns:
        body.append(f'<text x="{px(n):.1f}" y="{y0 + h + 16}" text-anchor="middle">{n}</text>')
    body.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 34}" text-anchor="middle">concurrent clients N</text>')
    for k in range(6):
        t = tmax * k / 5
        body.append(f'<text x="{x0 - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{t:.1f}</text>')
        body.append(f'<line x1="{x0}" y1="{py(t):.1f}" x2="{x0 + w}" y2="{py(t):.1f}" stroke="#ddd"/>')
    body.append(f'<text x="16" y="{y0 + h / 2}" transform="rotate(-90 16 {y0 + h / 2})" '
                f'text-anchor="middle">seconds</text>')
    for i, (mode, pts) in enumerate(series.items()):
        c = colors[i % len(colors)]
        pts.sort()
        path = " ".join(f"{px(n):.1f},{py(t):.1f}" for n, t in pts)
        body.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
        for n, t in pts:
            body.append(f'<circle cx="{px(n):.1f}" cy="{py(t):.1f}" r="3" fill="{c}"/>')
        body.append(f'<rect x="{x0 + 15}" y="{y0 + 8 + i * 18}" width="12" height="12" fill="{c}"/>')
        body.append(f'<text x="{x0 + 32}" y="{y0 + 18 + i * 18}">{escape(mode)}</text>')
    open(out, "w").write(svg(x0 + w + 30, y0 + h + 50, "\n".join(body) + "\n"))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "syscalls":
        syscalls(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else
                 "Syscalls of the FHIR server under load (strace -c -f)")
    elif len(sys.argv) == 4 and sys.argv[1] == "clients":
        clients(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
