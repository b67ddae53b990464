/* The Alpine-like check of the musl artifacts (scripts/ci/release.sh): built with musl-gcc,
 * this program is run by musl's dynamic loader, as a program on Alpine is, and opens a shared
 * library as Node opens an addon or CPython an extension module: after start, with every
 * relocation bound at once. The symbols its host program would provide (napi_*, Py*) come
 * from HOST_STUBS, a library of placeholders opened first (RTLD_GLOBAL); everything else
 * (libc, thread-locals) must resolve as on Alpine, and the entry point must be exported.
 * Nothing in the library is called.
 *
 *   musl_load HOST_STUBS LIBRARY ENTRY_POINT
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: musl_load HOST_STUBS LIBRARY ENTRY_POINT\n");
        return 2;
    }
    if (dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL) == NULL) {
        fprintf(stderr, "musl_load: dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    void *lib = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "musl_load: dlopen %s: %s\n", argv[2], dlerror());
        return 1;
    }
    if (dlsym(lib, argv[3]) == NULL) {
        fprintf(stderr, "musl_load: %s does not export %s\n", argv[2], argv[3]);
        return 1;
    }
    printf("musl_load: %s opened by musl's loader, %s exported\n", argv[2], argv[3]);
    return 0;
}
