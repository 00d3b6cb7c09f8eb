// `m2m soft-device create`: the key file of a software-only device (agent/GATEWAY.md §5), a device
// without a UICC behind a gateway. The file is a software device's record in the key export format
// (provisioning/key_export.hpp: "software": true, node_id, scl_id, kmr, kmr_index,
// kmr_expiry_unix), mode 0600, with a fresh random Kmr. The device's agent reads it
// (`[card] kind = "software"`, `key_file`); the same record is what the network side takes in
// (`m2m gateway add-device`, `m2m-netsim import`).
#include <iostream>

#include "base/bytes.hpp"
#include "commands.hpp"
#include "provisioning/key_export.hpp"
#include "provisioning/psk_identity.hpp"
#include "securechannel/crypto.hpp"

namespace m2m::cli {

namespace {

struct SoftDeviceOptions {
    CommonOptions common;
    std::string out;
    std::string nodeId = "generate";
    std::string sclId;
    std::uint32_t kmrIndex = 1;
    unsigned lifetimeDays = 365;
};

seuicc::NodeId nodeIdOf(const std::string& text) {
    seuicc::NodeId id{};
    if (text == "generate") {
        const base::Bytes random = securechannel::randomBytes(id.size());
        std::copy(random.begin(), random.end(), id.begin());
    } else if (text.size() != 2 * id.size()) {
        throw CLI::ValidationError("--node-id", "16 bytes of hex (32 digits) or \"generate\"");
    } else {
        base::decodeHex(text, id);
    }
    return id;
}

Exit create(const SoftDeviceOptions& o) {
    provisioning::KeyExport record;
    record.software = true;
    record.nodeId = nodeIdOf(o.nodeId);
    record.sclId = o.sclId;
    record.kmrIndex = o.kmrIndex;
    record.kmrExpiry = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
                       std::chrono::days(o.lifetimeDays);
    record.kmr = securechannel::randomSecret(32);
    const base::Bytes kcv = securechannel::keyCheckValue(record.kmr.view());
    provisioning::writeKeyExport(o.out, record);  // 0600, never over an existing file
    nlohmann::ordered_json result{
        {"file", o.out},
        {"card", "software"},
        {"warning", "no secured environment: the key file holds the device's Kmr"},
        {"node_id", base::toHex(record.nodeId)},
        {"scl_id", o.sclId},
        {"kmr_index", record.kmrIndex},
        {"kmr_kcv", base::toHex(kcv)},
        {"kmr_identity", provisioning::kmrIdentity(record.nodeId, record.kmrIndex)}};
    printResult(o.common, result, [&] {
        std::cout << "software device " << base::toHex(record.nodeId) << " (SCL " << o.sclId
                  << ", KmrIndex " << record.kmrIndex << ", Kmr KCV " << base::toHex(kcv) << ") in "
                  << o.out
                  << "\n  no secured environment: this file is the device's only protection of "
                     "its Kmr (keep it 0600)\n";
    });
    return Exit::Ok;
}

}  // namespace

void addSoftDeviceCommand(CLI::App& app, int& exitCode) {
    auto* group = app.add_subcommand(
        "soft-device", "A software-only device (no UICC, behind a gateway): its key file");
    group->require_subcommand(1);
    auto options = std::make_shared<SoftDeviceOptions>();
    auto* cmd = group->add_subcommand(
        "create", "Write a new software device's record (0600) with a fresh random Kmr");
    cmd->add_option("--out", options->out, "The key file to write (must not exist)")->required();
    cmd->add_option("--scl-id", options->sclId, "The device's SCL-ID")->required();
    cmd->add_option("--node-id", options->nodeId, "M2M-Node-ID: 32 hex digits, or \"generate\"")
        ->capture_default_str();
    cmd->add_option("--kmr-index", options->kmrIndex, "KmrIndex")->capture_default_str();
    cmd->add_option("--kmr-lifetime-days", options->lifetimeDays, "Kmr lifetime in days")
        ->check(CLI::Range(1U, 36500U))
        ->capture_default_str();
    cmd->add_flag("--json", options->common.json, "Print one JSON object instead of text");
    cmd->callback([options, &exitCode] {
        exitCode = runGuarded(options->common, [&] { return create(*options); });
    });
}

}  // namespace m2m::cli
