# Fails when the runtime library references heap, exception or stdio symbols.
# Usage: cmake -DNM=nm -DLIB=libdpa_runtime.a -P check_symbols.cmake
execute_process(COMMAND ${NM} -C -u ${LIB} OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIB}")
endif()
set(forbidden malloc calloc realloc free "operator new" "operator delete" __cxa_throw
    __cxa_allocate_exception __cxa_begin_catch _Unwind_Resume __gxx_personality printf fprintf
    puts fopen fwrite abort typeinfo)
foreach(sym IN LISTS forbidden)
  # A symbol name that starts with the forbidden one ("puts", "operator new(unsigned long)",
  # "__gxx_personality_v0"), not one that merely contains it ("verify_inputs").
  string(REGEX MATCH "(^|\n)[ \t]*U ${sym}" found "${undefined}")
  if(found)
    message(FATAL_ERROR "runtime references forbidden symbol '${sym}':\n${undefined}")
  endif()
endforeach()
message(STATUS "runtime references no heap, exception or I/O symbols")
