#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver entry (compiler-rt, FuzzerInterface.h). SwiftPM links an executable's `main` to
// `<Module>_main`, so libFuzzer's own `main` is never used: each target's `<Module>_main` calls this.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
