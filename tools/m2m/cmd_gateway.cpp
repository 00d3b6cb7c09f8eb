// `m2m gateway add-device --devices FILE EXPORT.json [--scl-id ID] [--software]`: appends a
// device's record (agent/GATEWAY.md §1) to a gateway's device records, from the key export
// `m2m provision --export-keys` wrote for it. The file is created 0600; a node already there is
// refused. Nothing of the keys is printed.
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "provisioning/device_records.hpp"

namespace m2m::cli {

namespace {

struct AddDeviceOptions {
    CommonOptions common;
    std::string devices;
    std::string exportFile;
    std::string sclId;
    bool software = false;
};

Exit addDevice(const AddDeviceOptions& options) {
    const provisioning::KeyExport exported = provisioning::readKeyExport(options.exportFile);
    if (options.software && exported.ivAttestationPublicKey) {
        throw base::Error(
            "the export has an IV-SED attestation key: a device with a card is no software-only "
            "device (drop --software)");
    }
    std::vector<provisioning::DeviceRecord> records;
    if (std::filesystem::exists(options.devices)) {
        records = provisioning::readDeviceRecords(options.devices);
    }
    for (const provisioning::DeviceRecord& r : records) {
        if (r.nodeId == exported.nodeId) {
            throw base::Error("node " + base::toLowerHex(r.nodeId) + " is already in " +
                              options.devices);
        }
    }
    records.push_back(provisioning::deviceRecordOf(exported, options.sclId, options.software));
    provisioning::writeDeviceRecords(options.devices, records);
    const provisioning::DeviceRecord& added = records.back();
    const nlohmann::ordered_json result{
        {"devices", options.devices}, {"node_id", base::toLowerHex(added.nodeId)},
        {"scl_id", added.sclId},      {"attested", added.ivAttestationPublicKey.has_value()},
        {"software", added.software}, {"count", records.size()}};
    printResult(options.common, result, [&] {
        std::cout << "added node " << base::toLowerHex(added.nodeId) << " (" << added.sclId
                  << (added.software ? ", software-only" : "")
                  << (added.ivAttestationPublicKey ? ", attested" : ", unattested") << ") to "
                  << options.devices << ": " << records.size() << " device(s)\n";
    });
    return Exit::Ok;
}

}  // namespace

void addGatewayCommands(CLI::App& app, int& exitCode) {
    auto* gateway = app.add_subcommand("gateway", "A gateway's records of its devices");
    gateway->require_subcommand(1);
    auto options = std::make_shared<AddDeviceOptions>();
    auto* add = gateway->add_subcommand(
        "add-device", "Append a device's record (from its key export) to the devices file");
    add->add_option("--devices", options->devices, "The gateway's devices file (JSON, 0600)")
        ->required();
    add->add_option("export", options->exportFile,
                    "The device's key export (m2m provision --export-keys)")
        ->required();
    add->add_option("--scl-id", options->sclId,
                    "The device's sclId (default: m2m:scl/<node id hex>)");
    add->add_flag("--software", options->software,
                  "A software-only device (no card, no attestation key)");
    add->add_flag("--json", options->common.json, "Print one JSON object instead of text");
    add->callback([options, &exitCode] {
        exitCode = runGuarded(options->common, [&] { return addDevice(*options); });
    });
}

}  // namespace m2m::cli
