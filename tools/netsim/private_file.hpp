// The store holds keys: its file is created owner-only, and one that others may read is refused.
#pragma once

#include <filesystem>

namespace netsim {

// Creates `path` with mode 0600 if it does not exist (never following a link). StoreError if it
// exists but is not a regular file, or group or others have any access to it.
void createPrivateFile(const std::filesystem::path& path);

}  // namespace netsim
