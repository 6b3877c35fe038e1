"""The host library's C ABI (libdpa_host.so, tools/host/dpa_host.h) through ctypes: the zoo
writer and the sweep learner are the C++ host library's, not written again in Python."""
import ctypes

from . import _lib

p, size_t, u64, f32_p = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint64, ctypes.POINTER(ctypes.c_float)
L = ctypes.POINTER(_lib.Layout)


class SweepDecision(ctypes.Structure):  # dpa_host_sweep_decision
    _fields_ = [("stop", ctypes.c_int32), ("decided", ctypes.c_int32), ("predicted", ctypes.c_int32),
                ("score", ctypes.c_float), ("threshold", ctypes.c_double), ("audit", ctypes.c_int32)]


_SIGNATURES = {
    "dpa_host_last_error": (ctypes.c_char_p, []),
    "dpa_host_zoo_writer_open": (ctypes.c_int, [ctypes.c_char_p, L, ctypes.c_char_p, ctypes.POINTER(p)]),
    "dpa_host_zoo_writer_add": (ctypes.c_int, [p, f32_p, size_t, ctypes.c_char_p]),
    "dpa_host_zoo_writer_add_row": (ctypes.c_int, [p, f32_p, size_t, ctypes.c_char_p]),
    "dpa_host_zoo_writer_rows": (u64, [p]),
    "dpa_host_zoo_writer_sync": (ctypes.c_int, [p]),
    "dpa_host_zoo_writer_release_metrics": (ctypes.c_int, [p]),
    "dpa_host_zoo_writer_close": (None, [p]),
    "dpa_host_sweep_open": (ctypes.c_int, [ctypes.c_char_p, L, ctypes.c_char_p, ctypes.POINTER(p)]),
    "dpa_host_sweep_report": (ctypes.c_int, [p, ctypes.c_char_p, ctypes.c_uint32, ctypes.c_uint32, f32_p, size_t,
                                             ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int32, L,
                                             ctypes.POINTER(SweepDecision)]),
    "dpa_host_sweep_report_statistics": (ctypes.c_int, [p, ctypes.c_char_p, ctypes.c_uint32, ctypes.c_uint32, f32_p,
                                                        size_t, u64, ctypes.c_char_p, ctypes.c_char_p,
                                                        ctypes.c_int32, ctypes.POINTER(SweepDecision)]),
    "dpa_host_sweep_observe_statistics": (ctypes.c_int, [p, ctypes.c_char_p, ctypes.c_uint32, ctypes.c_uint32, f32_p,
                                                         size_t, u64, ctypes.c_char_p, ctypes.c_char_p,
                                                         ctypes.POINTER(ctypes.c_int32)]),
    "dpa_host_sweep_stopped": (ctypes.c_int, [p, ctypes.c_char_p]),
    "dpa_host_sweep_state": (ctypes.c_int, [p, ctypes.c_char_p, size_t, ctypes.POINTER(size_t)]),
    "dpa_host_sweep_scores": (ctypes.c_int, [p, ctypes.c_uint32, ctypes.c_char_p, size_t, ctypes.POINTER(size_t)]),
    "dpa_host_sweep_score": (ctypes.c_int, [p, ctypes.c_char_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_float),
                                            ctypes.POINTER(ctypes.c_uint32)]),
    "dpa_host_sweep_model": (ctypes.c_int, [p, ctypes.POINTER(ctypes.c_ubyte), size_t, ctypes.POINTER(size_t)]),
    "dpa_host_sweep_wait": (ctypes.c_int, [p]),
    "dpa_host_sweep_close": (None, [p]),
}


lib = _lib.load_library("libdpa_host.so", "DPA_HOST_LIBRARY", _SIGNATURES)


def check(status, error=ValueError):
    """Raises `error` with the library's message when status is not 0."""
    if status != 0:
        raise error(lib.dpa_host_last_error().decode("utf-8", "replace"))
