// A gateway's records of its devices (agent/GATEWAY.md §1): one JSON file, mode 0600, an array of
// the network's part of each device's key export (node_id, kmr_index, kmr_expiry_unix, kmr,
// optional iv_attestation_public_key; the terminal-only keys such as kmsa are not copied), each
// with the device's scl_id and optionally "software": true. Read and written with the key
// export's field readers: keys straight into SecretBuffers, every parsed string wiped.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "provisioning/key_export.hpp"

namespace provisioning {

struct DeviceRecord {
    seuicc::NodeId nodeId{};
    std::uint32_t kmrIndex = 0;
    std::chrono::system_clock::time_point kmrExpiry{};
    base::SecretBuffer kmr;                             // 32 bytes
    std::optional<std::string> ivAttestationPublicKey;  // PEM; absent: the device is unattested
    std::string sclId;
    bool software = false;  // a software-only device (no secured environment)
};

// The text of a device records file; KeyExportError naming `origin`, the record and the field.
// Refuses two records of one node.
[[nodiscard]] std::vector<DeviceRecord> parseDeviceRecords(base::ByteView text,
                                                           const std::string& origin);
// Reads `path`, checked as a key file (regular, owned by the user, 0600 or 0400, at most 1 MiB).
[[nodiscard]] std::vector<DeviceRecord> readDeviceRecords(const std::filesystem::path& path);
// Replaces the file at `path` whole (a new 0600 file beside it, then rename).
void writeDeviceRecords(const std::filesystem::path& path,
                        const std::vector<DeviceRecord>& records);

// The record of a device from its key export; `sclId` empty: the export's scl_id, else
// "m2m:scl/<node id hex>". A software device's export ("software": true) makes a software record.
[[nodiscard]] DeviceRecord deviceRecordOf(const KeyExport& exported, std::string sclId,
                                          bool software);

}  // namespace provisioning
