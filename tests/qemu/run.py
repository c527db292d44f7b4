#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""QEMU TCG test tier: boot Debian's stock kernels with our modules and run
in-guest scenarios.  Python 3 standard library only.  See README.md here.

    tests/qemu/run [--kernel 6.1|6.12|all] [--scenario GLOB] [--selftest]
                   [--no-xen|--xen-only] [--keep] [--list] [-v] [-j N]

Steps: find kernels -> build our modules and the test modules per kernel
(out of tree, W=1, any warning fails) -> build static guest programs ->
one initramfs per kernel (cached pieces) -> group scenarios into boots ->
boot under QEMU TCG (parallel), the "# hypervisor: xen" scenarios in a
PV Dom0 on Debian's Xen -> parse the console log -> table and one
"N passed, N failed" line.
"""

import argparse
import concurrent.futures
import errno
import fcntl
import fnmatch
import glob
import gzip
import hashlib
import lzma
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = HERE.parent.parent
BUILD = TOP / "build"
LOGS = BUILD / "qemu-logs"
RUNS = BUILD / "qemu-run"
GUEST = HERE / "guest"
SCENARIOS = HERE / "scenarios"
SELFTEST = HERE / "selftest"
TESTMODS = HERE / "modules"

SERIES = ("6.1", "6.12")
SELFTEST_SERIES = "6.12"
# The debug tier: linux-source-6.1 with KASAN, lockdep, DMA-API debug,
# kmemleak, UBSAN (scripts/debug-kernel.sh builds and caches it).  Part of
# "--kernel all" once built; scenarios opt out with "# debug: no".
DEBUG_SERIES = "debug"
DEBUG_SLOWDOWN = 4              # scenario timeouts on the debug kernel
# KASAN's shadow and 5-level paging (-cpu max offers LA57) trip over each
# other early in boot: the debug kernel runs with 4-level page tables.
DEBUG_CMDLINE = "no5lvl"
DEBUG_KERNEL_SH = TOP / "scripts" / "debug-kernel.sh"

# Stock modules always put in the initramfs (with their dependencies); a
# scenario adds more with "# stock: mod ...".  Builtins are fine to list.
STOCK_MODULES = ("nvme", "virtio_pci", "virtio_blk", "libnvdimm", "nd_pmem",
                 "nd_btt", "nfit", "dax", "dax_pmem", "device_dax", "ext4",
                 "e1000e", "xenfs", "xen_evtchn", "xen_privcmd", "xen_gntdev")
# Host programs copied with every shared library ldd lists.
HOST_PROGRAMS = ("/usr/bin/ndctl", "/usr/bin/daxctl")
# Xen's toolstack for the Xen boots (lib.sh's t_xenstore starts it): the
# newest xen-utils' xl, xenstored and xen-init-dom0, where Debian puts them.
XEN_TOOLS = ("xl", "xenstored", "xen-init-dom0")


def xen_tools():
    dirs = sorted(glob.glob("/usr/lib/xen-4.*/bin"), key=vkey)
    return [f"{dirs[-1]}/{t}" for t in XEN_TOOLS
            if dirs and os.path.exists(f"{dirs[-1]}/{t}")]

DEFAULT_SCENARIO_TIMEOUT = 60   # s, in the guest; "# timeout: N" overrides
BOOT_TIMEOUT = 240              # s from QEMU start to the guest's BOOT line
GRACE = 45                      # s the host waits beyond a guest timeout
KCMDLINE_COMMON = ("loglevel=7 printk.devkmsg=on log_buf_len=1M "
                   "panic_on_warn=1 panic=-1 "
                   "sysctl.kernel.hung_task_timeout_secs=30")
KCMDLINE = "console=ttyS0 " + KCMDLINE_COMMON
QEMU_BASE = ("-machine", "pc,nvdimm=on", "-cpu", "max",
             "-m", "1G,slots=2,maxmem=4G", "-smp", "1",
             "-nographic", "-nodefaults", "-no-reboot", "-monitor", "none")

# Xen mode ("# hypervisor: xen"): Debian's Xen with the same kernel as PV
# Dom0.  xen.elf (the multiboot ELF inside /boot/xen-*.gz) is QEMU's
# -kernel; the Dom0 kernel, its arguments and the initramfs are the
# multiboot modules in -initrd "VMLINUZ ARGS,INITRD" (QEMU splits that list
# at commas: no comma may appear in a path or in the arguments).  q35 for
# the emulated VT-d that Xen's iommu=1 then uses (Dom0 not in passthrough,
# as with a real PV-IOMMU host).  smap=0: with -cpu max, Dom0 faults at its
# first instruction otherwise.  No "noreboot": after a Dom0 crash Xen
# reboots, which ends QEMU (-no-reboot).  Xen's console is com1 (the
# console log, shared with Dom0's hvc0); ttyS1 stays Dom0's output channel.
XEN_GZ_GLOB = "/boot/xen-4.*-amd64.gz"
XEN_CMDLINE = ("console=com1 com1=115200 dom0_mem=512M smap=0 iommu=1 "
               "loglvl=all guest_loglvl=all")
DOM0_CMDLINE = "console=hvc0 earlyprintk=xen " + KCMDLINE_COMMON
QEMU_XEN_BASE = ("-machine", "q35,nvdimm=on") + QEMU_BASE[2:] + \
    ("-device", "intel-iommu,intremap=on,caching-mode=on")
HYPERVISORS = ("none", "xen")

# Bumped when the layout of a cached artefact changes.
CACHE_VERSION = "1"


# --------------------------------------------------------------------------
# Devices.  A scenario lists what it needs ("# needs: nvme edu"); a boot
# gets the union.  Each entry returns QEMU arguments and may create files in
# the boot's run directory.  To add a device: add a function here and a
# line to the README's device table.

def _raw_image(rundir, name, size):
    path = rundir / name
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def dev_nvme(rundir):
    img = _raw_image(rundir, "nvme.img", 64 << 20)
    return ["-drive", f"file={img},if=none,id=xpvnvme,format=raw",
            "-device", "nvme,serial=xpv0001,drive=xpvnvme"]


def dev_virtio_blk(rundir):
    img = _raw_image(rundir, "virtio-blk.img", 64 << 20)
    return ["-drive", f"file={img},if=none,id=xpvvblk,format=raw",
            "-device", "virtio-blk-pci,drive=xpvvblk,"
                       "iommu_platform=on,disable-legacy=on"]


def dev_edu(rundir):
    return ["-device", "edu"]


def dev_nvdimm(rundir):
    img = _raw_image(rundir, "nvdimm.img", 1 << 30)
    return ["-object", f"memory-backend-file,id=xpvnvmem,share=on,"
                       f"mem-path={img},size=1G,align=2M",
            "-device", "nvdimm,id=xpvnvdimm,memdev=xpvnvmem,label-size=128K"]


def dev_e1000e(rundir):
    return ["-netdev", "user,id=xpvnet,restrict=on",
            "-device", "e1000e,netdev=xpvnet"]


DEVICES = {
    "nvme": dev_nvme,
    "virtio-blk": dev_virtio_blk,
    "edu": dev_edu,
    "nvdimm": dev_nvdimm,
    "e1000e": dev_e1000e,
}


# --------------------------------------------------------------------------
# Small helpers

def vkey(s):
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", s)]


def rel(p):
    try:
        return str(Path(p).relative_to(TOP))
    except ValueError:
        return str(p)


def say(msg):
    print(f"qemu: {msg}", flush=True)


def digest(items):
    """sha256 over (label, bytes-or-str) pairs."""
    h = hashlib.sha256()
    for label, data in items:
        h.update(str(label).encode() + b"\0")
        h.update(data if isinstance(data, bytes) else str(data).encode())
        h.update(b"\0")
    return h.hexdigest()


def file_id(path):
    """Cheap identity of a host file we do not own (size and mtime)."""
    st = os.stat(path)
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def source_files(roots, pattern=r"(\.(c|h|S)|^Kbuild|^Makefile)$"):
    """Regular source files under TOP-relative roots, sorted (no build
    artefacts: the checkout may hold an in-tree build)."""
    out = []
    rx = re.compile(pattern)
    for r in roots:
        p = TOP / r
        if p.is_file():
            out.append(p)
            continue
        for dirpath, dirnames, filenames in os.walk(p):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for fn in sorted(filenames):
                if rx.search(fn) and not fn.startswith("."):
                    out.append(Path(dirpath) / fn)
    return out


def run_logged(cmd, log, cwd=None, env=None):
    with open(log, "w") as f:
        f.write("$ " + " ".join(shlex.quote(str(c)) for c in cmd) + "\n")
        f.flush()
        r = subprocess.run([str(c) for c in cmd], stdout=f,
                           stderr=subprocess.STDOUT, cwd=cwd, env=env)
    return r.returncode


def write_if_changed(path, data):
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


# --------------------------------------------------------------------------
# Kernels

class Kernel:
    def __init__(self, series, kver, root=None):
        self.series = series
        self.kver = kver
        # root: where a kernel of our own keeps bzImage, root/lib/modules
        # and its build tree (the debug kernel); None for Debian's.
        self.root = root
        if root:
            self.vmlinuz = root / "bzImage"
            self.moddir = root / "root" / "lib" / "modules" / kver
            self.kdir = root / "build"
        else:
            self.vmlinuz = Path(f"/boot/vmlinuz-{kver}")
            self.moddir = Path(f"/lib/modules/{kver}")
            self.kdir = Path(f"/usr/src/linux-headers-{kver}")
        self.bdir = BUILD / kver
        self.error = None           # build failure text
        self.kos = []               # our + test modules (paths)
        self.initrd = self.bdir / "initrd.gz"


def find_kernel(series):
    if series == DEBUG_SERIES:
        r = subprocess.run([str(DEBUG_KERNEL_SH), "--print-dir"],
                           capture_output=True, text=True)
        d = Path(r.stdout.strip()) if r.returncode == 0 else None
        if not d or not (d / "done").exists():
            return None
        return Kernel(series, (d / "kver").read_text().strip(), root=d)
    cands = []
    for p in glob.glob(f"/boot/vmlinuz-{series}.*-amd64"):
        kver = p[len("/boot/vmlinuz-"):]
        if re.search(r"-(cloud|rt)-amd64$", kver):
            continue
        if (Path("/lib/modules") / kver).is_dir() and \
           Path(f"/usr/src/linux-headers-{kver}").is_dir():
            cands.append(kver)
    return Kernel(series, max(cands, key=vkey)) if cands else None


# --------------------------------------------------------------------------
# Scenarios

HEADER_RX = re.compile(r"^#\s*(needs|kernels|boot|timeout|stock|expect|"
                       r"hypervisor|memory|icount|append|smp|debug)\s*:\s*(.*?)\s*$")


def with_memory(base, memory, smp=1):
    """QEMU base arguments with the guest's RAM set to @memory (e.g. "4G";
    hotplug room stays: 2 slots, maxmem 4 GiB above it) and @smp vCPUs."""
    args = list(base)
    if memory:
        gib = int(memory[:-1]) if memory.endswith("G") else 1
        args[args.index("-m") + 1] = f"{memory},slots=2,maxmem={gib + 4}G"
    args[args.index("-smp") + 1] = str(smp)
    return args


class Scenario:
    def __init__(self, path):
        self.path = Path(path)
        self.name = self.path.stem
        self.needs = []
        self.kernels = ["all"]
        self.boot = None
        self.timeout = DEFAULT_SCENARIO_TIMEOUT
        self.stock = []
        self.expect = None
        self.hypervisor = "none"
        self.memory = None
        self.icount = False
        self.append = ""
        self.smp = 1
        self.debug = True
        self.errors = []
        for line in self.path.read_text().splitlines():
            if line.startswith("#!") or not line.strip():
                continue
            if not line.startswith("#"):
                break
            m = HEADER_RX.match(line)
            if not m:
                continue
            key, val = m.group(1), m.group(2)
            if key == "needs":
                self.needs += val.split()
            elif key == "kernels":
                self.kernels = val.split() or ["all"]
            elif key == "boot":
                self.boot = val.split()[0] if val.split() else None
            elif key == "timeout":
                try:
                    self.timeout = int(val)
                except ValueError:
                    self.errors.append(f"bad timeout '{val}'")
            elif key == "stock":
                self.stock += val.split()
            elif key == "expect":
                self.expect = val.split()
            elif key == "memory":
                self.memory = val
                if not re.fullmatch(r"[1-9][0-9]?G", val):
                    self.errors.append(f"bad memory '{val}' (e.g. 4G)")
            elif key == "icount":
                self.icount = val == "yes"
                if val not in ("yes", "no"):
                    self.errors.append(f"bad icount '{val}' (yes or no)")
            elif key == "debug":
                self.debug = val == "yes"
                if val not in ("yes", "no"):
                    self.errors.append(f"bad debug '{val}' (yes or no)")
            elif key == "smp":
                if re.fullmatch(r"[1-4]", val):
                    self.smp = int(val)
                else:
                    self.errors.append(f"bad smp '{val}' (1-4)")
            elif key == "append":
                self.append = val
                if not re.fullmatch(r"[A-Za-z0-9_.=:/ -]*", val):
                    self.errors.append(f"bad append '{val}'")
            elif key == "hypervisor":
                self.hypervisor = val
                if val not in HYPERVISORS:
                    self.errors.append(f"unknown hypervisor '{val}' "
                                       f"(known: {' '.join(HYPERVISORS)})")
        for d in self.needs:
            if d not in DEVICES:
                self.errors.append(f"unknown device '{d}' "
                                   f"(known: {' '.join(DEVICES)})")
        for k in self.kernels:
            if k != "all" and k not in SERIES + (DEBUG_SERIES,):
                self.errors.append(f"unknown kernel '{k}'")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.name):
            self.errors.append("name must be [A-Za-z0-9_.-]+")
        if self.boot == "own":
            self.boot = "own-" + self.name
        for key, val in (("memory", self.memory), ("icount", self.icount),
                         ("append", self.append), ("smp", self.smp > 1)):
            if val and not self.boot:
                self.errors.append(f"'# {key}:' needs '# boot:' (a boot "
                                   "of its own or a named group)")

    def runs_on(self, series):
        if series == DEBUG_SERIES:
            return self.debug and self.hypervisor == "none" and (
                "all" in self.kernels or series in self.kernels)
        return "all" in self.kernels or series in self.kernels

    def guest_path(self):
        return f"/xpv/{self.path.parent.name}/{self.path.name}"


def load_scenarios(d):
    return [Scenario(p) for p in sorted(d.glob("*.sh"))]


class Boot:
    def __init__(self, kernel, name, scenarios, selftest=False, devices=(),
                 shell=False, hv="none"):
        self.kernel = kernel
        self.shell = shell
        self.hv = hv                # "none" or "xen" (PV Dom0)
        self.xen_elf = None         # Path, Xen mode only
        self.name = name
        self.scenarios = scenarios
        self.selftest = selftest
        self.devices = sorted({d for s in scenarios for d in s.needs} |
                              set(devices))
        # Guest RAM, instruction counting, extra kernel arguments: the
        # first scenario that asks (a group shares a boot).
        self.memory = next((s.memory for s in scenarios if s.memory), None)
        self.icount = any(s.icount for s in scenarios)
        self.append = next((s.append for s in scenarios if s.append), "")
        self.smp = max((s.smp for s in scenarios), default=1)
        if self.icount:
            self.smp = 1        # -icount needs one vCPU
        tag = f"{kernel.kver}.{name}"
        self.console = LOGS / f"{tag}.console.log"
        self.output = LOGS / f"{tag}.output.log"
        self.qemulog = LOGS / f"{tag}.qemu.log"
        self.cmdfile = LOGS / f"{tag}.cmd"
        self.xenlog = LOGS / f"{tag}.xen.log"
        self.rundir = RUNS / tag
        self.wall = 0.0
        self.qemu_rc = None
        self.watchdog = None        # why the host killed QEMU, or None
        self.stopped = None         # why the host ended QEMU early (Xen)
        self.result = None          # BootResult

    def budget(self):
        return BOOT_TIMEOUT + sum(self.timeout(s) + GRACE
                                  for s in self.scenarios) + 60

    def timeout(self, s):
        """A scenario's timeout in this boot (checkers slow a debug
        kernel down)."""
        return s.timeout * (DEBUG_SLOWDOWN if self.kernel.root else 1)

    def qemu_args(self, initrd):
        """Machine, kernel and initramfs arguments (devices and serial
        ports not included).  Raises ValueError when Xen's module list
        cannot carry them."""
        k = self.kernel
        icount = ["-icount", "shift=0,sleep=off"] if self.icount else []
        if self.hv != "xen":
            extra = DEBUG_CMDLINE if k.root else ""
            return with_memory(QEMU_BASE, self.memory, self.smp) + icount + [
                "-kernel", str(k.vmlinuz), "-initrd", str(initrd),
                "-append", " ".join(filter(None, (KCMDLINE, self.append,
                                                  extra)))]
        for what, text in (("Dom0 kernel path", str(k.vmlinuz)),
                           ("initramfs path", str(initrd)),
                           ("Dom0 arguments", DOM0_CMDLINE),
                           ("xen.elf path", str(self.xen_elf))):
            if "," in text:
                raise ValueError(f"{what} '{text}' has a comma: QEMU splits "
                                 "-initrd at commas (Xen's module list)")
        for what, text in (("Dom0 kernel path", str(k.vmlinuz)),
                           ("initramfs path", str(initrd))):
            if re.search(r"\s", text):
                raise ValueError(f"{what} '{text}' has a blank: a multiboot "
                                 "module's path ends at the first blank")
        return list(QEMU_XEN_BASE) + icount + [
            "-kernel", str(self.xen_elf), "-append", XEN_CMDLINE,
            "-initrd", f"{k.vmlinuz} {DOM0_CMDLINE},{initrd}"]


# --------------------------------------------------------------------------
# Building

class BuildError(Exception):
    pass


def check_build_log(log, what):
    text = Path(log).read_text(errors="replace")
    bad = [l for l in text.splitlines()[1:]
           if re.search(r"(?i)\b(warning|error):", l)]
    if bad:
        raise BuildError(f"{what}: {len(bad)} diagnostic(s), see {rel(log)}:\n"
                         + "\n".join("    " + l for l in bad[:10]))


def kdir_id(k):
    return file_id(k.kdir / "Module.symvers") if \
        (k.kdir / "Module.symvers").exists() else str(k.kdir)


def kbuild(k, name, src_files, dest, src_root, extra_args, jobs, key_extra):
    """Copy src_files (relative to src_root) into dest and build there.
    Skipped when the inputs are those of the last warning-free build."""
    key = digest([("v", CACHE_VERSION), ("kdir", kdir_id(k))] +
                 [("x", x) for x in key_extra] +
                 [(str(p.relative_to(src_root)), p.read_bytes())
                  for p in src_files])
    stamp = dest / ".xpv-build-key"
    if stamp.exists() and stamp.read_text() == key and \
       list(dest.glob("*.ko")):
        return key, True
    if dest.exists():
        shutil.rmtree(dest)
    for p in src_files:
        t = dest / p.relative_to(src_root)
        t.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, t)
    log = k.bdir / f"{name}.log"
    rc = run_logged(["make", "-C", k.kdir, f"M={dest}", "W=1",
                     f"-j{jobs}"] + extra_args + ["modules"], log)
    if rc:
        tail = Path(log).read_text(errors="replace").splitlines()[-15:]
        raise BuildError(f"{name} build failed (rc={rc}), see {rel(log)}:\n"
                         + "\n".join("    " + l for l in tail))
    check_build_log(log, f"{name} build")
    if not list(dest.glob("*.ko")):
        raise BuildError(f"{name} build produced no .ko ({rel(log)})")
    stamp.write_text(key)
    return key, False


def build_kernel_modules(k, jobs):
    k.bdir.mkdir(parents=True, exist_ok=True)
    src = k.bdir / "src"
    key, cached = kbuild(k, "modules", source_files(["Kbuild", "include",
                                                     "drivers"]),
                         src, TOP, [], jobs, [])
    kos = sorted(src.glob("*.ko"))
    tcached = True
    tfiles = source_files([rel(TESTMODS)]) if TESTMODS.is_dir() else []
    if any(p.name == "Kbuild" for p in tfiles):
        tdest = k.bdir / "testmod"
        _, tcached = kbuild(k, "testmod", tfiles, tdest, TESTMODS,
                            [f"XPV_SRC={src}",
                             f"KBUILD_EXTRA_SYMBOLS={src}/Module.symvers"],
                            jobs, [key])
        kos += sorted(tdest.glob("*.ko"))
    k.kos = kos
    return cached and tcached


def find_xen():
    """The newest /boot/xen-4.*-amd64.gz, or None."""
    cands = glob.glob(XEN_GZ_GLOB)
    return Path(max(cands, key=vkey)) if cands else None


def prepare_xen_elf():
    """xen.elf (an ELF32 multiboot image QEMU's -kernel loads) unpacked
    from /boot/xen-*.gz into build/xen/, redone when the .gz changes.
    Returns (path, cached)."""
    gz = find_xen()
    if not gz:
        raise BuildError(f"no Xen hypervisor ({XEN_GZ_GLOB}): install "
                         "xen-hypervisor-4.17-amd64 (scripts/deps.sh)")
    out = BUILD / "xen" / (gz.name[:-len(".gz")] + ".elf")
    stamp = out.with_name(out.name + ".key")
    key = digest([("v", CACHE_VERSION), ("gz", file_id(gz))])
    if out.exists() and stamp.exists() and stamp.read_text() == key:
        return out, True
    out.parent.mkdir(parents=True, exist_ok=True)
    data = gzip.decompress(gz.read_bytes())
    if data[:4] != b"\x7fELF":
        raise BuildError(f"{gz} does not hold an ELF image")
    write_if_changed(out, data)
    stamp.write_text(key)
    return out, False


def build_guest_programs():
    """Static guest programs from tests/qemu/guest/*.c -> build/qemu-guest/."""
    out = BUILD / "qemu-guest"
    out.mkdir(parents=True, exist_ok=True)
    headers = [(rel(p), p.read_bytes()) for p in
               source_files(["include", rel(GUEST)], r"\.h$")]
    flags = ["-static", "-O2", "-Wall", "-Werror", f"-I{TOP / 'include'}",
             f"-I{GUEST}"]
    progs, built = [], 0
    for c in sorted(GUEST.glob("*.c")):
        exe = out / c.stem
        key = digest([("v", CACHE_VERSION), ("flags", " ".join(flags)),
                      (c.name, c.read_bytes())] + headers)
        stamp = out / f".{c.stem}.key"
        if not (exe.exists() and stamp.exists() and stamp.read_text() == key):
            log = out / f"{c.stem}.log"
            rc = run_logged(["gcc"] + flags + ["-o", exe, c], log)
            if rc:
                raise BuildError(f"guest program {c.name} failed, see "
                                 f"{rel(log)}:\n" + Path(log).read_text())
            check_build_log(log, f"guest program {c.name}")
            stamp.write_text(key)
            built += 1
        progs.append(exe)
    # ndctl-xen (tools/ndctl-ext): dynamically linked; its libraries are a
    # subset of /usr/bin/ndctl's, which the base archive already carries.
    # make is the cache: "make -q" says whether anything is out of date.
    ndx, ndx_out = TOP / "tools" / "ndctl-ext", BUILD / "ndctl-ext"
    if (ndx / "Makefile").exists():
        make = ["make", "-C", ndx, f"O={ndx_out}", "bin"]
        if subprocess.run(make + ["-q"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode:
            log = out / "ndctl-xen.log"
            if run_logged(make, log):
                raise BuildError(f"ndctl-xen build failed, see {rel(log)}:\n"
                                 + Path(log).read_text())
            check_build_log(log, "ndctl-xen")
            built += 1
        progs.append(ndx_out / "ndctl-xen")
    return progs, built


# --------------------------------------------------------------------------
# initramfs: a cpio "newc" writer, so device nodes need no root and the
# archive is byte-for-byte reproducible.

class Cpio:
    def __init__(self):
        self.buf = bytearray()
        self.ino = 1
        self.dirs = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        name = name.lstrip("/")
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08X}" for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0,
            rdev[0], rdev[1], len(nb), 0))
        self.ino += 1
        self.buf += hdr.encode() + nb
        self.buf += b"\0" * (-len(self.buf) % 4)
        self.buf += data
        self.buf += b"\0" * (-len(self.buf) % 4)

    def mkdir(self, path):
        path = "/" + path.strip("/")
        if path == "/" or path in self.dirs:
            return
        self.mkdir(os.path.dirname(path))
        self.dirs.add(path)
        self._entry(path, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, path, data, mode=0o644):
        self.mkdir(os.path.dirname(path))
        self._entry(path, stat.S_IFREG | mode, data)

    def host_file(self, path, src, mode=None):
        if mode is None:
            mode = 0o755 if os.access(src, os.X_OK) else 0o644
        self.file(path, Path(src).read_bytes(), mode)

    def symlink(self, path, target):
        self.mkdir(os.path.dirname(path))
        self._entry(path, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, path, major, minor, mode=0o600):
        self.mkdir(os.path.dirname(path))
        self._entry(path, stat.S_IFCHR | mode, rdev=(major, minor))

    def gz(self):
        self._entry("TRAILER!!!", 0, nlink=1)
        return gzip.compress(bytes(self.buf), compresslevel=6, mtime=0)


def ldd_closure(progs):
    libs = []
    for prog in progs:
        out = subprocess.run(["ldd", prog], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            m = re.search(r"=>\s*(/\S+)", line) or \
                re.match(r"\s*(/\S+)\s+\(", line)
            if m and m.group(1) not in libs:
                libs.append(m.group(1))
    return libs


def stock_closure(k, mods):
    """{module: [initramfs paths in load order] or ['builtin']} and the host
    files, resolved without /etc/modprobe.d (ndctl's file there hides
    libnvdimm's dependencies)."""
    empty = RUNS / "empty-modprobe.d"
    empty.mkdir(parents=True, exist_ok=True)
    deps, files, missing = {}, {}, []
    base = ["modprobe", "-C", empty, "-S", k.kver]
    if k.root:
        base += ["-d", str(k.root / "root")]
    for mod in mods:
        r = subprocess.run(base + ["--show-depends", mod],
                           capture_output=True, text=True)
        if r.returncode:
            missing.append(mod)
            continue
        order = []
        for line in r.stdout.splitlines():
            w = line.split()
            if w[:1] == ["builtin"]:
                order.append("builtin")
            elif w[:1] == ["insmod"]:
                host = w[1]
                guest = re.sub(r"\.ko\.(xz|zst|gz)$", ".ko", host)
                if k.root:      # the guest sees /lib/modules/...
                    guest = guest[len(str(k.root / "root")):]
                files[guest] = host
                if guest not in order:
                    order.append(guest)
        deps[mod] = order
    return deps, files, missing


def read_module(host):
    data = Path(host).read_bytes()
    if host.endswith(".xz"):
        return lzma.decompress(data)
    if host.endswith(".gz"):
        return gzip.decompress(data)
    if host.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", host], capture_output=True,
                              check=True).stdout
    return data


def errno_table():
    lines = []
    for name in sorted(dir(errno)):
        num = getattr(errno, name)
        if name.startswith("E") and isinstance(num, int):
            lines.append(f"{name} {num} {os.strerror(num)}")
    return ("\n".join(lines) + "\n").encode()


def build_base_archive(k, stock):
    """busybox, ndctl/daxctl with their libraries, stock modules: cached per
    kernel, keyed by the identity of every host file that goes in."""
    deps, files, missing = stock_closure(k, stock)
    progs = [p for p in HOST_PROGRAMS if os.path.exists(p)] + xen_tools()
    libs = ldd_closure(progs)
    busybox = shutil.which("busybox") or "/bin/busybox"
    key = digest([("v", CACHE_VERSION), ("kver", k.kver),
                  ("stock", " ".join(stock)), ("busybox", file_id(busybox))] +
                 [("f", file_id(p)) for p in progs + libs +
                  sorted(files.values())] +
                 [("dep", f"{m}:{' '.join(v)}") for m, v in sorted(deps.items())])
    out = k.bdir / "base.cpio.gz"
    stamp = k.bdir / "base.key"
    info = {"missing_stock": missing,
            "missing_progs": [p for p in HOST_PROGRAMS if p not in progs]}
    if out.exists() and stamp.exists() and stamp.read_text() == key:
        return out, True, info
    a = Cpio()
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev",
              "tmp", "run", "mnt", "root", "etc", "var", "lib64",
              "lib/x86_64-linux-gnu"):
        a.mkdir(d)
    a.chardev("/dev/console", 5, 1)
    a.chardev("/dev/null", 1, 3, 0o666)
    a.host_file("/bin/busybox", busybox, 0o755)
    applets = subprocess.run([busybox, "--list-full"], capture_output=True,
                             text=True, check=True).stdout.split()
    for ap in applets:
        if ap != "bin/busybox":
            a.symlink("/" + ap, "/bin/busybox")
    for p in progs:
        a.host_file(p, p, 0o755)
    for lib in libs:
        # ldd names the path the loader looks for; store the file there.
        a.host_file(lib, os.path.realpath(lib), 0o755)
    a.file("/etc/ld.so.conf", b"/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n")
    for guest, host in sorted(files.items()):
        a.file(guest, read_module(host))
    for mod, order in sorted(deps.items()):
        a.file(f"/xpv/stock/{mod}.deps", ("\n".join(order) + "\n").encode())
    write_if_changed(out, a.gz())
    stamp.write_text(key)
    return out, False, info


def build_xpv_archive(k, progs, scenario_dirs):
    """Our modules, test modules, guest programs, /init, lib.sh, scenarios."""
    a = Cpio()
    a.host_file("/init", GUEST / "init.sh", 0o755)
    a.host_file("/xpv/lib.sh", GUEST / "lib.sh", 0o644)
    for ko in k.kos:
        a.host_file(f"/xpv/modules/{ko.name}", ko, 0o644)
    a.file("/xpv/modules.list",
           ("\n".join(ko.stem.replace("-", "_") for ko in k.kos) + "\n")
           .encode())
    for p in progs:
        a.host_file(f"/xpv/bin/{p.name}", p, 0o755)
    for d in scenario_dirs:
        for s in sorted(d.glob("*.sh")):
            a.host_file(f"/xpv/{d.name}/{s.name}", s, 0o644)
    a.file("/xpv/errno.tab", errno_table())
    a.file("/xpv/kernel", f"{k.series} {k.kver}\n".encode())
    return a.gz()


def build_initrd(k, stock, progs, scenario_dirs):
    base, cached, info = build_base_archive(k, stock)
    data = base.read_bytes() + build_xpv_archive(k, progs, scenario_dirs)
    write_if_changed(k.initrd, data)
    return cached, info


def plan_archive(boot):
    a = Cpio()
    a.file("/xpv/plan", "".join(f"{s.name} {boot.timeout(s)} "
                                f"{s.guest_path()}\n"
                                for s in boot.scenarios).encode())
    if boot.shell:
        a.file("/xpv/shell", b"")
    if boot.hv == "xen":
        a.file("/xpv/xen", b"")
    return a.gz()


# --------------------------------------------------------------------------
# Booting

MARK_RX = re.compile(r"@@XPV (BOOT|BEGIN|END|DONE)\b\s*(\S*)")
XEN_TAG = "(XEN)"
# Xen lines after which only Xen's fixed 5 s reboot delay is left (Dom0
# crashed, or Xen panicked): the runner stops QEMU itself after XEN_END_WAIT.
XEN_ENDING = re.compile(r"Hardware Dom0 (crashed|shutdown)|"
                        r"Reboot in five seconds")
XEN_END_WAIT = 1.0


class ConsoleDemux:
    """Splits a Xen boot's console (com1: Xen's lines and Dom0's hvc0) into
    Xen lines and guest lines.  Xen writes each of its lines whole, but
    Dom0's hvc0 output reaches Xen in chunks of a few bytes, so a Xen line
    can land inside a Dom0 line: "<dom0 start>(XEN) <xen line>" then
    "<dom0 rest>" on the next physical line.  The guest part before the
    tag is held back and completed by the next line without a tag, which
    gives every printk record back whole.  Without Xen (xen=False) every
    line is a guest line."""

    def __init__(self, xen):
        self.xen = xen
        self.pending = ""

    def feed(self, raw):
        """One physical line (no newline) -> [(kind, line)], kind "xen" or
        "guest"."""
        if not self.xen:
            return [("guest", raw)]
        i = raw.find(XEN_TAG)
        if i < 0:
            line, self.pending = self.pending + raw, ""
            return [("guest", line)]
        self.pending += raw[:i]
        return [("xen", raw[i:])]

    def flush(self):
        line, self.pending = self.pending, ""
        return [("guest", line)] if line else []


# Host requests: a scenario asks the runner for something only the host can
# do by writing one line to /dev/kmsg (README: "Host requests"):
#   @@XPV HOST <scenario> nvdimm-hotplug <id> <MiB> <slot> <addr> [prep]
# The runner hot-adds an NVDIMM through QMP (object-add + device_add).  With
# "prep", it first boots a second, short QEMU with that NVDIMM cold-plugged
# at the same slot and address (same NFIT serial, same SPA: labels and info
# blocks written there stay valid) running the scenario as "<scenario>.prep",
# so the hot-added NVDIMM arrives already prepared.  Failures are logged
# (.qemu.log, and "qemu:" lines); the guest sees them as a device that never
# appears.
HOST_RX = re.compile(r"@@XPV HOST ([A-Za-z0-9_.-]+) nvdimm-hotplug ([a-z0-9]+) "
                     r"(\d+) (\d+) (0x[0-9a-fA-F]+)( prep)?\s*$")


# Memory hotplug: "@@XPV HOST <scenario> mem-hotplug <id> <MiB>" adds a
# pc-dimm of MiB MiB backed by RAM; "... mem-unplug <id>" asks QEMU to
# unplug it again (the guest must have offlined its blocks: ACPI eject).
MEM_RX = re.compile(r"@@XPV HOST ([A-Za-z0-9_.-]+) mem-(hotplug|unplug) "
                    r"([a-z0-9]+)(?: (\d+))?\s*$")


def mem_request(boot, m, log):
    """Carry out one MEM_RX request (see above)."""
    _, what, ident, mib = m.groups()
    mem, dev = f"xpvmem{ident}", f"xpvdimm{ident}"
    if what == "hotplug":
        cmds = [{"execute": "object-add", "arguments": {
                    "qom-type": "memory-backend-ram", "id": mem,
                    "size": int(mib or 0) << 20}},
                {"execute": "device_add", "arguments": {
                    "driver": "pc-dimm", "id": dev, "memdev": mem}}]
    else:
        cmds = [{"execute": "device_del", "arguments": {"id": dev}}]
    err = qmp_run(boot.rundir / "qmp.sock", cmds, log)
    log.flush()
    if err:
        say(f"{boot.kernel.kver} boot {boot.name}: mem-{what} {ident}: {err}")


def qmp_run(sock, cmds, log):
    """Run QMP commands on a QEMU's socket; None or the first error."""
    import json
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    try:
        s.connect(str(sock))
        f = s.makefile("rw")
        f.readline()                                    # greeting
        for c in [{"execute": "qmp_capabilities"}] + cmds:
            f.write(json.dumps(c) + "\n")
            f.flush()
            r = {"event": None}
            while "event" in r:                         # skip events
                r = json.loads(f.readline())
            log.write(f"xpv qmp: {json.dumps(c)} -> {json.dumps(r)}\n")
            if "error" in r:
                return r["error"].get("desc", str(r["error"]))
        return None
    except (OSError, ValueError) as e:
        return f"QMP: {e}"
    finally:
        s.close()


def host_prep_vm(boot, scen, devargs, log):
    """The "prep" boot of a host request: the scenario as <name>.prep with
    the NVDIMM cold-plugged.  Logs: <kver>.<boot>.prep.{console,output}.log.
    True when it passed."""
    k, name = boot.kernel, f"{scen.name}.prep"
    a = Cpio()
    a.file("/xpv/plan", f"{name} {scen.timeout} {scen.guest_path()}\n"
           .encode())
    initrd = boot.rundir / "prep-initrd.gz"
    initrd.write_bytes(k.initrd.read_bytes() + a.gz())
    tag = f"{k.kver}.{boot.name}.prep"
    console, output = LOGS / f"{tag}.console.log", LOGS / f"{tag}.output.log"
    cmd = (["timeout", "-k", "10", str(BOOT_TIMEOUT + scen.timeout),
            "qemu-system-x86_64"] + list(QEMU_BASE) +
           ["-kernel", str(k.vmlinuz), "-initrd", str(initrd), "-append",
            KCMDLINE] + devargs +
           ["-serial", f"file:{console}", "-serial", f"file:{output}"])
    log.write("xpv prep: " + " ".join(shlex.quote(c) for c in cmd) + "\n")
    log.flush()
    subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=log,
                   stderr=subprocess.STDOUT)
    text = console.read_text(errors="replace") if console.exists() else ""
    n = re.escape(name)
    return bool(re.search(rf"@@XPV PLAN {n} checks=[1-9]\d* failed=0 rc=0",
                          text) and
                re.search(rf"@@XPV END {n} rc=0\b", text))


def host_request(boot, m, log):
    """Carry out one HOST_RX request (see above)."""
    scen, ident, mib, slot, addr, prep = m.groups()
    mem, dev = f"xpvhp{ident}", f"xpvhpdimm{ident}"
    img = boot.rundir / f"{mem}.img"
    with open(img, "wb") as f:
        f.truncate(int(mib) << 20)
    what = f"{boot.kernel.kver} boot {boot.name}: nvdimm-hotplug {ident}"
    if prep:
        s = next((x for x in boot.scenarios if x.name == scen), None)
        devargs = ["-object", f"memory-backend-file,id={mem},share=on,"
                   f"mem-path={img},size={mib}M,align=2M",
                   "-device", f"nvdimm,id={dev},memdev={mem},"
                   f"label-size=128K,slot={slot},addr={addr}"]
        if not s or not host_prep_vm(boot, s, devargs, log):
            say(f"{what}: the prep boot failed (logs "
                f"{rel(LOGS)}/{boot.kernel.kver}.{boot.name}.prep.*)")
            return
    err = qmp_run(boot.rundir / "qmp.sock", [
        {"execute": "object-add", "arguments": {
            "qom-type": "memory-backend-file", "id": mem, "share": True,
            "mem-path": str(img), "size": int(mib) << 20,
            "align": 2 << 20}},
        {"execute": "device_add", "arguments": {
            "driver": "nvdimm", "id": dev, "memdev": mem,
            "label-size": 128 << 10, "slot": int(slot),
            "addr": int(addr, 16)}}], log)
    log.flush()
    if err:
        say(f"{what}: {err}")


def boot_one(boot, keep):
    """Boot, watching the console log: QEMU is stopped when the guest makes
    no progress within the time its plan allows."""
    k = boot.kernel
    if boot.rundir.exists():
        shutil.rmtree(boot.rundir)
    boot.rundir.mkdir(parents=True)
    initrd = boot.rundir / "initrd.gz"
    initrd.write_bytes(k.initrd.read_bytes() + plan_archive(boot))
    for p in (boot.console, boot.output, boot.qemulog, boot.xenlog):
        p.unlink(missing_ok=True)
    args = boot.qemu_args(initrd)
    for d in boot.devices:
        args += DEVICES[d](boot.rundir)
    args += ["-serial", f"file:{boot.console}"]
    if boot.shell:
        # ttyS1 on this terminal; Ctrl-C goes to the guest.
        args += ["-chardev", "stdio,id=xpvtty,signal=off",
                 "-serial", "chardev:xpvtty"]
        cmd = ["timeout", "-k", "10", "4h", "qemu-system-x86_64"] + args
        boot.cmdfile.write_text(" ".join(shlex.quote(c) for c in cmd) + "\n")
        t0 = time.monotonic()
        boot.qemu_rc = subprocess.call(cmd)
        boot.wall = time.monotonic() - t0
        if not keep:
            shutil.rmtree(boot.rundir, ignore_errors=True)
        return
    args += ["-serial", f"file:{boot.output}",
             "-qmp", f"unix:{boot.rundir / 'qmp.sock'},server=on,wait=off"]
    cmd = ["timeout", "-k", "10", str(boot.budget()),
           "qemu-system-x86_64"] + args
    boot.cmdfile.write_text(" ".join(shlex.quote(c) for c in cmd) + "\n")

    timeouts = {s.name: boot.timeout(s) for s in boot.scenarios}
    t0 = time.monotonic()
    with open(boot.qemulog, "w") as qlog:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qlog,
                                stderr=subprocess.STDOUT)
        pos, partial = 0, ""
        demux = ConsoleDemux(boot.hv == "xen")
        state, deadline = "boot", t0 + BOOT_TIMEOUT
        stop_at = None
        while proc.poll() is None:
            time.sleep(0.25)
            now = time.monotonic()
            try:
                with open(boot.console, "rb") as f:
                    f.seek(pos)
                    chunk = f.read()
                    pos += len(chunk)
            except FileNotFoundError:
                chunk = b""
            text = partial + chunk.decode("utf-8", "replace")
            lines = text.split("\n")
            partial = lines.pop()
            for kind, line in (x for raw in lines for x in demux.feed(raw)):
                if kind == "xen" and XEN_ENDING.search(line) and \
                   not boot.stopped:
                    boot.stopped = (f"stopped by the runner after Xen "
                                    f"said: {line.strip()}")
                    stop_at = now + XEN_END_WAIT
                h = kind == "guest" and HOST_RX.search(line)
                if h:
                    host_request(boot, h, qlog)
                    continue
                h = kind == "guest" and MEM_RX.search(line)
                if h:
                    mem_request(boot, h, qlog)
                    continue
                m = kind == "guest" and MARK_RX.search(line)
                if not m:
                    continue
                what, arg = m.group(1), m.group(2)
                if what == "BEGIN":
                    state = f"scenario {arg}"
                    deadline = now + timeouts.get(arg, DEFAULT_SCENARIO_TIMEOUT) + GRACE
                elif what == "DONE":
                    state, deadline = "poweroff", now + GRACE
                else:           # BOOT, END: the next BEGIN is due soon
                    state, deadline = f"after {what} {arg}".strip(), now + GRACE
            if stop_at is not None and now > stop_at:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                break
            if now > deadline:
                boot.watchdog = (f"no progress for too long ({state}, "
                                 f"{now - t0:.0f}s into the boot): "
                                 "QEMU stopped by the runner")
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                break
        boot.qemu_rc = proc.wait()
    boot.wall = time.monotonic() - t0
    if not keep:
        shutil.rmtree(boot.rundir, ignore_errors=True)


# --------------------------------------------------------------------------
# Parsing the console log

TS_RX = re.compile(r"^\[\s*(\d+\.\d+)\]\s?(.*)$")
CHECK_RX = re.compile(r"^(ok|not ok) (\d+) - (.*?)(?: # (SKIP\b ?)?(.*))?$")
# Kernel lines that fail the scenario running (else the boot).
KERNEL_BAD = (
    ("kmemleak", re.compile(r"unreferenced object 0x")),
    ("oops", re.compile(r"\bOops\b")),
    ("warning", re.compile(r"WARNING:")),
    ("bug", re.compile(r"BUG:|kernel BUG at")),
    ("panic", re.compile(r"Kernel panic")),
    ("kasan", re.compile(r"KASAN")),
    ("ubsan", re.compile(r"UBSAN")),
    ("hung-task", re.compile(r"\bhung_task\b|blocked for more than")),
    ("gpf", re.compile(r"general protection fault")),
    ("call-trace", re.compile(r"Call Trace:")),
    ("rcu-stall", re.compile(r"rcu: .*(self-detected stall|detected stalls)")),
)
# Lines that quote the command line, not an event.
KERNEL_IGNORE = re.compile(r"[Cc]ommand line:|Unknown kernel command line")
# Xen's own console lines ("(XEN) ...") that fail the scenario running (else
# the boot): Xen's panic, assertion, BUG/WARN, fatal trap, register dump,
# a crashed domain (Dom0's panic shows as "Hardware Dom0 crashed").
XEN_BAD = (
    ("panic", re.compile(r"(?i)\bpanic")),
    ("assert", re.compile(r"Assertion\b")),
    ("bug", re.compile(r"\bBUG\b")),
    ("warning", re.compile(r"WARN")),
    ("fatal", re.compile(r"(?i)\bfatal\b")),
    ("crash", re.compile(r"(?i)crash")),
    ("trace", re.compile(r"Xen call trace|----\[ Xen-")),
)
# What a Xen boot's own lines must show: the emulated VT-d in use, Dom0's
# DMA translated (not passed through), as on a PV-IOMMU host.
XEN_EXPECT = ("I/O virtualisation enabled",
              "Intel VT-d Dom0 DMA Passthrough not enabled")


class Check:
    def __init__(self, ok, n, desc, skip, why):
        self.ok, self.n, self.desc, self.skip, self.why = ok, n, desc, skip, why

    def line(self):
        if self.skip:
            return f"ok {self.n} - {self.desc} # SKIP {self.why}"
        s = f"{'ok' if self.ok else 'not ok'} {self.n} - {self.desc}"
        return s + (f" # {self.why}" if self.why and not self.ok else "")


class ScenarioResult:
    def __init__(self, name):
        self.name = name
        self.started = False
        self.ended = False
        self.rc = None
        self.plan = None            # (checks, failed, rc) from PLAN
        self.t0 = self.t1 = None
        self.checks = []
        self.reasons = []           # (kind, text)
        self.kernel_lines = []      # bad kernel lines (with context)

    def add(self, kind, text):
        if (kind, text) not in self.reasons:
            self.reasons.append((kind, text))

    @property
    def kinds(self):
        return {k for k, _ in self.reasons}

    @property
    def status(self):
        if self.reasons:
            return "fail"
        if self.checks and all(c.skip for c in self.checks):
            return "skip"
        return "pass"

    def duration(self):
        return self.t1 - self.t0 if self.t0 is not None and \
            self.t1 is not None else None


class BootResult:
    def __init__(self):
        self.scenarios = {}
        self.order = []
        self.problems = []          # (kind, text) not attributable
        self.kernel_lines = []
        self.booted = False
        self.done = False
        self.guest_time = None
        self.hv = None              # what the guest's BOOT line says
        self.xen_lines = []         # Xen's own console lines (Xen mode)
        self.xen_bad = 0            # how many of them failed something


def parse_console(text, names, qemu_rc=None, watchdog=None, timed_out=False,
                  hv="none"):
    """Parse a console log.  names: the boot's plan, in order.  hv: the
    hypervisor the boot was planned with ("xen": the log also holds Xen's
    lines, which are checked too)."""
    br = BootResult()
    for n in names:
        br.scenarios[n] = ScenarioResult(n)
        br.order.append(n)
    cur = None
    last_ts = None
    context_left = 0
    xen_context = 0
    demux = ConsoleDemux(hv == "xen")
    physical = text.replace("\r", "").split("\n")
    for kind, raw in [x for p in physical for x in demux.feed(p)] + \
            demux.flush():
        if kind == "xen":
            br.xen_lines.append(raw)
            target = cur.kernel_lines if cur else br.kernel_lines
            bad = [] if KERNEL_IGNORE.search(raw) else \
                [k for k, rx in XEN_BAD if rx.search(raw)]
            if bad:
                br.xen_bad += 1
                for k in bad:
                    if cur:
                        cur.add("xen-" + k, raw.strip())
                    else:
                        br.problems.append(("xen-" + k, raw.strip()))
                target.append(raw.rstrip())
                xen_context = 12
            elif xen_context:
                target.append(raw.rstrip())
                xen_context -= 1
            continue
        m = TS_RX.match(raw)
        ts, line = (float(m.group(1)), m.group(2)) if m else (None, raw)
        if ts is not None:
            last_ts = ts
        i = line.find("@@XPV ")
        if i >= 0:
            body = line[i + 6:].strip()
            word, _, rest = body.partition(" ")
            if word == "BOOT":
                br.booted = True
                hm = re.search(r"\bhv=(\S+)", rest)
                br.hv = hm.group(1) if hm else "none"
            elif word == "DONE":
                br.done = True
                br.guest_time = ts
            elif word == "BEGIN":
                if cur is not None:     # only /init starts scenarios
                    cur.add("bad-marker", f"printed a BEGIN line: {body}")
                    continue
                cur = br.scenarios.setdefault(rest, ScenarioResult(rest))
                if rest not in br.order:
                    br.order.append(rest)
                cur.started = True
                cur.t0 = ts
            elif word == "END":
                nm, _, rcs = rest.partition(" rc=")
                if cur is not None and nm != cur.name:
                    cur.add("bad-marker", f"printed an END line: {body}")
                    continue
                s = br.scenarios.setdefault(nm, ScenarioResult(nm))
                s.ended = True
                s.t1 = ts
                try:
                    s.rc = int(rcs)
                except ValueError:
                    s.rc = -1
                cur = None
            elif word == "TIMEOUT" and cur:
                cur.add("timeout", f"killed by the per-scenario timeout "
                        f"({rest.split(' after ')[-1]})")
            elif word == "CLEANUP-FAILED" and cur:
                cur.add("cleanup", "modules left loaded could not be "
                        "unloaded: " + rest.split(":", 1)[-1].strip())
            elif word == "PLAN" and cur:
                pm = re.search(r"checks=(\d+) failed=(\d+) rc=(-?\d+)", rest)
                if pm:
                    cur.plan = tuple(int(x) for x in pm.groups())
            elif cur is not None:
                cm = CHECK_RX.match(body)
                if cm:
                    ok = cm.group(1) == "ok"
                    cur.checks.append(Check(ok, int(cm.group(2)),
                                            cm.group(3),
                                            bool(cm.group(4)),
                                            cm.group(5) or ""))
            continue
        if KERNEL_IGNORE.search(line):
            continue
        bad = [kind for kind, rx in KERNEL_BAD if rx.search(line)]
        target = cur.kernel_lines if cur else br.kernel_lines
        if bad:
            for kind in bad:
                txt = line.strip()
                if cur:
                    cur.add("kernel-" + kind, txt)
                else:
                    br.problems.append(("kernel-" + kind, txt))
            target.append(raw.rstrip())
            context_left = 12
        elif context_left and line.strip():
            target.append(raw.rstrip())
            context_left -= 1

    for n in br.order:
        s = br.scenarios[n]
        if not s.started:
            s.add("not-run", "never started (the boot ended before it)")
            continue
        if not s.ended:
            s.add("no-end", "never reported its END line")
        elif s.rc != 0:
            if "timeout" not in s.kinds:
                s.add("rc", f"exit status {s.rc}")
        nok = [c for c in s.checks if not c.ok]
        if nok:
            s.add("not-ok", f"{len(nok)} check(s) not ok")
        if s.ended and not s.checks and "timeout" not in s.kinds:
            s.add("no-checks", "reported no checks")
        if s.ended and s.plan and s.plan[0] != len(s.checks):
            s.add("lost-checks", f"printed {s.plan[0]} checks, "
                  f"{len(s.checks)} reached the log")
        if s.ended and not s.plan and s.rc == 0:
            s.add("lost-checks", "no PLAN line (lib.sh not used, or its "
                  "EXIT trap replaced)")

    running = cur.name if cur else None
    ends = []
    if watchdog:
        ends.append(("watchdog", watchdog))
    elif timed_out:
        ends.append(("boot-timeout", "QEMU killed by its timeout"))
    elif not br.done:
        ends.append(("early-exit", f"QEMU exited (rc={qemu_rc}) before "
                     "the guest finished its plan"))
    elif qemu_rc not in (0, None):
        ends.append(("qemu-rc", f"QEMU exited with rc={qemu_rc}"))
    if not br.booted:
        ends.append(("no-boot", "the guest never reached /init"))
    elif br.hv != hv:
        br.problems.append(("wrong-hypervisor", f"the guest runs on "
                            f"'{br.hv}', the boot was planned for '{hv}'"))
    if hv == "xen" and not br.xen_lines:
        br.problems.append(("no-xen", "no line from Xen on the console"))
    elif hv == "xen":
        for want in XEN_EXPECT:
            if not any(want in l for l in br.xen_lines):
                br.problems.append(("xen-no-iommu", f"Xen never said "
                                    f"'{want}' (iommu=1 with intel-iommu)"))
    for kind, text in ends:
        if running:
            br.scenarios[running].add(kind, text + " (while this scenario "
                                      "was running)")
        else:
            br.problems.append((kind, text))
    return br


# --------------------------------------------------------------------------
# Self-test: the harness must see what it is built to see.

def selftest_expectations(boot):
    """One check per self-test scenario (its '# expect:' line) plus one for
    the boot as a whole."""
    out = []
    br = boot.result
    for s in boot.scenarios:
        r = br.scenarios[s.name]
        exp = s.expect or ["pass"]
        want_status = exp[0]
        want = set(x for x in exp[1:] if "=" not in x)
        opts = dict(x.split("=", 1) for x in exp[1:] if "=" in x)
        problems = []
        if r.status != want_status:
            problems.append(f"status {r.status}, expected {want_status}")
        missing = want - r.kinds
        if missing:
            problems.append("not detected: " + " ".join(sorted(missing)))
        if "checks" in opts and str(len(r.checks)) != opts["checks"]:
            problems.append(f"{len(r.checks)} checks parsed, expected "
                            f"{opts['checks']}")
        nok = sum(1 for c in r.checks if not c.ok)
        if "notok" in opts and str(nok) != opts["notok"]:
            problems.append(f"{nok} checks not ok, expected {opts['notok']}")
        got = " ".join(sorted(r.kinds)) or "no failure"
        desc = f"{s.name}: expected {' '.join(exp)}; got {r.status} ({got})"
        out.append((not problems, desc, "; ".join(problems)))
    extra = [t for _, t in br.problems]
    out.append((not extra, f"{boot.name} boot: every problem attributed to "
                "a scenario", "; ".join(extra)))
    return out


def parser_selftest():
    """Parser checks on synthetic logs (no QEMU)."""
    res = []

    def t(desc, cond):
        res.append((bool(cond), "parser: " + desc, ""))

    log = "\n".join([
        "[    0.000000] Command line: console=ttyS0 sysctl.kernel.hung_task_timeout_secs=30",
        "[    1.0] @@XPV BOOT 6.12 scenarios=3",
        "[    1.1] @@XPV BEGIN a",
        "[    1.2] @@XPV ok 1 - first",
        "[    1.3] @@XPV ok 2 - second # SKIP why",
        "[    1.4] @@XPV PLAN a checks=2 failed=0 rc=0",
        "[    1.5] @@XPV END a rc=0",
        "[    1.6] @@XPV BEGIN b",
        "[    1.7] @@XPV ok 1 - x",
        "[    1.8] ------------[ cut here ]------------",
        "[    1.9] WARNING: CPU: 0 PID: 1 at foo.c:1 bar+0x1/0x2",
        "[    2.0] Call Trace:",
        "[    2.1] @@XPV PLAN b checks=2 failed=0 rc=0",
        "[    2.2] @@XPV END b rc=0",
        "[    2.3] @@XPV BEGIN c",
        "[    2.4] @@XPV not ok 1 - y # why # more",
        "[    2.5] @@XPV PLAN c checks=1 failed=1 rc=1",
        "[    2.6] @@XPV END c rc=1",
        "[    2.7] @@XPV DONE",
    ])
    br = parse_console(log, ["a", "b", "c", "d"], qemu_rc=0)
    a, b, c, d = (br.scenarios[n] for n in "abcd")
    t("command line quoting hung_task is not a hung task",
      not br.problems)
    t("ok/skip lines parsed", a.status == "pass" and len(a.checks) == 2 and
      a.checks[1].skip)
    t("WARNING and Call Trace attributed to the running scenario",
      {"kernel-warning", "kernel-call-trace"} <= b.kinds)
    t("lost check line detected (PLAN says 2, log has 1)",
      "lost-checks" in b.kinds)
    t("not ok and rc detected, reason keeps '#'",
      {"not-ok", "rc"} <= c.kinds and c.checks[0].why == "why # more")
    t("scenario never started is failed", "not-run" in d.kinds)
    br = parse_console("[ 1.0] @@XPV BOOT x\n[ 1.1] @@XPV BEGIN a\n"
                       "[ 1.2] @@XPV ok 1 - x\n[ 1.3] Kernel panic - not syncing",
                       ["a"], qemu_rc=0)
    a = br.scenarios["a"]
    t("panic mid-scenario: no-end + early exit on the scenario, boot clean",
      {"no-end", "kernel-panic", "early-exit"} <= a.kinds and not br.problems)
    br = parse_console("[ 1.0] BUG: unable to handle page fault", ["a"],
                       qemu_rc=124, timed_out=True)
    t("kernel error and timeout before /init go to the boot",
      {"kernel-bug", "boot-timeout", "no-boot"} <= {k for k, _ in br.problems})

    # Xen mode: Xen's lines share the console with Dom0's.
    log = "\r\n".join([
        "(XEN) Command line: console=com1 loglvl=all panic",
        "(XEN) Intel VT-d Dom0 DMA Passthrough not enabled.",
        "(XEN) I/O virtualisation enabled",
        "[    1.0] @@XPV BOOT 6.12 scenarios=2 hv=xen",
        "[    1.1] @@XPV BEGIN a",
        "[    1.2] @@XPV ok 1 - fi(XEN) PCI add device 0000:00:01.0",
        "rst check",
        "[    1.3] @@XPV PLAN a checks=1 failed=0 rc=0",
        "[    1.4] @@XPV END a rc=0",
        "[    1.5] @@XPV BEGIN b",
        "[    1.6] @@XPV ok 1 - x",
        "(XEN) Xen WARN at foo.c:12",
        "(XEN) ----[ Xen-4.17.7  x86_64  debug=n  Not tainted ]----",
        "[    1.7] @@XPV PLAN b checks=1 failed=0 rc=0",
        "[    1.8] @@XPV END b rc=0",
        "[    1.9] @@XPV DONE",
        "(XEN) Hardware Dom0 crashed: rebooting machine in 5 seconds.",
    ])
    br = parse_console(log, ["a", "b"], qemu_rc=0, hv="xen")
    a, b = br.scenarios["a"], br.scenarios["b"]
    t("xen: a Dom0 line torn by a Xen line is put back together",
      a.status == "pass" and [c.desc for c in a.checks] == ["first check"])
    t("xen: Xen WARN and register dump attributed to the running scenario",
      {"xen-warning", "xen-trace"} <= b.kinds and
      len(br.xen_lines) == 7 and br.xen_bad == 3)
    t("xen: Dom0 crash after DONE fails the boot; command line ignored",
      [k for k, _ in br.problems] == ["xen-crash"])
    br = parse_console("[ 1.0] @@XPV BOOT x scenarios=0 hv=none\n"
                       "[ 1.1] @@XPV DONE", [], qemu_rc=0, hv="xen")
    t("xen: a boot not under Xen, or without Xen's lines, fails",
      {"wrong-hypervisor", "no-xen"} <= {k for k, _ in br.problems})
    br = parse_console("(XEN) I/O virtualisation disabled\n"
                       "[ 1.0] @@XPV BOOT x scenarios=0 hv=xen\n"
                       "[ 1.1] @@XPV DONE", [], qemu_rc=0, hv="xen")
    t("xen: a Xen boot without the emulated VT-d in use fails",
      [k for k, _ in br.problems] == ["xen-no-iommu"] * 2)
    return res


# --------------------------------------------------------------------------
# Reporting

def fmt_time(x):
    return "-" if x is None else f"{x:.1f}s"


def report_boot(boot, verbose):
    br = boot.result
    devs = " ".join(boot.devices) or "-"
    head = (f"  boot {boot.name}: {len(boot.scenarios)} scenario(s), "
            f"devices {devs}, wall {boot.wall:.1f}s, guest "
            f"{fmt_time(br.guest_time)}, qemu rc={boot.qemu_rc}")
    print(head)
    if boot.stopped:
        print(f"       QEMU {boot.stopped}")
    if boot.hv == "xen":
        print(f"       Xen PV Dom0 ({boot.xen_elf.name}, "
              f"{QEMU_XEN_BASE[1].split(',')[0]} + intel-iommu): "
              f"{len(br.xen_lines)} Xen console lines, {br.xen_bad} "
              "with a warning or crash")
    print(f"       log {rel(boot.console)} (+ .output.log, .cmd"
          f"{', .xen.log' if boot.hv == 'xen' else ''})")
    for kind, text in br.problems:
        print(f"  BOOT FAIL [{kind}] {text}")
    if br.problems and br.kernel_lines:
        for l in br.kernel_lines[:20]:
            print(f"        | {l}")
    if boot.selftest:
        return
    for n in br.order:
        r = br.scenarios[n]
        nok = sum(1 for c in r.checks if not c.ok)
        nskip = sum(1 for c in r.checks if c.skip)
        nok_ok = len(r.checks) - nok - nskip
        counts = f"{nok_ok} ok" + (f", {nok} not ok" if nok else "") + \
            (f", {nskip} skipped" if nskip else "")
        print(f"  {r.status.upper():4}  {n:<34} {counts:<28} "
              f"{fmt_time(r.duration())}")
        show = r.checks if verbose else [c for c in r.checks if not c.ok]
        for c in show:
            print(f"          {c.line()}")
        for kind, text in r.reasons:
            if kind != "not-ok":
                print(f"          [{kind}] {text}")
        if r.kernel_lines and r.status == "fail":
            for l in r.kernel_lines[:20]:
                print(f"          | {l}")


# --------------------------------------------------------------------------

# --------------------------------------------------------------------------
# The perf tier: perf_dma, perf_swiotlb and xen_perf print "perf KEY = N"
# check lines (instructions per call under -icount: exact, repeatable).
# Here they meet: one table per kernel, the ratios, and the gates.  Only
# ratios of figures measured in this run are gated, never absolute counts.

PERF_ROUTES = (("direct", "dma-direct (floor)"),
               ("xen", "SWIOTLB-Xen, PV Dom0"),
               ("swiotlb", "swiotlb=force (bounce)"),
               ("xpv", "xen_pviommu direct"),
               ("xpvb", "xen_pviommu bounce"))
PERF_SIZES = ("4k", "64k", "sg16")
# (numerator, denominator, limit, why): pair = map + unmap.
PERF_GATES = (
    ("xpv", "swiotlb", 0.10, "the 1:1 map never bounces"),
    ("xpvb", "swiotlb", 1.00, "our bounce pool is no dearer than swiotlb"),
    ("xpv", "xen", 1.50, "as cheap as SWIOTLB-Xen's in-place path"),
    ("xpv", "direct", 4.00, "a range lookup + one P2M run read"),
)
PERF_RX = re.compile(r"^perf (\w+)\.(map|unmap)\.(\w+) = (\d+)$")


def perf_report(boots):
    """Print the perf tables; return (passed, failed) gate counts."""
    passed = failed = 0
    by_kernel = {}
    for b in boots:
        if not b.result:
            continue
        for r in b.result.scenarios.values():
            for c in r.checks:
                m = PERF_RX.match(c.desc)
                if m and c.ok:
                    v = by_kernel.setdefault(b.kernel.kver, {})
                    key = (m.group(1), m.group(3))
                    v.setdefault(key, {})[m.group(2)] = int(m.group(4))
    for kver in sorted(by_kernel, key=vkey):
        v = by_kernel[kver]
        pair = {k: d["map"] + d["unmap"] for k, d in v.items()
                if "map" in d and "unmap" in d}
        print(f"\n== perf, {kver}: instructions per call (map + unmap) "
              "under -icount")
        print("  " + f"{'route':30}" + "".join(f"{s:>18}" for s in PERF_SIZES))
        for route, what in PERF_ROUTES:
            cells = []
            for s in PERF_SIZES:
                d = v.get((route, s))
                cells.append(f"{d['map']:>8} + {d['unmap']:<7}"
                             if d and (route, s) in pair else f"{'-':>18}")
            print(f"  {what:30}" + "".join(f"{c:>18}" for c in cells))
        for num, den, limit, why in PERF_GATES:
            for s in PERF_SIZES:
                a, b2 = pair.get((num, s)), pair.get((den, s))
                if a is None or b2 is None or not b2:
                    continue
                ratio = a / b2
                ok = ratio <= limit
                passed, failed = passed + ok, failed + (not ok)
                print(f"  {'ok    ' if ok else 'NOT OK'} {num}/{den} {s}: "
                      f"{ratio:.3f} (<= {limit:.2f}: {why})")
    return passed, failed


def main():
    ap = argparse.ArgumentParser(
        prog="tests/qemu/run",
        description="QEMU TCG tier: stock Debian kernels + our modules + "
                    "in-guest scenarios (see tests/qemu/README.md)")
    ap.add_argument("--kernel", default="all",
                    help="6.1, 6.12 or all (default), comma-separated ok")
    ap.add_argument("--scenario", action="append", default=[],
                    metavar="GLOB", help="only scenarios whose name matches "
                    "(repeatable); the self-test then runs only with "
                    "--selftest")
    ap.add_argument("--selftest", action="store_true",
                    help="run the harness self-test (alone unless "
                    "--scenario is given too)")
    xg = ap.add_mutually_exclusive_group()
    xg.add_argument("--no-xen", action="store_true",
                    help="skip the Xen boots ('# hypervisor: xen' scenarios "
                    "and the Xen self-test)")
    xg.add_argument("--xen-only", action="store_true",
                    help="only the Xen boots (with --shell: a shell in a "
                    "Xen PV Dom0)")
    ap.add_argument("--keep", action="store_true",
                    help="keep each boot's run directory (initrd, disk "
                    "images) under build/qemu-run/")
    ap.add_argument("--shell", action="store_true",
                    help="boot one kernel (default 6.12), run the selected "
                    "scenarios if any, then an interactive shell on this "
                    "terminal (lib.sh loaded); 'poweroff -f' or exit ends "
                    "it; under Xen with --xen-only")
    ap.add_argument("--device", action="append", default=[],
                    choices=sorted(DEVICES), help="add a device to every "
                    "boot (repeatable; mostly for --shell)")
    ap.add_argument("--list", action="store_true",
                    help="print the boots and scenarios, run nothing")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print every check line, not only failures")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="QEMU boots in parallel (default: CPUs)")
    args = ap.parse_args()

    t_start = time.monotonic()
    passed = failed = 0
    LOGS.mkdir(parents=True, exist_ok=True)
    RUNS.mkdir(parents=True, exist_ok=True)
    # One run at a time per checkout: they share build/.
    lockf = open(BUILD / "qemu-run.lock", "w")
    try:
        fcntl.flock(lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        say("another tests/qemu/run is using this checkout's build/: waiting")
        fcntl.flock(lockf, fcntl.LOCK_EX)

    want = SERIES + (DEBUG_SERIES,) if args.kernel == "all" else \
        tuple(x for x in re.split(r"[,\s]+", args.kernel) if x)
    for s in want:
        if s not in SERIES + (DEBUG_SERIES,):
            ap.error(f"unknown kernel '{s}' (known: {', '.join(SERIES)}, "
                     f"{DEBUG_SERIES}, all)")
    if args.shell:
        if len(want) != 1:
            want = (SELFTEST_SERIES,)
        args.selftest = False
    run_main = bool(args.scenario) or not args.selftest
    run_self = not args.shell and (
        args.selftest or (not args.scenario and args.kernel == "all"))

    kernels = {}
    for s in set(want) | ({SELFTEST_SERIES} if run_self else set()):
        k = find_kernel(s)
        if not k and s == DEBUG_SERIES and args.kernel == "all":
            say("note: the debug kernel is not built (scripts/debug-kernel.sh"
                "; scripts/test.sh builds it): no debug boots")
            continue
        if not k:
            say(f"FAIL: no {s} kernel " + (
                "(scripts/debug-kernel.sh builds it)" if s == DEBUG_SERIES
                else f"(/boot/vmlinuz-{s}.*-amd64 with /lib/modules and "
                "/usr/src/linux-headers): run scripts/deps.sh"))
            failed += 1
            continue
        kernels[s] = k

    scenarios = load_scenarios(SCENARIOS) if run_main else []
    if args.shell and not args.scenario:
        scenarios = []
    elif args.scenario:
        scenarios = [s for s in scenarios
                     if any(fnmatch.fnmatch(s.name, g) or
                            fnmatch.fnmatch(s.path.name, g)
                            for g in args.scenario)]
        if not scenarios and not args.selftest and not args.shell:
            say(f"no scenario matches {' '.join(args.scenario)}")
            failed += 1
    selftests = load_scenarios(SELFTEST) if run_self else []
    for s in scenarios + selftests:
        for e in s.errors:
            say(f"FAIL: {rel(s.path)}: {e}")
            failed += 1
    scenarios = [s for s in scenarios if not s.errors]
    selftests = [s for s in selftests if not s.errors]
    # Xen or not: --no-xen drops the Xen scenarios, --xen-only the others.
    if args.no_xen or args.xen_only:
        keep = "xen" if args.xen_only else "none"
        if not args.shell:
            scenarios = [s for s in scenarios if s.hypervisor == keep]
        selftests = [s for s in selftests if s.hypervisor == keep]
        if args.scenario and not scenarios and not args.shell and \
           not args.selftest:
            say(f"no {'Xen ' if keep == 'xen' else 'non-Xen '}scenario "
                f"matches {' '.join(args.scenario)}")
            failed += 1

    # Boots: per kernel and hypervisor, one main boot plus one per
    # "# boot:" group; Xen boots are named xen, xen-<group>.
    boots = []
    for series in want:
        k = kernels.get(series)
        if not k:
            continue
        groups = {}
        for s in scenarios:
            if s.runs_on(series):
                groups.setdefault((s.hypervisor, s.boot or "main"),
                                  []).append(s)
        if args.shell:
            boots.append(Boot(k, "xen-shell" if args.xen_only else "shell",
                              [s for g in groups.values() for s in g],
                              devices=args.device, shell=True,
                              hv="xen" if args.xen_only else "none"))
            continue
        for hv, name in sorted(groups, key=lambda g: (g[0], g[1] != "main",
                                                      g[1])):
            bname = name if hv == "none" else \
                hv if name == "main" else f"{hv}-{name}"
            group = groups[(hv, name)]
            # The debug kernel is slow: its main group runs as two boots
            # side by side (the scenarios are independent).
            if k.root and name == "main" and len(group) > 1:
                parts, load = ([], []), [0, 0]
                for sc in sorted(group, key=lambda x: -x.timeout):
                    i = load.index(min(load))    # by declared timeout
                    parts[i].append(sc)
                    load[i] += sc.timeout
                for i, part in enumerate(parts):
                    boots.append(Boot(k, f"{bname}-{'ab'[i]}",
                                      sorted(part, key=lambda x: x.name),
                                      devices=args.device, hv=hv))
                continue
            boots.append(Boot(k, bname, group, devices=args.device, hv=hv))
    if run_self and SELFTEST_SERIES in kernels:
        for hv in HYPERVISORS:
            group = [s for s in selftests if s.hypervisor == hv]
            if group:
                boots.append(Boot(kernels[SELFTEST_SERIES],
                                  "selftest" if hv == "none" else
                                  f"selftest-{hv}", group, selftest=True,
                                  hv=hv))

    if args.list:
        for b in boots:
            print(f"{b.kernel.kver} boot {b.name}: "
                  f"{'Xen PV Dom0, ' if b.hv == 'xen' else ''}devices "
                  f"{' '.join(b.devices) or '-'}; timeout {b.budget()}s")
            for s in b.scenarios:
                print(f"    {s.name} ({rel(s.path)}, timeout {s.timeout}s)")
        return 0

    # Build: modules per kernel in parallel, guest programs once.
    t_build = time.monotonic()
    used = {b.kernel.series: b.kernel for b in boots}
    try:
        progs, nprog = build_guest_programs()
    except BuildError as e:
        say(f"FAIL: {e}")
        print(f"{passed} passed, {failed + 1} failed")
        return 1

    def build(k):
        try:
            cached = build_kernel_modules(k, args.jobs)
            say(f"{k.kver}: modules {'up to date' if cached else 'built'} "
                f"({' '.join(p.name for p in k.kos)})")
        except BuildError as e:
            k.error = str(e)

    with concurrent.futures.ThreadPoolExecutor(len(used) or 1) as ex:
        list(ex.map(build, used.values()))
    say(f"guest programs: {' '.join(p.name for p in progs)} "
        f"({nprog} rebuilt)")
    if any(b.hv == "xen" for b in boots):
        try:
            xen_elf, cached = prepare_xen_elf()
            say(f"Xen: {rel(xen_elf)} "
                f"({'cached' if cached else 'unpacked from /boot'})")
        except BuildError as e:
            xen_elf = None
            n = sum(1 for b in boots if b.hv == "xen")
            say(f"FAIL: {e} ({n} Xen boot(s) not run)")
            failed += 1
        for b in boots:
            b.xen_elf = xen_elf
        boots = [b for b in boots if b.hv != "xen" or xen_elf]
    # A Xen boot whose paths or arguments QEMU's module list can't carry.
    for b in list(boots):
        try:
            b.qemu_args(b.rundir / "initrd.gz")
        except ValueError as e:
            say(f"FAIL: {b.kernel.kver} boot {b.name}: {e}")
            failed += 1
            boots.remove(b)

    stock = list(STOCK_MODULES)
    for s in scenarios + selftests:
        stock += [m for m in s.stock if m not in stock]
    for k in used.values():
        if k.error:
            continue
        cached, info = build_initrd(k, stock, progs, [SCENARIOS, SELFTEST])
        size = k.initrd.stat().st_size >> 10
        say(f"{k.kver}: initramfs {rel(k.initrd)} ({size} KiB; base "
            f"{'cached' if cached else 'rebuilt'})")
        for m in info["missing_stock"]:
            say(f"  note: stock module {m} not found for {k.kver}")
        for p in info["missing_progs"]:
            say(f"  note: {p} not installed: not in the initramfs")
    t_build = time.monotonic() - t_build

    for k in used.values():
        if k.error:
            say(f"FAIL: {k.kver}: {k.error}")
            failed += 1
    boots = [b for b in boots if not b.kernel.error]

    if args.shell:
        for b in boots:
            say(f"{b.kernel.kver}: devices {' '.join(b.devices) or '-'}; "
                f"kernel log in {rel(b.console)}; 'poweroff -f' to leave")
            boot_one(b, args.keep)
            say(f"shell ended (qemu rc={b.qemu_rc})")
        return 0

    # Boot: Xen boots first (slowest: Xen itself boots first), then the
    # longest plans, the self-tests last.
    t_boot = time.monotonic()
    todo = sorted(boots, key=lambda b: (b.selftest, b.hv == "none",
                                        -len(b.scenarios)))
    lock = threading.Lock()

    def go(b):
        boot_one(b, args.keep)
        text = b.console.read_text(errors="replace") if b.console.exists() \
            else ""
        b.result = parse_console(
            text, [s.name for s in b.scenarios], qemu_rc=b.qemu_rc,
            watchdog=b.watchdog, timed_out=b.qemu_rc == 124, hv=b.hv)
        if b.hv == "xen":
            b.xenlog.write_text("".join(l + "\n"
                                        for l in b.result.xen_lines))
        with lock:
            say(f"{b.kernel.kver} boot {b.name} finished in {b.wall:.1f}s")

    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        list(ex.map(go, todo))
    t_boot = time.monotonic() - t_boot

    # Report.
    skipped = 0
    for k in sorted({b.kernel.kver: b.kernel for b in boots}.values(),
                    key=lambda k: vkey(k.kver)):
        main_boots = [b for b in boots if b.kernel is k and not b.selftest]
        if not main_boots:
            continue
        print(f"\n== {k.kver}")
        for b in main_boots:
            report_boot(b, args.verbose)
            for r in b.result.scenarios.values():
                if r.status == "fail":
                    failed += 1
                elif r.status == "skip":
                    skipped += 1
                else:
                    passed += 1
            if b.result.problems:
                failed += 1

    st = [b for b in boots if b.selftest]
    if run_self:
        print("\n== harness self-test")
        checks = parser_selftest()
        for hv in sorted({s.hypervisor for s in selftests}):
            b = next((b for b in st if b.hv == hv), None)
            if b:
                report_boot(b, args.verbose)
                checks += selftest_expectations(b)
            elif SELFTEST_SERIES in kernels:
                checks.append((False, f"self-test boot ({hv})",
                               "was not run"))
        for ok, desc, why in checks:
            print(f"  {'ok    ' if ok else 'NOT OK'} {desc}"
                  + (f"\n          {why}" if why and not ok else ""))
            if ok:
                passed += 1
            else:
                failed += 1
        if st and not all(ok for ok, _, _ in checks):
            for b in st:
                br = b.result
                for n in br.order:
                    r = br.scenarios[n]
                    for c in r.checks:
                        print(f"          {n}: {c.line()}")
                    for kind, text in r.reasons:
                        print(f"          {n}: [{kind}] {text}")

    p, f = perf_report([b for b in boots if not b.selftest])
    passed, failed = passed + p, failed + f

    print()
    if skipped:
        say(f"{skipped} scenario(s) skipped entirely")
    say(f"timings: build+initramfs {t_build:.1f}s, boots {t_boot:.1f}s "
        f"({len(boots)} boot(s), {args.jobs} in parallel), total "
        f"{time.monotonic() - t_start:.1f}s; logs in {rel(LOGS)}/")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
