# Warnings are errors in the project's own targets (not in third-party headers).
function(dpa_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Werror)
endfunction()

# The runtime also refuses silent narrowing: it runs on 32-bit microcontrollers.
function(dpa_strict_warnings target)
  dpa_warnings(${target})
  target_compile_options(${target} PRIVATE -Wconversion -Wno-sign-conversion)
endfunction()
