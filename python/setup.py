"""Builds the runtime's shared library (libdpa.so, the C++ runtime with its C API) with CMake from
this repository and ships it inside the package. DPA_LIBRARY=/path/to/libdpa.so uses a library
already built instead. Offline: `pip install --no-build-isolation ./python`."""
import os
import shutil
import subprocess
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def runtime_library():
    prebuilt = os.environ.get("DPA_LIBRARY")
    if prebuilt:
        if not os.path.isfile(prebuilt):
            raise SystemExit("DPA_LIBRARY=%s: no such file" % prebuilt)
        return prebuilt
    if not os.path.isfile(os.path.join(ROOT, "runtime", "CMakeLists.txt")):
        raise SystemExit("%s: not inside the dnn-predict-accuracy repository; set DPA_LIBRARY=/path/to/libdpa.so" % HERE)
    build = tempfile.mkdtemp(prefix="dpa-runtime-")
    subprocess.run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DDPA_BUILD_TOOLS=OFF",
                    "-DDPA_BUILD_TESTS=OFF", "-DDPA_BUILD_BENCH=OFF"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build, "--target", "dpa_runtime_shared", "-j", str(os.cpu_count() or 1)],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.realpath(os.path.join(build, "libdpa.so"))


class BuildWithRuntime(build_py):
    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "dpa", "libdpa.so")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(runtime_library(), target)


class BinaryDistribution(Distribution):
    def has_ext_modules(self):  # a platform wheel: it carries a native library
        return True


setup(cmdclass={"build_py": BuildWithRuntime}, distclass=BinaryDistribution)
