#include "cvips_shim.h"
int cvips_init(void) { return VIPS_INIT("interior"); }
