// The system's libzstd (Debian: libzstd-dev), found through pkg-config.
#ifndef CZSTD_SHIM_H
#define CZSTD_SHIM_H

// Static-linking-only declarations are not used: everything here is the stable public API.
#include <zstd.h>
#include <zstd_errors.h>

#endif
