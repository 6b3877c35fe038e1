"""The runtime's C API through ctypes: every function's argument and result types declared, the
structures mirrored field by field and their sizes checked against the library's own."""
import ctypes
import os

_HERE = os.path.dirname(os.path.abspath(__file__))

u32, u16, size_t, f32, p = ctypes.c_uint32, ctypes.c_uint16, ctypes.c_size_t, ctypes.c_float, ctypes.c_void_p
f32_p = ctypes.POINTER(ctypes.c_float)


class Segment(ctypes.Structure):  # dpa_segment
    _fields_ = [("offset", u32), ("length", u32), ("kind", u32), ("reserved", u32)]


class Layout(ctypes.Structure):  # dpa_layout
    _fields_ = [("segments", ctypes.POINTER(Segment)), ("num_segments", u32), ("total_length", u32)]


class ModelStruct(ctypes.Structure):  # dpa_model
    _fields_ = [("bytes", p), ("total_bytes", u32), ("version_major", u16), ("version_minor", u16),
                ("layout", Layout), ("feature_kind", u32), ("stats_set", ctypes.c_int), ("num_features", u32),
                ("predictor", u32), ("predictor_section", p), ("output_transform", u32), ("target", u32),
                ("work_floats", u32), ("metadata", p), ("metadata_text", ctypes.POINTER(ctypes.c_char)),
                ("metadata_text_bytes", u32), ("num_input_blocks", u32), ("input_blocks", u32 * 3),
                ("num_context", u32), ("context", p), ("category_names", ctypes.POINTER(u32)),
                ("strings", ctypes.c_char_p), ("strings_bytes", u32)]


class Inputs(ctypes.Structure):  # dpa_inputs
    _fields_ = [("weights", f32_p), ("num_weights", size_t), ("context", f32_p), ("num_context", size_t)]


class ContextInfo(ctypes.Structure):  # dpa_context_info
    _fields_ = [("name", ctypes.c_char_p), ("kind", u32), ("transform", u32), ("num_categories", u32)]


class EarlyStop(ctypes.Structure):  # dpa_early_stop
    _fields_ = [("stop_below", f32), ("max_gap", f32), ("best_predicted", f32), ("checks", u32), ("stops", u32)]


M, L, I, S = ctypes.POINTER(ModelStruct), ctypes.POINTER(Layout), ctypes.POINTER(Inputs), ctypes.c_int
_SIGNATURES = {
    "dpa_status_string": (ctypes.c_char_p, [S]),
    "dpa_model_struct_size": (size_t, []),
    "dpa_model_load": (S, [p, size_t, M]),
    "dpa_model_scratch_size": (size_t, [M]),
    "dpa_model_predict_inputs": (S, [M, I, f32_p, p, size_t]),
    "dpa_model_predict_batch": (S, [M, f32_p, size_t, f32_p, size_t, size_t, f32_p, p, size_t,
                                    ctypes.POINTER(size_t)]),
    "dpa_model_features_inputs": (S, [M, I, f32_p, size_t, p, size_t]),
    "dpa_model_context_info": (S, [M, u32, ctypes.POINTER(ContextInfo)]),
    "dpa_model_context_category": (ctypes.c_char_p, [M, u32, u32]),
    "dpa_model_context_index": (ctypes.c_int32, [M, ctypes.c_char_p]),
    "dpa_model_context_code": (S, [M, u32, ctypes.c_char_p, f32_p]),
    "dpa_predictor_name": (ctypes.c_char_p, [u32]),
    "dpa_input_kind_name": (ctypes.c_char_p, [u32]),
    "dpa_stats_per_segment": (u32, [S]),
    "dpa_stats_set_count": (u32, []),
    "dpa_stats_set_at": (u32, [u32]),
    "dpa_stats_set_name": (ctypes.c_char_p, [S]),
    "dpa_stats_name": (ctypes.c_char_p, [S, u32]),
    "dpa_stats_scratch_size": (size_t, [S]),
    "dpa_stats_compute": (S, [L, S, f32_p, size_t, f32_p, size_t, p, size_t]),
    "dpa_layout_check": (S, [L]),
    "dpa_zoo_layout": (L, []),
    "dpa_early_stop_init": (None, [ctypes.POINTER(EarlyStop), f32, f32]),
    "dpa_early_stop_check_inputs": (S, [M, ctypes.POINTER(EarlyStop), I, p, size_t, f32_p,
                                        ctypes.POINTER(ctypes.c_int)]),
}


def load_library(file_name, variable, signatures):
    """A shared library of this package: $variable, else the package's own copy, else a source
    checkout's build/; every function's signature declared."""
    candidates = [os.environ.get(variable), os.path.join(_HERE, file_name),
                  os.path.join(_HERE, "..", "..", "build", file_name)]  # a source checkout, built
    for path in candidates:
        if path and os.path.isfile(path):
            library = ctypes.CDLL(os.path.abspath(path))
            break
    else:
        raise ImportError("dpa: %s not found (pip install ./python builds it; or set %s)" % (file_name, variable))
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(library, name)
        fn.restype, fn.argtypes = restype, argtypes
    return library


def _load():
    library = load_library("libdpa.so", "DPA_LIBRARY", _SIGNATURES)
    if library.dpa_model_struct_size() != ctypes.sizeof(ModelStruct):
        raise ImportError("dpa: %s's dpa_model is %d bytes, this package expects %d: mismatched versions"
                          % (library._name, library.dpa_model_struct_size(), ctypes.sizeof(ModelStruct)))
    return library


lib = _load()

OK, NON_FINITE = 0, 6
CONTEXT_NUMERIC, CONTEXT_CATEGORICAL = 0, 1
CONTEXT_LOG = 1
# The statistics sets this library was built with, from its own table.
STATS_SETS = {lib.dpa_stats_set_name(lib.dpa_stats_set_at(i)).decode(): lib.dpa_stats_set_at(i)
              for i in range(lib.dpa_stats_set_count())}
SEGMENT_KINDS = {"bias": 0, "kernel": 1, "other": 2}
TARGETS = {0: "test_accuracy", 1: "final_test_accuracy", 2: "other"}
DECISIONS = {0: "continue", 1: "below threshold", 2: "far below best"}
