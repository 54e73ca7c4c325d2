// glibc's dl_iterate_phdr (link.h), which visits every object the dynamic linker has loaded
// while holding its lock. link.h declares it only for _GNU_SOURCE, which Swift's Glibc module
// is not built with, so it is declared here, with the leading fields of its `struct
// dl_phdr_info` that ColdPages reads (same types, same order: glibc's layout on 64-bit Linux).
#include <elf.h>
#include <stddef.h>
#include <stdint.h>

struct lw_loaded_object {
    Elf64_Addr address;          // dlpi_addr: where the object is loaded
    const char *name;            // dlpi_name
    const Elf64_Phdr *headers;   // dlpi_phdr: its program headers
    Elf64_Half header_count;     // dlpi_phnum
};

extern int dl_iterate_phdr(int (*callback)(struct lw_loaded_object *object, size_t size, void *data), void *data);
