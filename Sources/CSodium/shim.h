// Exposes libsodium to Swift. Installed by scripts/setup (Debian: libsodium-dev).
#ifndef LEDGER_CSODIUM_SHIM_H
#define LEDGER_CSODIUM_SHIM_H
#include <sodium.h>
#endif
