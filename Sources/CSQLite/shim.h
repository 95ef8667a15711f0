// Exposes the system SQLite to Swift. Installed by scripts/setup (Debian: libsqlite3-dev).
#ifndef LEDGER_CSQLITE_SHIM_H
#define LEDGER_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
