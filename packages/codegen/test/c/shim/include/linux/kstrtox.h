/* Userspace shim: everything lives in kernel_shim.h. */
#include "../../kernel_shim.h"
