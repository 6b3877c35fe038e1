#!/usr/bin/env python3
"""Flash and RAM of the runtime on Cortex-M4F, measured as firmware with it minus firmware
without it (arm-none-eabi-size), split by object file from the linker map, plus an nm check that
no heap or exception symbol is linked. Usage: firmware_size.py BUILD_DIR INSPECT_JSON [--json]"""
import json
import re
import subprocess
import sys

build, inspect = sys.argv[1], json.loads(sys.argv[2])
as_json = len(sys.argv) > 3 and sys.argv[3] == "--json"
fw = build + "/firmware/"


def sizes(elf):
    out = subprocess.run(["arm-none-eabi-size", "-A", elf], check=True, capture_output=True, text=True).stdout
    s = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("."):
            s[parts[0]] = int(parts[1])
    flash = s.get(".text", 0) + s.get(".ARM.exidx", 0) + s.get(".data", 0)
    ram = s.get(".data", 0) + s.get(".bss", 0)
    return flash, ram


def by_object(map_path):
    """Bytes of code and constants kept from each input object (linker map)."""
    totals = {}
    pending = None
    for line in open(map_path):
        m = re.match(r"^ (\.(?:text|rodata|data|bss)\S*)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^ ?(\.(?:text|rodata|data|bss)\S*)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)", line)
        if m and (m.group(1) or pending):
            size, obj = int(m.group(2), 16), m.group(3)
            name = re.sub(r".*\((.*)\)$", r"\1", obj).replace(".obj", "").replace(".o", "")
            if "libdpa_runtime" in obj:
                key = "runtime: " + name
            elif "libm" in obj or "libc" in obj or "libgcc" in obj:
                key = "libc/libm/libgcc: " + name
            else:
                key = None
            if key and size:
                totals[key] = totals.get(key, 0) + size
        pending = None
    return totals


base_flash, base_ram = sizes(fw + "size_probe_0.elf")
stats_flash, stats_ram = sizes(fw + "size_probe_1.elf")
model_flash, model_ram = sizes(fw + "size_probe_2.elf")
model_bytes = inspect["bytes"]
symbols = subprocess.run(["arm-none-eabi-nm", fw + "size_probe_2.elf"], check=True, capture_output=True, text=True).stdout
forbidden = [s for s in ("malloc", "free", "calloc", "realloc", "_Znwj", "_Znaj", "_ZdlPv", "__cxa_throw",
                         "__cxa_allocate_exception", "_Unwind_Resume", "__gxx_personality")
             if re.search(r"\b" + s + r"\b", symbols)]
objects = by_object(fw + "size_probe_2.map")
# The runtime's own code on a GBDT model's path: every runtime object but the other predictors.
gbdt_path = sum(v for k, v in objects.items()
                if k.startswith("runtime: ") and k not in ("runtime: mlp.cpp", "runtime: linear.cpp"))
report = {
    "target": "Cortex-M4F, -Os, -fno-exceptions -fno-rtti, newlib-nano, --gc-sections",
    "statistics_only": {"flash_bytes": stats_flash - base_flash, "static_ram_bytes": stats_ram - base_ram},
    "statistics_verifier_predictors": {"flash_bytes": model_flash - base_flash - model_bytes,
                                       "static_ram_bytes": model_ram - base_ram},
    "model_bytes": model_bytes,
    "model": "%s, %s trees of depth %s" % (inspect["predictor"], inspect.get("trees"), inspect.get("depth")),
    "scratch_bytes_zoo_layout": inspect["scratch_bytes"],
    "heap_or_exception_symbols": forbidden,
    "runtime_code_gbdt_path_bytes": gbdt_path,
    "flash_by_object": dict(sorted(objects.items(), key=lambda kv: -kv[1])),
}
if as_json:
    print(json.dumps(report, indent=1))
else:
    print("runtime on %s" % report["target"])
    print("  statistics only:                          flash %6d B, static RAM %d B" % (
        report["statistics_only"]["flash_bytes"], report["statistics_only"]["static_ram_bytes"]))
    print("  statistics + verifier + all predictors:   flash %6d B, static RAM %d B (model bytes excluded)" % (
        report["statistics_verifier_predictors"]["flash_bytes"], report["statistics_verifier_predictors"]["static_ram_bytes"]))
    print("  runtime's own code, statistics + verifier + GBDT + dispatch: %d B" % gbdt_path)
    print("  model: %s, %d bytes; scratch for the zoo layout: %d B" % (report["model"], model_bytes, report["scratch_bytes_zoo_layout"]))
    print("  heap / exception symbols linked: %s" % (", ".join(forbidden) or "none"))
    print("  flash by object (model path):")
    for k, v in report["flash_by_object"].items():
        print("    %6d  %s" % (v, k))
if forbidden:
    sys.exit(1)
