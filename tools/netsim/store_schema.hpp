// The tables of the lab network's store.
#pragma once

#include <sqlite3.h>

namespace netsim {

// Creates whatever tables are missing (a new store, or one from an older m2m-netsim).
void applySchema(sqlite3* db);

}  // namespace netsim
