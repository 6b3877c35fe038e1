"""Builds the runtime's shared library (libdpa.so, the C++ runtime with its C API), the host
library's (libdpa_host.so: the zoo writer and the sweep learner) and the `dpa` command with CMake
from this repository and ships them inside the package (the command as dpa/bin/dpa, on the PATH
through the `dpa` script). A checkout already configured in build/ (scripts/build.sh) is
brought up to date there, not built again. DPA_LIBRARY=/path/to/libdpa.so and
DPA_HOST_LIBRARY=/path/to/libdpa_host.so (and DPA_BINARY=/path/to/dpa) use ones built elsewhere instead.
Offline: `pip install --no-build-isolation ./python`."""
import os
import shutil
import subprocess
import sys
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# What the package ships: {its path in the package: (the variable naming a prebuilt one, the CMake
# target, the file in the build directory)}.
LIBRARIES = {"libdpa.so": ("DPA_LIBRARY", "dpa_runtime_shared", "libdpa.so"),
             "libdpa_host.so": ("DPA_HOST_LIBRARY", "dpa_host_shared", "libdpa_host.so"),
             "bin/dpa": ("DPA_BINARY", "dpa", "dpa")}


def cmake_build_dir():
    """The checkout's build/ when configured (incremental), else a fresh one."""
    existing = os.path.join(ROOT, "build")
    if os.path.isfile(os.path.join(existing, "CMakeCache.txt")):
        print("dpa: bringing %s up to date" % existing, file=sys.stderr)
        return existing
    build = tempfile.mkdtemp(prefix="dpa-libraries-")
    print("dpa: configuring a build of the libraries in %s" % build, file=sys.stderr)
    subprocess.run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DDPA_BUILD_TOOLS=ON",
                    "-DDPA_BUILD_TESTS=OFF", "-DDPA_BUILD_BENCH=OFF"], check=True, stdout=subprocess.DEVNULL)
    return build


def libraries():
    """{path in the package: path} of the two libraries and the command, prebuilt or built here."""
    out, targets = {}, []
    for name, (variable, target, _) in LIBRARIES.items():
        prebuilt = os.environ.get(variable)
        if prebuilt:
            if not os.path.isfile(prebuilt):
                raise SystemExit("%s=%s: no such file" % (variable, prebuilt))
            out[name] = prebuilt
        else:
            targets.append(target)
    if targets:
        if not os.path.isfile(os.path.join(ROOT, "runtime", "CMakeLists.txt")):
            raise SystemExit("%s: not inside the dnn-predict-accuracy repository; set DPA_LIBRARY and DPA_HOST_LIBRARY"
                             % HERE)
        build = cmake_build_dir()
        print("dpa: building %s (progress below)" % ", ".join(targets), file=sys.stderr)
        subprocess.run(["cmake", "--build", build, "--target", *targets, "-j", str(os.cpu_count() or 1)],
                       check=True, stdout=sys.stderr)
        for name, (_, _, built) in LIBRARIES.items():
            out.setdefault(name, os.path.realpath(os.path.join(build, built)))
    return out


class BuildWithLibraries(build_py):
    def run(self):
        super().run()
        for name, path in libraries().items():
            target = os.path.join(self.build_lib, "dpa", name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(path, target)
            shutil.copymode(path, target)


class BinaryDistribution(Distribution):
    def has_ext_modules(self):  # a platform wheel: it carries native libraries
        return True


setup(cmdclass={"build_py": BuildWithLibraries}, distclass=BinaryDistribution)
