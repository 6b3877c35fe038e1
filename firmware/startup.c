/* Minimal Cortex-M4F start-up for the MPS2 AN386 board (as emulated by qemu): vector table,
 * .data/.bss set-up, FPU on, main(), and exit through semihosting with main's return code. */
#include <stdint.h>

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;
int main(void);

/* Semihosting call (ARM "Angel" interface): bkpt 0xAB, operation in r0, argument in r1. */
static int semihost(int op, const void* arg) {
  register int r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void firmware_print(const char* text) { semihost(0x04 /* SYS_WRITE0 */, text); }

__attribute__((noreturn)) void firmware_exit(int code) {
  const uint32_t block[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, (uint32_t)code};
  semihost(0x20 /* SYS_EXIT_EXTENDED */, block);
  for (;;) {}
}

__attribute__((noreturn)) void Reset_Handler(void) {
  uint32_t* src = &__data_load;
  for (uint32_t* dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
  for (uint32_t* dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
  *(volatile uint32_t*)0xE000ED88u |= 0xFu << 20; /* CPACR: full access to CP10, CP11 (FPU) */
  __asm__ volatile("dsb\n isb");
  firmware_exit(main());
}

__attribute__((noreturn)) void Fault_Handler(void) {
  firmware_print("fault\n");
  firmware_exit(99);
}

__attribute__((section(".vectors"), used)) const void* const vector_table[16] = {&__stack_top,
                                                                                 (const void*)Reset_Handler,
                                                                                 (const void*)Fault_Handler,
                                                                                 (const void*)Fault_Handler,
                                                                                 (const void*)Fault_Handler,
                                                                                 (const void*)Fault_Handler,
                                                                                 (const void*)Fault_Handler,
                                                                                 0,
                                                                                 0,
                                                                                 0,
                                                                                 0,
                                                                                 (const void*)Fault_Handler,
                                                                                 (const void*)Fault_Handler,
                                                                                 0,
                                                                                 (const void*)Fault_Handler,
                                                                                 (const void*)Fault_Handler};

/* newlib-nano's libc expects these; nothing here allocates, so sbrk always fails. */
void* _sbrk(int increment) {
  (void)increment;
  return (void*)-1;
}
