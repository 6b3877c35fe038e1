#!/usr/bin/env bash
# Feature-extraction throughput on a zoo larger than 2 GB, made by repeating the reference zoo's
# rows (not committed; written to a temporary directory and removed afterwards).
# Usage: scripts/bench-features.sh [REFERENCE_ZOO] [COPIES]   (default ../shared/zoo/fmnist-ref, 16)
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:-../shared/zoo/fmnist-ref}
copies=${2:-16}
scripts/build.sh > /dev/null
DPA_EXTRA_PACKAGES="time python3" scripts/install-deps.sh  # /usr/bin/time measures peak memory
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$ref" "$dir" "$copies" <<'PY'
import gzip, shutil, sys
ref, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(ref + "/weights.npy", "rb") as f:
    magic = f.read(10)
    hlen = magic[8] | (magic[9] << 8)
    header = f.read(hlen).decode("latin1")
    data_start = 10 + hlen
rows = int(header.split("'shape': (")[1].split(",")[0])
new = header.replace("(%d," % rows, "(%d," % (rows * copies))
new = new.rstrip("\n").rstrip(" ")
pad = (64 - (10 + len(new) + 1) % 64) % 64
new = new + " " * pad + "\n"
with open(out + "/weights.npy", "wb") as o:
    o.write(magic[:8] + bytes([len(new) & 0xff, len(new) >> 8]) + new.encode("latin1"))
    for _ in range(copies):
        with open(ref + "/weights.npy", "rb") as f:
            f.seek(data_start)
            shutil.copyfileobj(f, o, 1 << 24)
with gzip.open(ref + "/metrics.csv.gz", "rt") as f:
    lines = f.read().splitlines()
with gzip.open(out + "/metrics.csv.gz", "wt", compresslevel=1) as o:
    o.write(lines[0] + "\n")
    for c in range(copies):
        for line in lines[1:]:
            o.write(line.replace("/run", "/copy%d-run" % c) + "\n")
shutil.copy(ref + "/layout.csv", out + "/layout.csv")
PY
size=$(stat -c %s "$dir/weights.npy")
echo "zoo of $((size / 1000000)) MB; warming the page cache" >&2
cat "$dir/weights.npy" > /dev/null
/usr/bin/time -f '%M' -o "$dir/rss" build/dpa features "$dir" -o "$dir/f.npy" --threads 2 --json > "$dir/summary.json"
python3 - "$dir/summary.json" "$dir/rss" "$size" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
rss_mb = int(open(sys.argv[2]).read().split()[-1]) / 1024
print(json.dumps({"weights_bytes": int(sys.argv[3]), "rows": s["rows"], "threads": s["threads"],
                  "seconds": round(s["seconds"], 2), "gb_per_second": round(s["gb_per_second"], 2),
                  "peak_resident_mb": round(rss_mb, 1)}, indent=1))
PY
